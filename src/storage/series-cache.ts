/**
 * A bounded in-memory cache (issue 4) of what processing and reads reuse:
 * each hot metric's raw buffer (a RawSeries changed in place) and the newest
 * split of each of its aggregations (a SplitTail: sealed chunks as bytes, the
 * open tail decoded, ~1 B per point instead of 16), so steady ingest neither
 * re-reads, re-decodes nor re-encodes them every cycle; and decoded splits
 * that reads put there, so warm reads skip the decode. LRU by bytes: each
 * entry's arrays plus a fixed overhead are counted, and inserting evicts the
 * least recently used entries until the total is within `maxBytes` (an entry
 * larger than the limit is not kept).
 *
 * Consistency: only the processor (under the metric's sack lock) changes a
 * metric. It `take`s the raw buffer and split tails it changes in place out
 * of the cache, and puts them back once its commit is durable (dropped on
 * failure), so nobody sees a state that is not stored. Readers that decode
 * from the store may insert what they read, but only through `putIfCurrent`
 * with the metric's generation taken before reading: any commit in between
 * bumps the generation and the stale insert is refused.
 */
import type { RawSeries } from "../carbonara/bound-timeserie.js";
import type { SplitTail } from "../carbonara/split-tail.js";
import type { Micros } from "../carbonara/time.js";
import type { TimeSerie } from "../carbonara/timeserie.js";

/** Approximate bytes of bookkeeping per entry (key string, Map slot, objects). */
export const ENTRY_OVERHEAD = 160;

export const DEFAULT_CACHE_BYTES = 256 * 1024 * 1024;

/**
 * A read's concatenation of every stored split of an aggregation, valid while
 * the metric's generation and split keys are those it was built under: warm
 * reads slice it (views, no allocation, so no GC pause in their p99).
 */
export interface AssembledSerie {
  readonly serie: TimeSerie;
  readonly generation: number;
  /** Every split key of the aggregation when it was assembled. */
  readonly keys: readonly number[];
  /** The first and last of `keys` whose splits it holds (all of them, or the run a windowed read wanted). */
  readonly firstKey: number;
  readonly lastKey: number;
  /** What PromQL reads of it, added by its first PromQL read (see AggregateReader.getMillis). */
  readonly millis?: MillisView;
}

/**
 * An assembled series' timestamps in ms (µs / 1000, PromQL's unit), so
 * repeated queries slice them instead of converting every point again, and
 * whether any value is NaN (else the staleness scans can be skipped).
 */
export interface MillisView {
  /** The ms times of points [offset, offset + length) of the assembled series. */
  readonly timestamps: Float64Array;
  readonly offset: number;
  /** No value of those points is NaN. */
  readonly nanFree: boolean;
}

/** What an entry holds: a decoded split, a raw buffer, a split tail or an assembled series, by key kind. */
type Value = TimeSerie | RawSeries | SplitTail | AssembledSerie;

interface Entry {
  readonly metricId: string;
  readonly value: Value;
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

/** A reader's assembled series of an aggregation. */
export function assembledKey(metricId: string, method: string, granularity: Micros): string {
  return `${metricId}|${method}|${granularity}|all`;
}

/** The processor's appendable newest split of an aggregation. */
export function tailKey(metricId: string, method: string, granularity: Micros): string {
  return `${metricId}|${method}|${granularity}|tail`;
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
  /**
   * Entries another one supersedes (the decoded splits of an assembled
   * series): still served, but evicted before any entry of `entries`, so a
   * working set of assembled series that nearly fills the cache is not
   * evicted in favour of its own parts (LRU's worst case on cyclic scans).
   */
  private readonly cold = new Map<string, Entry>();
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
    return this.entries.size + this.cold.size;
  }

  /** A decoded split put by `put`/`putIfCurrent`. */
  get(key: string): TimeSerie | undefined {
    return this.lookup(key) as TimeSerie | undefined;
  }

  /** A split tail, left in the cache (read-only use: the reader decodes it). */
  peekTail(key: string): SplitTail | undefined {
    return this.lookup(key) as SplitTail | undefined;
  }

  /** An assembled series, if still valid for `generation` (a stale one is dropped). */
  getAssembled(key: string, generation: number): AssembledSerie | undefined {
    const value = this.lookup(key) as AssembledSerie | undefined;
    if (value === undefined || value.generation === generation) return value;
    this.delete(key);
    return undefined;
  }

  /** Removes and returns a raw buffer or split tail the caller is about to change. */
  take<T extends RawSeries | SplitTail>(key: string): T | undefined {
    const value = this.lookup(key) as T | undefined;
    if (value !== undefined) this.delete(key);
    return value;
  }

  private lookup(key: string): Value | undefined {
    let e = this.entries.get(key);
    if (e === undefined) {
      e = this.cold.get(key);
      if (e === undefined) {
        this.stats.misses++;
        return undefined;
      }
      this.cold.delete(key);
    } else this.entries.delete(key);
    this.stats.hits++;
    this.entries.set(key, e);
    return e.value;
  }

  /** Marks an entry as superseded: it is evicted before every other entry until used again. */
  demote(key: string): void {
    const e = this.entries.get(key);
    if (e === undefined) return;
    this.entries.delete(key);
    this.cold.set(key, e);
  }

  /** Stores `serie` (compacted if it is a view); the caller must not modify it afterwards. */
  put(metricId: string, key: string, serie: TimeSerie): void {
    const owned = compactSerie(serie);
    this.store(metricId, key, owned, serieBytes(owned));
  }

  /** Stores a raw buffer or split tail the processor owns again once `take`n. */
  putMutable(metricId: string, key: string, value: RawSeries | SplitTail): void {
    this.store(metricId, key, value, value.memoryBytes + ENTRY_OVERHEAD);
  }

  private store(metricId: string, key: string, value: Value, bytes: number): void {
    this.delete(key);
    if (bytes > this.maxBytes) return;
    this.entries.set(key, { metricId, value, bytes });
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
    const e = this.entries.get(key) ?? this.cold.get(key);
    if (e === undefined) return;
    this.entries.delete(key);
    this.cold.delete(key);
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

  /** Stores an assembled series built under `assembled.generation`, if still current (then true). */
  putAssembled(metricId: string, key: string, assembled: AssembledSerie): boolean {
    if (this.generation(metricId) !== assembled.generation) {
      this.stats.staleInserts++;
      return false;
    }
    const serie = compactSerie(assembled.serie);
    const millis = assembled.millis?.timestamps.byteLength ?? 0;
    this.store(
      metricId,
      key,
      { ...assembled, serie },
      serieBytes(serie) + 8 * assembled.keys.length + millis,
    );
    return true;
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
    this.cold.clear();
    this.byMetric.clear();
    this.total = 0;
  }

  private evict(): void {
    if (this.total <= this.maxBytes) return;
    for (const key of this.cold.keys()) {
      if (this.total <= this.maxBytes) return;
      this.delete(key);
      this.stats.evictions++;
    }
    for (const key of this.entries.keys()) {
      if (this.total <= this.maxBytes) break;
      this.delete(key);
      this.stats.evictions++;
    }
  }
}
