/**
 * A process's memory of (resource id, metric name) → metric id for the
 * ingest fast path (ingest-resolver.ts), so a batch of series written again
 * (every scrape, every flush) is resolved without asking SQL for each pair.
 *
 * Correctness: a binding only disappears or changes when a metric is
 * deleted, detached, moved or renamed, or its row removed; every such
 * statement bumps `metric_binding_generation` in its own transaction
 * (trigger of migration 4). Each use first reads the committed generation
 * (one tiny statement) and drops everything when it moved, whichever
 * process made the change. New bindings need no bump: the cache has no
 * entry they contradict, and a miss goes to SQL. Entries are only added
 * from committed state (reads outside a transaction, creations after their
 * commit), so a rolled-back creation never lingers.
 *
 * Memory: at most `capacity` metric ids (default 200,000, about 30 MB);
 * beyond, the resources cached first are dropped first.
 */
import type { SqlExecutor } from "./driver.js";

interface ResourceEntry {
  /** The resource's type, when a read told it (types never change while the resource lives). */
  type: string | undefined;
  /** Metric name → metric id. */
  readonly ids: Map<string, string>;
}

export const DEFAULT_METRIC_ID_CACHE_CAPACITY = 200_000;

export class MetricIdCache {
  readonly #resources = new Map<string, ResourceEntry>();
  #size = 0;
  #generation: string | undefined;

  constructor(readonly capacity = DEFAULT_METRIC_ID_CACHE_CAPACITY) {}

  /** Number of metric ids held. */
  get size(): number {
    return this.#size;
  }

  /** Reads the committed binding generation; forgets everything if another one is current. */
  async validate(db: SqlExecutor): Promise<void> {
    const r = await db.query<{ g: string }>(
      "SELECT generation::text AS g FROM metric_binding_generation",
    );
    const generation = r.rows[0]?.g;
    if (generation !== this.#generation || generation === undefined) {
      this.clear();
      this.#generation = generation;
    }
  }

  clear(): void {
    this.#resources.clear();
    this.#size = 0;
  }

  metricId(resourceId: string, name: string): string | undefined {
    return this.#resources.get(resourceId)?.ids.get(name);
  }

  resourceType(resourceId: string): string | undefined {
    return this.#resources.get(resourceId)?.type;
  }

  /** Records a committed binding (and the resource's type when known). */
  set(resourceId: string, name: string, metricId: string, type?: string): void {
    let entry = this.#resources.get(resourceId);
    if (entry === undefined) {
      entry = { type: undefined, ids: new Map() };
      this.#resources.set(resourceId, entry);
    }
    if (type !== undefined) entry.type = type;
    if (!entry.ids.has(name)) this.#size++;
    entry.ids.set(name, metricId);
    if (this.#size > this.capacity) this.#evict();
  }

  /** Drops the resources cached first until a tenth of the capacity is free. */
  #evict(): void {
    const target = Math.floor(this.capacity * 0.9);
    for (const [rid, entry] of this.#resources) {
      if (this.#size <= target) break;
      this.#resources.delete(rid);
      this.#size -= entry.ids.size;
    }
  }
}

/** One cache per driver (a connection pool, or an embedded database). */
const perDriver = new WeakMap<object, MetricIdCache>();

export function metricIdCacheOf(driver: object): MetricIdCache {
  let cache = perDriver.get(driver);
  if (cache === undefined) {
    cache = new MetricIdCache();
    perDriver.set(driver, cache);
  }
  return cache;
}
