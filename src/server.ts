/**
 * Running gnocchi-ts: opens the indexer (PostgreSQL, or embedded PGlite
 * under the data directory) and the file stores, builds the API and serves
 * it on @hono/node-server, and shuts all of it down in order.
 *
 * - `serve`: the all-in-one process: API, metricd and janitor. On the first
 *   start of a data directory it runs `upgrade` (schema, sacks, and the
 *   default archive policies); later starts apply pending migrations only.
 * - `api`: the API alone against an indexer that `upgrade` prepared.
 * - `metricd`: measure processing and the janitor alone, no HTTP.
 * - `statsd`: the statsd UDP listener alone (no metricd, no HTTP); `serve`
 *   runs it too unless disabled, and keeps serving if its port is taken.
 */
import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";
import pg from "pg";
import type { Logger } from "pino";
import { Histogram } from "prom-client";
import type { Config } from "./config.js";
import { createApp } from "./gnocchi-api/app.js";
import { createLogger } from "./gnocchi-api/logging.js";
import { ApiMetrics } from "./gnocchi-api/metrics.js";
import { type ApiOptions, normalizePrefix } from "./gnocchi-api/options.js";
import { incomingStatusSource } from "./gnocchi-api/status.js";
import { StorageMetrics } from "./gnocchi-api/storage-metrics.js";
import type { SqlDriver, SqlExecutor } from "./indexer/driver.js";
import { openPgDriver } from "./indexer/driver-pg.js";
import { openPgliteDriver } from "./indexer/driver-pglite.js";
import { LabelStore } from "./indexer/label-store.js";
import { IndexerMetricCatalog } from "./indexer/metric-catalog.js";
import { getSacks, type UpgradeResult, upgrade } from "./indexer/upgrade.js";
import { RemoteWriteIngester } from "./remote-write/ingester.js";
import { type StatsdOptions, startStatsd } from "./statsd/index.js";
import { PgAdvisorySackLocks } from "./storage/sack-lock-pg.js";
import { StorageEngine } from "./storage/storage-engine.js";

/** The API's slice of the configuration. */
export function apiOptions(config: Config): ApiOptions {
  return {
    prefix: normalizePrefix(config.urlPrefix),
    authMode: config.authMode,
    remoteUserHeader: config.remoteUserHeader,
    maxLimit: config.maxLimit,
    enableProxyHeadersParsing: config.enableProxyHeadersParsing,
    maxBodyBytes: config.maxBodyBytes,
    measuresCacheBytes: config.measuresCacheSize * 1024 * 1024,
    defaultAggregationMethods: config.defaultAggregationMethods,
    operationTimeout: config.operationTimeout,
    cors: {
      allowedOrigins: config.corsAllowedOrigins,
      allowCredentials: config.corsAllowCredentials,
      exposeHeaders: config.corsExposeHeaders,
      maxAge: config.corsMaxAge,
      allowMethods: config.corsAllowMethods,
      allowHeaders: config.corsAllowHeaders,
    },
  };
}

/** The statsd daemon's slice of the configuration. */
export function statsdOptions(config: Config): StatsdOptions {
  return {
    host: config.statsdHost,
    port: config.statsdPort,
    resourceId: config.statsdResourceId,
    creator: config.statsdCreator === "" ? null : config.statsdCreator,
    archivePolicyName:
      config.statsdArchivePolicyName === "" ? null : config.statsdArchivePolicyName,
    // A floor, so a zero delay cannot spin.
    flushDelayMs: Math.max(100, config.statsdFlushDelay * 1000),
    resourceTag: config.statsdResourceTag === "" ? null : config.statsdResourceTag,
    resourceType: config.statsdResourceType,
  };
}

/** The indexer driver the configuration names: PostgreSQL when a URL is set, else PGlite on disk. */
export async function openIndexer(config: Config): Promise<SqlDriver> {
  if (config.databaseUrl !== "") return openPgDriver({ connectionString: config.databaseUrl });
  return openPgliteDriver({ dataDir: config.dataDir });
}

/** Schema, sacks and (on an empty indexer, if configured) the default policies. */
export function upgradeIndexer(driver: SqlDriver, config: Config): Promise<UpgradeResult> {
  return upgrade(driver, {
    sacks: config.sacks,
    createDefaultPolicies: config.createDefaultArchivePolicies,
  });
}

/** The stored sack count, or undefined when the indexer was never upgraded. */
async function storedSacks(db: SqlExecutor): Promise<number | undefined> {
  try {
    return await getSacks(db);
  } catch {
    return undefined; // no config table yet
  }
}

/** Times every indexer statement into `histogram` (label: driver kind). */
function instrumentDriver(driver: SqlDriver, histogram: Histogram<"driver">): SqlDriver {
  const timed = (executor: SqlExecutor): SqlExecutor => ({
    async query(sql, params) {
      const end = histogram.startTimer({ driver: driver.kind });
      try {
        return await executor.query(sql, params);
      } finally {
        end();
      }
    },
  });
  const outer = timed(driver);
  return {
    kind: driver.kind,
    query: outer.query,
    transaction: (fn) => driver.transaction((tx) => fn(timed(tx))),
    close: () => driver.close(),
  };
}

export interface RunningServer {
  /** `http://host:port` the server listens on. */
  readonly url: string;
  readonly port: number;
  /** Stops accepting, lets in-flight requests finish, then closes stores and the indexer. */
  close(): Promise<void>;
}

export interface StartOptions {
  /** `serve` upgrades the indexer on first start; `api` and `metricd` expect it upgraded. */
  readonly role: "serve" | "api" | "metricd" | "statsd";
  readonly logger?: Logger;
  readonly version: string;
}

export async function startServer(config: Config, options: StartOptions): Promise<RunningServer> {
  const logger = options.logger ?? createLogger(config.logLevel);
  const metrics = new ApiMetrics();
  const storageMetrics = new StorageMetrics(metrics.registry);
  const queryLatency = new Histogram({
    name: "gnocchi_indexer_query_duration_seconds",
    help: "Indexer statement latency.",
    labelNames: ["driver"],
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [metrics.registry],
  });
  const closers: (() => Promise<void>)[] = [];
  const closeAll = async () => {
    for (const close of closers.splice(0).reverse()) {
      try {
        await close();
      } catch (error) {
        logger.error({ err: error }, "error while closing");
      }
    }
  };
  try {
    const rawDriver = await openIndexer(config);
    closers.push(() => rawDriver.close());
    const db = instrumentDriver(rawDriver, queryLatency);
    let sacks = await storedSacks(db);
    if (options.role === "serve") {
      const firstStart = sacks === undefined;
      const result = await upgrade(db, {
        sacks: config.sacks,
        createDefaultPolicies: firstStart && config.createDefaultArchivePolicies,
      });
      sacks = result.sacks;
      if (firstStart) {
        logger.info(
          { sacks, defaultPolicies: result.createdDefaults },
          "initialized a new indexer",
        );
      }
    } else if (sacks === undefined) {
      throw new Error("the indexer is not initialized: run `gnocchi-ts upgrade` first");
    }
    const storage = await StorageEngine.open({
      dataDir: config.dataDir,
      sacks,
      cacheBytes: config.storageCacheSize * 1024 * 1024,
      catalog: new IndexerMetricCatalog(db),
      // Split deployments (api + metricd processes) share PostgreSQL: lock sacks there.
      ...(config.databaseUrl !== ""
        ? {
            locks: new PgAdvisorySackLocks({
              connect: async () => {
                const client = new pg.Client({
                  connectionString: config.databaseUrl,
                  application_name: "gnocchi-ts sack lock",
                });
                client.on("error", (err) => logger.warn({ err }, "sack lock session lost"));
                await client.connect();
                return client;
              },
            }),
          }
        : {}),
      metricd: {
        workers: config.metricdWorkers,
        processingDelayMs: config.metricdProcessingDelay * 1000,
        cleanupDelayMs: config.metricdCleanupDelay * 1000,
        onError: (error, context) => logger.error({ err: error, context }, "metricd error"),
        onBacklog: (backlog) => logger.info(backlog, "metricd backlog"),
        onSackProcessed: (seconds) => storageMetrics.sackDuration.observe(seconds),
      },
    });
    closers.push(() => storage.close());
    storageMetrics.attach(storage);
    if (options.role === "serve" || options.role === "metricd") storage.metricd.start();
    if (options.role === "metricd") {
      logger.info({ sacks, workers: config.metricdWorkers }, "metricd started");
      return {
        url: "",
        port: 0,
        close: async () => {
          await closeAll();
          logger.info("stopped");
        },
      };
    }

    // One label index per process, shared by PromQL and the adapters: series they store are
    // selectable at once, label sets it holds cost them no SQL. Queries pick up other
    // processes' new series themselves; the periodic refresh also drops the series they
    // expunged and follows the last_seen they stamp (see below). The `statsd` role
    // answers no queries: no index.
    let labelStore: LabelStore | undefined;
    if (options.role !== "statsd") {
      const store = await LabelStore.load(db);
      labelStore = store;
      const stopLabelRefresh = store.refreshEvery(
        db,
        Math.max(1000, config.promqlLabelRefreshInterval * 1000),
        (error) => logger.warn({ err: error }, "label index refresh failed"),
        // Only the `api` role, whose series other processes write: following stamps
        // re-reads every series stamped since the last refresh (all the active
        // ones after each 30 s flush), a cost `serve` need not pay for its own.
        { lastSeen: options.role === "api" },
      );
      closers.push(async () => stopLabelRefresh());
    }

    if (options.role === "statsd" || (options.role === "serve" && config.statsdEnabled)) {
      const statsd = await startStatsd(statsdOptions(config), {
        db,
        storage,
        logger,
        registry: metrics.registry,
        ...(labelStore !== undefined ? { labelStore } : {}),
      }).catch((error: unknown) => {
        if (options.role === "statsd") throw error;
        logger.error({ err: error }, "statsd not started; serving without it");
        return undefined;
      });
      if (statsd !== undefined) closers.push(() => statsd.close());
      if (options.role === "statsd") {
        return {
          url: "",
          port: statsd!.port,
          close: async () => {
            await closeAll();
            logger.info("stopped");
          },
        };
      }
    }

    const remoteWrite = new RemoteWriteIngester({
      db,
      incoming: storage.incoming,
      archivePolicy: config.remoteWriteArchivePolicy,
      ...(labelStore !== undefined ? { labelStore } : {}),
      logger,
    });
    closers.push(() => remoteWrite.close());
    const app = createApp({
      options: apiOptions(config),
      db,
      storage,
      status: incomingStatusSource(storage.incoming),
      metrics,
      logger,
      version: options.version,
      remoteWrite,
      labelStore,
      promqlLimits: {
        queryTimeoutMs: config.promqlQueryTimeout * 1000,
        maxSamples: config.promqlMaxSamples,
        lookbackDeltaMs: config.promqlLookbackDelta * 1000,
      },
    });
    const server = await new Promise<ReturnType<typeof serve>>((resolve, reject) => {
      const s = serve({ fetch: app.fetch, port: config.port, hostname: config.host }, () =>
        resolve(s),
      );
      s.once("error", reject);
    });
    const address = server.address() as AddressInfo;
    const url = `http://${address.family === "IPv6" ? `[${address.address}]` : address.address}:${address.port}`;
    logger.info({ url, role: options.role, prefix: apiOptions(config).prefix }, "listening");

    let closing: Promise<void> | undefined;
    return {
      url,
      port: address.port,
      close() {
        closing ??= (async () => {
          await new Promise<void>((resolve) => {
            const timer = setTimeout(() => {
              logger.warn("shutdown timeout: closing remaining connections");
              if ("closeAllConnections" in server) server.closeAllConnections();
            }, config.shutdownTimeout * 1000);
            timer.unref();
            server.close(() => {
              clearTimeout(timer);
              resolve();
            });
            if ("closeIdleConnections" in server) server.closeIdleConnections();
          });
          await closeAll();
          logger.info("stopped");
        })();
        return closing;
      },
    };
  } catch (error) {
    await closeAll();
    throw error;
  }
}
