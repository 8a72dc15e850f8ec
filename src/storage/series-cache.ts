/**
 * A bounded in-memory cache of decoded series (issue 4): each metric's raw
 * buffer and the newest split of each of its aggregations, so steady ingest
 * neither re-reads nor re-decodes them every cycle, and warm reads skip the
 * decode. LRU by bytes: the typed arrays' backing buffers plus a fixed
 * per-entry overhead are counted, and inserting evicts the least recently
 * used entries until the total is within `maxBytes` (an entry larger than the
 * limit is not kept).
 *
 * Consistency: only the processor (under the metric's sack lock) changes a
 * metric, and it updates the cache after its commit is durable. Readers that
 * decode from the store may insert what they read, but only through
 * `putIfCurrent` with the metric's generation taken before reading: any
 * commit in between bumps the generation and the stale insert is refused.
 */
import type { Micros } from "../carbonara/time.js";
import type { TimeSerie } from "../carbonara/timeserie.js";

/** Approximate bytes of bookkeeping per entry (key string, Map slot, objects). */
export const ENTRY_OVERHEAD = 160;

export const DEFAULT_CACHE_BYTES = 256 * 1024 * 1024;

interface Entry {
  readonly metricId: string;
  readonly serie: TimeSerie;
  readonly bytes: number;
}

export interface SeriesCacheStats {
  hits: number;
  misses: number;
  evictions: number;
  /** Inserts refused because a commit happened since the caller's read. */
  staleInserts: number;
}

function serieBytes(serie: TimeSerie): number {
  const t = serie.timestamps.buffer.byteLength;
  const v = serie.values.buffer === serie.timestamps.buffer ? 0 : serie.values.buffer.byteLength;
  return t + v + ENTRY_OVERHEAD;
}

/** A copy whose arrays own exactly their bytes (so accounting is honest). */
export function compactSerie(serie: TimeSerie): TimeSerie {
  const { timestamps, values } = serie;
  if (
    timestamps.byteOffset === 0 &&
    timestamps.byteLength === timestamps.buffer.byteLength &&
    values.byteOffset === 0 &&
    values.byteLength === values.buffer.byteLength &&
    values.buffer !== timestamps.buffer
  ) {
    return serie;
  }
  return { timestamps: timestamps.slice(), values: values.slice() };
}

export function rawKey(metricId: string): string {
  return `${metricId}|raw`;
}

export function splitCacheKey(
  metricId: string,
  method: string,
  granularity: Micros,
  key: Micros,
): string {
  return `${metricId}|${method}|${granularity}|${key}`;
}

export class SeriesCache {
  readonly stats: SeriesCacheStats = { hits: 0, misses: 0, evictions: 0, staleInserts: 0 };
  private readonly entries = new Map<string, Entry>();
  private readonly byMetric = new Map<string, Set<string>>();
  private readonly generations = new Map<string, number>();
  private total = 0;

  constructor(readonly maxBytes: number = DEFAULT_CACHE_BYTES) {
    if (!(maxBytes >= 0)) throw new RangeError(`cache size must be ≥ 0, got ${maxBytes}`);
  }

  /** Bytes currently accounted (never above maxBytes). */
  get bytes(): number {
    return this.total;
  }

  get size(): number {
    return this.entries.size;
  }

  get(key: string): TimeSerie | undefined {
    const e = this.entries.get(key);
    if (e === undefined) {
      this.stats.misses++;
      return undefined;
    }
    this.stats.hits++;
    this.entries.delete(key);
    this.entries.set(key, e);
    return e.serie;
  }

  /** Stores `serie` (compacted if it is a view); the caller must not modify it afterwards. */
  put(metricId: string, key: string, serie: TimeSerie): void {
    this.delete(key);
    const owned = compactSerie(serie);
    const bytes = serieBytes(owned);
    if (bytes > this.maxBytes) return;
    this.entries.set(key, { metricId, serie: owned, bytes });
    let keys = this.byMetric.get(metricId);
    if (keys === undefined) {
      keys = new Set();
      this.byMetric.set(metricId, keys);
    }
    keys.add(key);
    this.total += bytes;
    this.evict();
  }

  delete(key: string): void {
    const e = this.entries.get(key);
    if (e === undefined) return;
    this.entries.delete(key);
    this.total -= e.bytes;
    const keys = this.byMetric.get(e.metricId);
    keys?.delete(key);
    if (keys && keys.size === 0) this.byMetric.delete(e.metricId);
  }

  /** The metric's generation, to pass to `putIfCurrent` after reading from the store. */
  generation(metricId: string): number {
    return this.generations.get(metricId) ?? 0;
  }

  /** Called by the writer when the metric's stored state changed. */
  bump(metricId: string): void {
    this.generations.set(metricId, this.generation(metricId) + 1);
  }

  /** Inserts only if no commit of the metric happened since `generation` was taken. */
  putIfCurrent(metricId: string, generation: number, key: string, serie: TimeSerie): void {
    if (this.generation(metricId) !== generation) {
      this.stats.staleInserts++;
      return;
    }
    this.put(metricId, key, serie);
  }

  /** Forgets everything about a metric (failed commit, deletion). */
  invalidateMetric(metricId: string): void {
    this.bump(metricId);
    const keys = this.byMetric.get(metricId);
    if (keys === undefined) return;
    for (const key of [...keys]) this.delete(key);
  }

  clear(): void {
    for (const id of this.byMetric.keys()) this.bump(id);
    this.entries.clear();
    this.byMetric.clear();
    this.total = 0;
  }

  private evict(): void {
    if (this.total <= this.maxBytes) return;
    for (const key of this.entries.keys()) {
      if (this.total <= this.maxBytes) break;
      this.delete(key);
      this.stats.evictions++;
    }
  }
}
