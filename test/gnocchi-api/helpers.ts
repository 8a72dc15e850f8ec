/**
 * Drives the Hono app with real Requests against an indexer of the
 * describeDrivers block, with the upstream functional-test fixture
 * (gabbi-coverage.md §1): prefix `/gnocchi`, max_limit 7, proxy headers on,
 * CORS origin http://foobar.com, no default archive policies.
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
import { type ApiOptions, DEFAULT_API_OPTIONS } from "../../src/gnocchi-api/options.js";
import { EMPTY_STATUS_SOURCE, type StatusSource } from "../../src/gnocchi-api/status.js";
import type { SqlDriver } from "../../src/indexer/driver.js";
import { IndexerMetricCatalog } from "../../src/indexer/metric-catalog.js";
import { StorageEngine } from "../../src/storage/storage-engine.js";

const openEngines: { engine: StorageEngine; dir: string }[] = [];
afterAll(async () => {
  for (const { engine, dir } of openEngines.splice(0)) {
    await engine.close();
    await rm(dir, { recursive: true, force: true });
  }
});

/**
 * A real storage engine in a temporary directory, over the indexer `db`,
 * with metricd running as the fixture's "fast metricd"; closed after the
 * file (or, for a harness, after its describe block). The janitor's timer is
 * long; tests that need it call `storage.janitor.run()`.
 */
export async function openTestStorage(db: SqlDriver): Promise<StorageEngine> {
  const dir = await mkdtemp(join(tmpdir(), "gnocchi-ts-api-"));
  const engine = await StorageEngine.open({
    dataDir: dir,
    sacks: 8,
    catalog: new IndexerMetricCatalog(db),
    metricd: { workers: 2, processingDelayMs: 200, cleanupDelayMs: 3_600_000 },
  });
  engine.metricd.start();
  openEngines.push({ engine, dir });
  return engine;
}

/** Closes a storage of {@link openTestStorage} before the file ends (e.g. before its indexer closes). */
async function closeTestStorage(engine: StorageEngine): Promise<void> {
  const i = openEngines.findIndex((o) => o.engine === engine);
  if (i < 0) return;
  const { dir } = openEngines.splice(i, 1)[0]!;
  await engine.close();
  await rm(dir, { recursive: true, force: true });
}

export const FIXTURE_OPTIONS: ApiOptions = {
  ...DEFAULT_API_OPTIONS,
  prefix: "/gnocchi",
  maxLimit: 7,
  enableProxyHeadersParsing: true,
  cors: { ...DEFAULT_API_OPTIONS.cors, allowedOrigins: ["http://foobar.com"] },
};

export const ADMIN = "basic YWRtaW46";
export const FOOBAR = "basic Zm9vYmFyOg==";
export const BASE = "http://localhost:8041/gnocchi";

export interface RequestOptions {
  readonly headers?: Record<string, string | undefined>;
  readonly body?: unknown;
}

/**
 * The init of a fixture request: user foobar and a JSON content type unless
 * overridden; `undefined` leaves a header out, "" sends it empty (as gabbi
 * does); object bodies are sent as JSON.
 */
export function requestInit(method: string, init: RequestOptions = {}): RequestInit {
  const merged: Record<string, string | undefined> = {
    authorization: FOOBAR,
    "content-type": "application/json",
    ...init.headers,
  };
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(merged)) if (v !== undefined) headers[k] = v;
  const body =
    init.body === undefined
      ? undefined
      : typeof init.body === "string"
        ? init.body
        : JSON.stringify(init.body);
  return { method, headers, body };
}

export interface Harness {
  /** The app; opens its storage on first use. */
  app(): Promise<Hono<AppEnv>>;
  /** The app's storage engine (opened with the app). */
  storage(): Promise<StorageEngine>;
  readonly metrics: ApiMetrics;
  /** A request to `BASE + path`; `body` objects are sent as JSON. Default user foobar, JSON content type. */
  request(method: string, path: string, init?: RequestOptions): Promise<Response>;
}

export function harness(
  db: () => SqlDriver,
  overrides: Partial<ApiOptions> = {},
  status: StatusSource = EMPTY_STATUS_SOURCE,
): Harness {
  const metrics = new ApiMetrics({ defaultMetrics: false });
  let app: Promise<Hono<AppEnv>> | undefined;
  let engine: Promise<StorageEngine> | undefined;
  // Registered in the describe block that makes the harness, so metricd stops
  // before the block's indexer closes (hooks run in reverse order).
  afterAll(async () => {
    if (engine !== undefined) await closeTestStorage(await engine);
  });
  const getApp = () => {
    engine ??= openTestStorage(db());
    app ??= engine.then((storage) =>
      createApp({
        options: { ...FIXTURE_OPTIONS, ...overrides },
        db: db(),
        storage,
        status,
        metrics,
        logger: createLogger("silent"),
        version: "4.4.2",
      }),
    );
    return app;
  };
  return {
    app: getApp,
    async storage() {
      await getApp();
      return engine!;
    },
    metrics,
    async request(method, path, init = {}) {
      return (await getApp()).request(`${BASE}${path}`, requestInit(method, init));
    },
  };
}

export const admin = (extra: Record<string, string> = {}) => ({ authorization: ADMIN, ...extra });
