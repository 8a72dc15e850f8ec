/**
 * The /v1 + /api/v1 app of the remote-write and PromQL tests: a real storage
 * engine (8 sacks, metricd running) in a temporary directory and a remote
 * write ingester, opened on first use and closed after the file's tests.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Hono } from "hono";
import { afterAll } from "vitest";
import { createApp } from "../../src/gnocchi-api/app.js";
import type { ApiDeps, AppEnv } from "../../src/gnocchi-api/context.js";
import { createLogger } from "../../src/gnocchi-api/logging.js";
import { ApiMetrics } from "../../src/gnocchi-api/metrics.js";
import { EMPTY_STATUS_SOURCE } from "../../src/gnocchi-api/status.js";
import type { SqlDriver } from "../../src/indexer/driver.js";
import { IndexerMetricCatalog } from "../../src/indexer/metric-catalog.js";
import { RemoteWriteIngester, type RemoteWriteOptions } from "../../src/remote-write/ingester.js";
import { StorageEngine } from "../../src/storage/storage-engine.js";
import { FIXTURE_OPTIONS } from "../gnocchi-api/helpers.js";

export interface RemoteWriteApp {
  readonly app: Hono<AppEnv>;
  readonly storage: StorageEngine;
}

/** Opens the app once, on the first call of the returned function. */
export function lazyRemoteWriteApp(
  db: () => SqlDriver,
  ingester: (storage: StorageEngine) => RemoteWriteOptions,
  deps: Partial<ApiDeps> = {},
): () => Promise<RemoteWriteApp> {
  let ready: Promise<RemoteWriteApp & { dir: string }> | undefined;
  afterAll(async () => {
    const opened = await ready;
    if (opened === undefined) return;
    await opened.storage.close();
    await rm(opened.dir, { recursive: true, force: true });
  });
  return () => {
    ready ??= (async () => {
      const dir = await mkdtemp(join(tmpdir(), "gnocchi-ts-remote-write-"));
      const storage = await StorageEngine.open({
        dataDir: dir,
        sacks: 8,
        catalog: new IndexerMetricCatalog(db()),
        metricd: { workers: 1, processingDelayMs: 200, cleanupDelayMs: 3_600_000 },
      });
      storage.metricd.start();
      const app = createApp({
        options: FIXTURE_OPTIONS,
        db: db(),
        storage,
        status: EMPTY_STATUS_SOURCE,
        metrics: new ApiMetrics({ defaultMetrics: false }),
        logger: createLogger("silent"),
        version: "4.4.2",
        remoteWrite: new RemoteWriteIngester(ingester(storage)),
        ...deps,
      });
      return { app, storage, dir };
    })();
    return ready;
  };
}
