/**
 * Metrics looked up by id, kept between requests while the indexer has not
 * been written to. A `GET .../measures` otherwise spends a good part of its
 * CPU on that one SELECT (PGlite runs PostgreSQL in WASM in this process).
 *
 * Only for the embedded indexer: PGlite's data directory belongs to this one
 * process, and every write to it from the API goes through the driver
 * {@link trackWrites} returns, so a write counter here sees each of them.
 * Any statement other than a SELECT and any transaction moves the counter
 * when it starts and again when it ends, and a change of the counter drops
 * every kept metric; a lookup that overlapped a write is not kept. So a
 * deleted metric, a detached or changed resource, an edited archive policy
 * are never answered from here. The other writers of this process (metricd's
 * janitor expunging metrics already marked deleted, statsd, remote write and
 * InfluxDB creating new rows) do not change an active metric's row, its
 * policy or its resource. With PostgreSQL other processes write too: no cache.
 */
import type { Row, SqlDriver, SqlExecutor, SqlParam } from "../indexer/driver.js";
import type { MetricDetail } from "../indexer/metric-store.js";

/** Metrics kept at most (a few hundred bytes each). */
const MAX_METRICS = 10_000;

export class MetricCache {
  #writes = 0;
  #keptAt = 0;
  readonly #metrics = new Map<string, MetricDetail>();

  /** A write began or ended. */
  bump(): void {
    this.#writes++;
  }

  /** The metric `id`, from `load` unless kept since the last write. */
  async get(id: string, load: () => Promise<MetricDetail>): Promise<MetricDetail> {
    if (this.#keptAt !== this.#writes) {
      this.#metrics.clear();
      this.#keptAt = this.#writes;
    }
    const kept = this.#metrics.get(id);
    if (kept !== undefined) return kept;
    const before = this.#writes;
    const metric = await load();
    if (this.#writes === before && this.#keptAt === before) {
      if (this.#metrics.size >= MAX_METRICS) this.#metrics.clear();
      this.#metrics.set(id, metric);
    }
    return metric;
  }
}

const caches = new WeakMap<SqlExecutor, MetricCache>();

/** The metric cache of a driver {@link trackWrites} returned; undefined for any other. */
export function metricCacheOf(db: SqlExecutor): MetricCache | undefined {
  return caches.get(db);
}

const isRead = (sql: string): boolean => /^\s*select\b/i.test(sql);

/**
 * `driver` with its writes counted by a new {@link MetricCache}, for
 * PGlite; a PostgreSQL driver is given back as is (no cache).
 */
export function trackWrites(driver: SqlDriver): SqlDriver {
  if (driver.kind !== "pglite") return driver;
  const cache = new MetricCache();
  const tracked: SqlDriver = {
    kind: driver.kind,
    async query<T extends object = Row>(sql: string, params?: readonly SqlParam[]) {
      if (isRead(sql)) return driver.query<T>(sql, params);
      cache.bump();
      try {
        return await driver.query<T>(sql, params);
      } finally {
        cache.bump();
      }
    },
    async transaction(fn) {
      cache.bump();
      try {
        return await driver.transaction(fn);
      } finally {
        cache.bump();
      }
    },
    close: () => driver.close(),
  };
  caches.set(tracked, cache);
  return tracked;
}
