/**
 * The read path (spec carbonara §7, §8, §10.5, §10.7): aggregated measures of
 * one (metric, method, granularity) over [from, to), API `refresh`, and the
 * backlog figures of `/v1/status`.
 *
 * Reads touch only the split keys in range (§7 step 2): keys come from the
 * store's index, the newest splits usually from the decoded-series cache, the
 * rest are read in one batch and decoded. Damaged splits are reported and
 * skipped, never mixed into the result.
 */
import {
  type CalendarLetter,
  calendarPeriodStart,
  resampleCalendar,
  resampleSerie,
} from "../carbonara/resample.js";
import {
  concatSeries,
  sliceAggregated,
  sliceSerie,
  truncateToTimespan,
} from "../carbonara/series-ops.js";
import { splitKey, splitSpan } from "../carbonara/split-key.js";
import type { Micros } from "../carbonara/time.js";
import type { TimeSerie } from "../carbonara/timeserie.js";
import type { AggregateStore, SplitId } from "./aggregate-store.js";
import { canonicalMetricId } from "./common.js";
import type { Backlog, IncomingStore } from "./incoming.js";
import type { MetricProcessor } from "./metric-processor.js";
import { acquireSacks, type SackLocks, SackLockTimeoutError } from "./sack-lock.js";
import {
  type AssembledSerie,
  assembledKey,
  type SeriesCache,
  splitCacheKey,
  tailKey,
} from "./series-cache.js";
import type { CorruptionReporter } from "./series-corruption.js";

/** `[api] operation_timeout` (spec §10.5). */
export const DEFAULT_REFRESH_TIMEOUT_MS = 10_000;

export interface AggregateQuery {
  readonly metricId: string;
  readonly method: string;
  readonly granularity: Micros;
  /** The aggregation's timespan in the metric's archive policy (null: unlimited). */
  readonly timespan: Micros | null;
  /** Inclusive, rounded down to the (resampled) bucket. */
  readonly from?: Micros;
  /** Exclusive on bucket start. */
  readonly to?: Micros;
  /** A coarser fixed granularity (§8.1) or a calendar grouping (§8.2). */
  readonly resample?: Micros | CalendarLetter;
}

/**
 * The points of a read. The arrays may be views into the shared cache (a warm
 * read allocates no copy): callers must treat them as read-only.
 */
export interface AggregateResult {
  /** The granularity of the points: the stored one, the resampled one, or the calendar letter. */
  readonly granularity: Micros | CalendarLetter;
  readonly timestamps: Float64Array;
  readonly values: Float64Array;
}

/**
 * A read for PromQL (`getMillis`): the points of an aggregation with their
 * times in ms. May be views into the shared cache: read-only.
 */
export interface MillisResult {
  /** Bucket starts, ms (the stored µs / 1000). */
  readonly timestamps: Float64Array;
  readonly values: Float64Array;
  /** No value is NaN (so no staleness marker either). */
  readonly nanFree: boolean;
}

/** `refresh` could not take the sack locks in time: the API answers 503. */
export class RefreshTimeoutError extends Error {
  readonly status = 503;
  constructor(
    readonly metricIds: readonly string[],
    readonly timeoutMs: number,
  ) {
    super(`could not process pending measures within ${timeoutMs} ms (sacks busy)`);
    this.name = "RefreshTimeoutError";
  }
}

export interface AggregateReaderOptions {
  readonly aggregates: AggregateStore;
  readonly incoming: IncomingStore;
  readonly locks: SackLocks;
  /** Processes pending measures for `refresh`; shares its cache and reporter with the reader. */
  readonly processor: MetricProcessor;
}

export interface ReaderStats {
  reads: number;
  splitsFromCache: number;
  splitsFromStore: number;
  corruptSplits: number;
  refreshes: number;
  /** Reads answered by slicing a cached assembled series. */
  assembledHits: number;
}

export class AggregateReader {
  readonly stats: ReaderStats = {
    reads: 0,
    splitsFromCache: 0,
    splitsFromStore: 0,
    corruptSplits: 0,
    refreshes: 0,
    assembledHits: 0,
  };
  private readonly aggregates: AggregateStore;
  private readonly incoming: IncomingStore;
  private readonly locks: SackLocks;
  private readonly processor: MetricProcessor;
  private readonly cache: SeriesCache;
  private readonly corruption: CorruptionReporter;

  constructor(options: AggregateReaderOptions) {
    this.aggregates = options.aggregates;
    this.incoming = options.incoming;
    this.locks = options.locks;
    this.processor = options.processor;
    this.cache = options.processor.cache;
    this.corruption = options.processor.corruption;
  }

  /**
   * The aggregated points, or undefined when the metric has no data at all
   * (never processed: REST answers `[]`, §4.6). A metric with data but nothing
   * in range gives empty arrays.
   */
  async getMeasures(query: AggregateQuery): Promise<AggregateResult | undefined> {
    return (await this.read(query))?.result;
  }

  /** getMeasures, with the assembled series the result was sliced from (when it was). */
  private async read(query: AggregateQuery): Promise<
    | {
        readonly result: AggregateResult;
        readonly id: string;
        readonly key: string;
        readonly assembled: AssembledSerie | undefined;
      }
    | undefined
  > {
    this.stats.reads++;
    const id = canonicalMetricId(query.metricId);
    const { method, granularity, from, to } = query;
    const generation = this.cache.generation(id);
    const keys = await this.aggregates.listSplitKeys(id, method, granularity);
    if (keys.length === 0 && !(await this.aggregates.hasMetric(id))) return undefined;

    // §7 step 2: only the keys of [from, to].
    const lo = from === undefined ? Number.NEGATIVE_INFINITY : splitKey(from, granularity);
    const hi = to === undefined ? Number.POSITIVE_INFINITY : splitKey(to, granularity);
    const aKey = assembledKey(id, method, granularity);
    const assembled = this.cache.getAssembled(aKey, generation);
    if (assembled !== undefined && covers(assembled, keys, lo, hi)) {
      // Warm: the points of the wanted splits are a slice of the assembled series.
      this.stats.assembledHits++;
      const serie = sliceSerie(assembled.serie, lo, hi + splitSpan(granularity));
      return { result: this.finish(serie, query), id, key: aKey, assembled };
    }
    const serie = await this.readSplits(id, method, granularity, keys, lo, hi, generation);
    return { result: this.finish(serie, query), id, key: aKey, assembled: undefined };
  }

  /**
   * `getMeasures` (without resampling) with the times in ms, for PromQL. The
   * ms times of an aggregation's assembled series are kept beside it in the
   * cache (8 bytes per point more), so a dashboard refreshing the same
   * panels slices them instead of converting every point of every series
   * each time (for 1,000 series over a year at 1 h that conversion was a
   * fifth of the query). Of a windowed read's run of splits (a dashboard's
   * last day) only the points read are kept in ms: all of it would cost the
   * cache half as much again as the run itself, for a few points read.
   */
  async getMillis(query: Omit<AggregateQuery, "resample">): Promise<MillisResult | undefined> {
    const read = await this.read(query);
    if (read === undefined) return undefined;
    const { result: r, id, key } = read;
    // Read from the splits: the series it assembled, if it kept one.
    const a = read.assembled ?? this.cache.getAssembled(key, this.cache.generation(id));
    const us = a?.serie.timestamps;
    // The result maps onto the cached times only when it is a view of that very series.
    if (a === undefined || us === undefined || r.timestamps.buffer !== us.buffer)
      return {
        timestamps: microsToMillis(r.timestamps),
        values: r.values,
        nanFree: !hasNaN(r.values),
      };
    const offset = (r.timestamps.byteOffset - us.byteOffset) / 8;
    const length = r.timestamps.length;
    let millis = a.millis;
    if (
      millis === undefined ||
      offset < millis.offset ||
      offset + length > millis.offset + millis.timestamps.length
    ) {
      millis = holdsAll(a)
        ? { timestamps: microsToMillis(us), offset: 0, nanFree: !hasNaN(a.serie.values) }
        : { timestamps: microsToMillis(r.timestamps), offset, nanFree: !hasNaN(r.values) };
      this.cache.putAssembled(id, key, { ...a, millis });
    }
    const from = offset - millis.offset;
    return {
      timestamps: millis.timestamps.subarray(from, from + length),
      values: r.values,
      nanFree: millis.nanFree,
    };
  }

  /** Reads, decodes and concatenates the splits with keys in [lo, hi] (cache first). */
  private async readSplits(
    id: string,
    method: string,
    granularity: Micros,
    keys: readonly Micros[],
    lo: Micros,
    hi: Micros,
    generation: number,
  ): Promise<TimeSerie> {
    const wanted: SplitId[] = [];
    for (const key of keys) if (key >= lo && key <= hi) wanted.push({ method, granularity, key });

    const parts: (TimeSerie | undefined)[] = new Array(wanted.length);
    const missing: number[] = [];
    // The newest split is usually the processor's tail (encoded chunks + open tail).
    const tail = this.cache.peekTail(tailKey(id, method, granularity));
    wanted.forEach((split, i) => {
      const key = splitCacheKey(id, method, granularity, split.key);
      let cached = this.cache.get(key);
      if (cached === undefined && tail !== undefined && tail.key === split.key) {
        cached = tail.toSerie();
        this.cache.putIfCurrent(id, generation, key, cached);
      }
      if (cached !== undefined) {
        parts[i] = cached;
        this.stats.splitsFromCache++;
      } else missing.push(i);
    });
    if (missing.length > 0) {
      const bytes = await this.aggregates.getSplits(
        id,
        missing.map((i) => wanted[i]!),
      );
      missing.forEach((i, k) => {
        const split = wanted[i]!;
        const b = bytes[k];
        this.stats.splitsFromStore++;
        if (b === undefined) {
          // Listed by the index but not returned: the store's checksum failed
          // (it reported the details), or retention deleted it meanwhile.
          this.stats.corruptSplits++;
          this.corruption.report({
            metricId: id,
            object: "split",
            split,
            detail: "listed but unreadable (store checksum failed or deleted concurrently)",
          });
          return;
        }
        const serie = this.corruption.decodeSplit(id, split, b);
        if (serie === undefined) {
          this.stats.corruptSplits++;
          return;
        }
        parts[i] = serie;
        // Warm reads then skip the decode; the LRU bound keeps memory in check.
        this.cache.putIfCurrent(
          id,
          generation,
          splitCacheKey(id, method, granularity, split.key),
          serie,
        );
      });
    }
    const present: TimeSerie[] = [];
    for (const p of parts) if (p !== undefined) present.push(p);
    const serie = concatSeries(present);
    if (present.length === wanted.length && wanted.length > 0) {
      // Every wanted split, all intact: later reads of them (or of fewer) slice
      // this one; a dashboard's last day is the newest splits of a longer archive.
      const stored = this.cache.putAssembled(id, assembledKey(id, method, granularity), {
        serie,
        generation,
        keys, // the store's own read-only list: a change of split set makes a new one
        firstKey: wanted[0]!.key,
        lastKey: wanted[wanted.length - 1]!.key,
      });
      // Its splits only serve to rebuild it after a change: they go before anything else.
      if (stored)
        for (const split of wanted)
          this.cache.demote(splitCacheKey(id, method, granularity, split.key));
    }
    return serie;
  }

  /** Steps 4–6 of §7: truncation, resampling, slicing. */
  private finish(fetched: TimeSerie, query: AggregateQuery): AggregateResult {
    const { method, granularity, from, to } = query;
    let serie = fetched;
    // Step 4: truncation relative to the newest fetched point.
    serie = truncateToTimespan(serie, query.timespan);
    let resultGranularity: Micros | CalendarLetter = granularity;
    if (query.resample !== undefined) {
      if (typeof query.resample === "string") {
        serie = resampleCalendar(serie, method, query.resample);
        resultGranularity = query.resample;
      } else {
        serie = resampleSerie(serie, method, query.resample);
        resultGranularity = query.resample;
      }
    }
    // Step 6: slice [floor(from), to).
    if (typeof resultGranularity === "string") {
      const start =
        from === undefined
          ? Number.NEGATIVE_INFINITY
          : calendarPeriodStart(from, resultGranularity);
      serie = sliceSerie(serie, start, to ?? Number.POSITIVE_INFINITY);
    } else {
      serie = sliceAggregated(serie, resultGranularity, from, to);
    }
    return { granularity: resultGranularity, timestamps: serie.timestamps, values: serie.values };
  }

  /**
   * Processes the pending measures of `metricIds` now (spec §10.5): takes
   * their sacks' locks (blocking, ascending, up to `timeoutMs`), then runs the
   * sack processing restricted to those metrics. RefreshTimeoutError (503)
   * when a lock is not obtained in time.
   */
  async refresh(
    metricIds: readonly string[],
    timeoutMs = DEFAULT_REFRESH_TIMEOUT_MS,
  ): Promise<void> {
    this.stats.refreshes++;
    const ids = [...new Set(metricIds.map((m) => canonicalMetricId(m)))];
    const backlog = await this.incoming.backlog(ids);
    if (backlog.batches === 0) return;
    const bySack = new Map<number, Set<string>>();
    for (const id of backlog.perMetric.keys()) {
      const sack = this.incoming.sackOf(id);
      let set = bySack.get(sack);
      if (set === undefined) {
        set = new Set();
        bySack.set(sack, set);
      }
      set.add(id);
    }
    let leases: Awaited<ReturnType<typeof acquireSacks>>;
    try {
      leases = await acquireSacks(this.locks, bySack.keys(), timeoutMs);
    } catch (error) {
      if (error instanceof SackLockTimeoutError) throw new RefreshTimeoutError(ids, timeoutMs);
      throw error;
    }
    try {
      for (const lease of leases) {
        await this.processor.processSack(lease.sack, bySack.get(lease.sack)!);
      }
    } finally {
      for (const lease of leases) await lease.release();
    }
  }

  /** Backlog for `/v1/status` (§10.7): metrics and batches waiting (optionally of some metrics). */
  backlog(metricIds?: readonly string[]): Promise<Backlog> {
    return this.incoming.backlog(metricIds);
  }

  /** Damaged splits and buffers seen so far (reads and processing). */
  get corruptionCount(): number {
    return this.corruption.count;
  }
}

/** µs → ms in a new array. */
function microsToMillis(us: Float64Array): Float64Array {
  const n = us.length;
  const ms = new Float64Array(n);
  for (let i = 0; i < n; i++) ms[i] = us[i]! / 1000;
  return ms;
}

function hasNaN(values: Float64Array): boolean {
  for (let i = 0; i < values.length; i++) if (Number.isNaN(values[i]!)) return true;
  return false;
}

/** Whether `a` holds every split of its aggregation (not only a windowed read's run). */
function holdsAll(a: AssembledSerie): boolean {
  return a.firstKey === a.keys[0] && a.lastKey === a.keys[a.keys.length - 1];
}

/**
 * Whether `a` holds every split a read of keys [lo, hi] wants: the aggregation
 * still has exactly the keys it was assembled from, and those in [lo, hi] lie
 * within the run it holds.
 */
function covers(a: AssembledSerie, keys: readonly number[], lo: number, hi: number): boolean {
  const kept = a.keys;
  if (kept.length !== keys.length) return false;
  if (kept !== keys) for (let i = 0; i < kept.length; i++) if (kept[i] !== keys[i]) return false;
  for (const k of keys) if (k >= lo && k <= hi && (k < a.firstKey || k > a.lastKey)) return false;
  return true;
}
