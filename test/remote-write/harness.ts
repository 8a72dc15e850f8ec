/**
 * The API harness of test/gnocchi-api/helpers.ts (upstream fixture: prefix
 * `/gnocchi`, no default policies, a real storage engine with metricd) with
 * the remote-write service wired in as src/server.ts does. Its storage is
 * closed when the describe block that created the harness ends (before the
 * block's indexer goes), so metricd does not outlive the database. Plus two
 * recorders that forward to the real parts: every `incoming.append` call and
 * the number of indexer statements, so tests can assert "nothing stored" and
 * "a known series costs no indexer round trip".
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Hono } from "hono";
import { afterAll } from "vitest";
import { createApp } from "../../src/gnocchi-api/app.js";
import type { AppEnv } from "../../src/gnocchi-api/context.js";
import { createLogger } from "../../src/gnocchi-api/logging.js";
import { ApiMetrics } from "../../src/gnocchi-api/metrics.js";
import { EMPTY_STATUS_SOURCE } from "../../src/gnocchi-api/status.js";
import type { SqlDriver, SqlExecutor } from "../../src/indexer/driver.js";
import { IndexerMetricCatalog } from "../../src/indexer/metric-catalog.js";
import { RemoteWriteIngester, type RemoteWriteOptions } from "../../src/remote-write/ingester.js";
import type { IncomingStore, MeasureBatch, MeasureColumns } from "../../src/storage/incoming.js";
import { StorageEngine } from "../../src/storage/storage-engine.js";
import { BASE, FIXTURE_OPTIONS } from "../gnocchi-api/helpers.js";

export interface RemoteWriteHarness {
  /** POST `body` to `BASE + path` with Prometheus' headers; `user` is a Basic header value or undefined. */
  post(
    path: string,
    body: Uint8Array,
    user?: string,
    extra?: Record<string, string>,
  ): Promise<Response>;
  storage(): Promise<StorageEngine>;
  /** Every append call that reached the store (copies of its batches' metric ids and data). */
  readonly appends: MeasureBatch[][];
  /** Indexer statements run by the remote-write service so far. */
  statements(): number;
}

function counting(db: SqlDriver, count: () => void): SqlDriver {
  const wrap = (executor: SqlExecutor): SqlExecutor => ({
    query(sql, params) {
      count();
      return executor.query(sql, params);
    },
  });
  return {
    kind: db.kind,
    query: wrap(db).query,
    transaction: (fn) => db.transaction((tx) => fn(wrap(tx))),
    close: () => db.close(),
  };
}

/** One batch (copied) per non-empty run, for assertions. */
function batchesOf(columns: MeasureColumns): MeasureBatch[] {
  const out: MeasureBatch[] = [];
  let from = 0;
  columns.metricIds.forEach((metricId, r) => {
    const end = columns.runEnds[r]!;
    if (end > from) {
      out.push({
        metricId,
        timestamps: columns.timestamps.slice(from, end),
        values: columns.values.slice(from, end),
      });
    }
    from = end;
  });
  return out;
}

export function remoteWriteHarness(
  db: () => SqlDriver,
  options: Partial<Omit<RemoteWriteOptions, "db" | "incoming">> & {
    /** Replaces the storage's incoming store (e.g. a closed one). */
    incoming?: (storage: StorageEngine) => Pick<IncomingStore, "appendColumns">;
  } = {},
): RemoteWriteHarness {
  const appends: MeasureBatch[][] = [];
  let statements = 0;
  let ready: Promise<{ app: Hono<AppEnv>; storage: StorageEngine; dir: string }> | undefined;
  afterAll(async () => {
    const opened = await ready;
    if (opened === undefined) return;
    await opened.storage.close();
    await rm(opened.dir, { recursive: true, force: true });
  });
  const open = () => {
    ready ??= (async () => {
      const dir = await mkdtemp(join(tmpdir(), "gnocchi-ts-remote-write-"));
      const storage = await StorageEngine.open({
        dataDir: dir,
        sacks: 8,
        catalog: new IndexerMetricCatalog(db()),
        metricd: { workers: 1, processingDelayMs: 200, cleanupDelayMs: 3_600_000 },
      });
      storage.metricd.start();
      const target = options.incoming?.(storage) ?? storage.incoming;
      const remoteWrite = new RemoteWriteIngester({
        sightingsIntervalMs: 0,
        ...options,
        db: counting(db(), () => statements++),
        incoming: {
          appendColumns(columns) {
            appends.push(batchesOf(columns));
            return target.appendColumns(columns);
          },
        },
      });
      const app = createApp({
        options: FIXTURE_OPTIONS,
        db: db(),
        storage,
        status: EMPTY_STATUS_SOURCE,
        metrics: new ApiMetrics({ defaultMetrics: false }),
        logger: createLogger("silent"),
        version: "4.4.2",
        remoteWrite,
      });
      return { app, storage, dir };
    })();
    return ready;
  };
  return {
    appends,
    statements: () => statements,
    storage: async () => (await open()).storage,
    async post(path, body, user, extra = {}) {
      const headers: Record<string, string> = {
        "content-type": "application/x-protobuf",
        "content-encoding": "snappy",
        "x-prometheus-remote-write-version": "0.1.0",
      };
      if (user !== undefined) headers.authorization = user;
      Object.assign(headers, extra);
      const { app } = await open();
      return app.request(`${BASE}${path}`, { method: "POST", headers, body });
    },
  };
}
