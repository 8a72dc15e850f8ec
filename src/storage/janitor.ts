/**
 * The janitor (spec carbonara §10.6): for each metric marked deleted, drop its
 * pending measures, delete its aggregate storage, then expunge its row. Each
 * metric is handled under its sack's lock, so a processing cycle that already
 * looked the metric up as active cannot write its storage back afterwards.
 * Every step is idempotent: a crash half-way is finished by the next run.
 */
import type { AggregateStore } from "./aggregate-store.js";
import type { IncomingStore } from "./incoming.js";
import type { MetricCatalog } from "./metric-catalog.js";
import type { SackLocks } from "./sack-lock.js";
import type { SeriesCache } from "./series-cache.js";

export interface JanitorOptions {
  readonly incoming: IncomingStore;
  readonly aggregates: AggregateStore;
  readonly catalog: MetricCatalog;
  readonly locks: SackLocks;
  readonly cache?: SeriesCache;
  /** How long to wait for a busy sack before leaving the metric for the next run (default 10 s). */
  readonly lockTimeoutMs?: number;
}

export class Janitor {
  /** Metrics expunged since start. */
  expunged = 0;
  constructor(private readonly options: JanitorOptions) {}

  /** One pass; returns the number of metrics expunged. */
  async run(): Promise<number> {
    const { incoming, aggregates, catalog, locks, cache } = this.options;
    let done = 0;
    for (const id of await catalog.deletedMetrics()) {
      const lease = await locks.acquire(incoming.sackOf(id), this.options.lockTimeoutMs ?? 10_000);
      try {
        await incoming.drop([id]);
        await aggregates.deleteMetric(id);
        cache?.invalidateMetric(id);
      } finally {
        await lease.release();
      }
      await catalog.expunge(id);
      done++;
      this.expunged++;
    }
    return done;
  }
}
