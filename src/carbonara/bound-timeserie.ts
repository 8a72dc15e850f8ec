import { aggregateSerie, lowerBound } from "./aggregate.js";
import type { AggregationMethod } from "./aggregation-methods.js";
import { requireAggregationMethod } from "./aggregators.js";
import {
  type ArchivePolicy,
  archivePolicyBlockSize,
  archivePolicyMutableBlocks,
} from "./archive-policy.js";
import { BucketFold, isFoldable } from "./bucket-fold.js";
import { mergeSeries } from "./series-ops.js";
import { floorTime, type Micros } from "./time.js";
import { type AggregatedTimeSerie, EMPTY_SERIE, type TimeSerie } from "./timeserie.js";

/**
 * The raw buffer ("bound time series", spec carbonara §4.2): per metric, the
 * raw points recent enough to still change a stored aggregate. Processing a
 * batch of measures merges them into it, recomputes the buckets they touch
 * (§4.3) and trims what can no longer change.
 */

/** What processing needs to know of an archive policy, computed once per policy. */
export interface ProcessingPlan {
  /** The largest granularity: the buffer is trimmed in whole blocks of it. */
  readonly blockSize: Micros;
  /** back_window, plus one block of history when a `rate:` method needs the previous point. */
  readonly mutableBlocks: number;
  readonly granularities: readonly Micros[];
  /** `processingPlan` parses them once (aggregation would otherwise parse the names every cycle). */
  readonly methods: readonly AggregationMethod[];
  /** The methods a kept fold of the open bucket computes (`BucketFold`), and the others. */
  readonly foldable: readonly AggregationMethod[];
  readonly unfoldable: readonly AggregationMethod[];
}

export function processingPlan(policy: ArchivePolicy): ProcessingPlan {
  return planOf({
    blockSize: archivePolicyBlockSize(policy),
    mutableBlocks: archivePolicyMutableBlocks(policy),
    granularities: policy.definition.map((item) => item.granularity),
    methods: policy.aggregationMethods,
  });
}

/** A plan from its parts (method names parsed; throws on an unknown one). */
export function planOf(
  parts: Pick<ProcessingPlan, "blockSize" | "mutableBlocks" | "granularities"> & {
    readonly methods: readonly (string | AggregationMethod)[];
  },
): ProcessingPlan {
  const methods = parts.methods.map(requireAggregationMethod);
  return {
    ...parts,
    methods,
    foldable: methods.filter(isFoldable),
    unfoldable: methods.filter((m) => !isFoldable(m)),
  };
}

/** The oldest timestamp still mutable: the block of the newest point, minus the back window. */
export function firstBlockTimestamp(buffer: TimeSerie, plan: ProcessingPlan): Micros {
  const last = buffer.timestamps[buffer.timestamps.length - 1]!;
  return floorTime(last, plan.blockSize) - plan.mutableBlocks * plan.blockSize;
}

function compareValues(a: number, b: number): number {
  if (Number.isNaN(a)) return Number.isNaN(b) ? 0 : 1;
  if (Number.isNaN(b)) return -1;
  return a - b;
}

/**
 * Sorts one batch of measures by timestamp, ties by value ascending (NaN
 * last), and keeps the first of each timestamp: within one batch the smallest
 * value wins (spec §4.1). Input arrays are not modified.
 */
export function sortMeasures(measures: TimeSerie): TimeSerie {
  const { timestamps, values } = measures;
  const n = timestamps.length;
  let ordered = true;
  for (let i = 1; i < n && ordered; i++) ordered = timestamps[i - 1]! < timestamps[i]!;
  if (ordered) return measures;

  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  order.sort((a, b) => timestamps[a]! - timestamps[b]! || compareValues(values[a]!, values[b]!));
  const outTimes = new Float64Array(n);
  const outValues = new Float64Array(n);
  let kept = 0;
  for (let i = 0; i < n; i++) {
    const t = timestamps[order[i]!]!;
    if (kept > 0 && outTimes[kept - 1] === t) continue;
    outTimes[kept] = t;
    outValues[kept] = values[order[i]!]!;
    kept++;
  }
  return { timestamps: outTimes.subarray(0, kept), values: outValues.subarray(0, kept) };
}

export interface ProcessedMeasures {
  /** The trimmed raw buffer to persist in place of the old one. */
  readonly buffer: TimeSerie;
  /**
   * Freshly computed buckets, one series per (granularity, method) of the
   * plan in that nesting order; each overwrites the same buckets in storage.
   */
  readonly aggregates: readonly AggregatedTimeSerie[];
  /** Measures merged into the buffer. */
  readonly accepted: number;
  /** Measures older than the mutable window, dropped silently (the API already answered 202). */
  readonly dropped: number;
}

/**
 * Processes one metric's pending measures (any order, any number of batches
 * concatenated) against its raw buffer (undefined when the metric has none
 * yet or its buffer was unreadable: then every measure is accepted). The
 * buffer passed in is not modified.
 */
export function processMeasures(
  plan: ProcessingPlan,
  buffer: TimeSerie | undefined,
  measures: TimeSerie,
): ProcessedMeasures {
  const raw = RawSeries.copyOf(buffer ?? EMPTY_SERIE);
  const applied = applyMeasures(plan, raw, measures);
  return {
    buffer: applied.accepted === 0 && buffer !== undefined ? buffer : raw.view(),
    ...applied,
  };
}

/**
 * A raw buffer that changes in place (metricd keeps one per hot metric):
 * in-order measures are appended and trimming shifts the points left, so a
 * steady cycle allocates nothing for it. Capacity doubles when needed.
 */
export class RawSeries {
  timestamps: Float64Array;
  values: Float64Array;
  length = 0;
  /**
   * Per granularity, the fold of the newest bucket over the buffer's points
   * (see BucketFold): valid while its `through` is the buffer's last point,
   * which only an append followed by `applyMeasures` keeps true; a merge or a
   * trim inside the bucket drops it.
   */
  readonly folds = new Map<Micros, BucketFold>();

  constructor(capacity = 16) {
    this.timestamps = new Float64Array(capacity);
    this.values = new Float64Array(capacity);
  }

  /** A RawSeries holding a copy of `serie`. */
  static copyOf(serie: TimeSerie): RawSeries {
    const n = serie.timestamps.length;
    const raw = new RawSeries(Math.max(16, n));
    raw.timestamps.set(serie.timestamps);
    raw.values.set(serie.values);
    raw.length = n;
    return raw;
  }

  /** The points as views (valid until the next change). */
  view(): TimeSerie {
    return {
      timestamps: this.timestamps.subarray(0, this.length),
      values: this.values.subarray(0, this.length),
    };
  }

  /** Bytes held by the arrays (cache accounting). */
  get memoryBytes(): number {
    return this.timestamps.byteLength + this.values.byteLength;
  }

  ensure(capacity: number): void {
    if (capacity <= this.timestamps.length) return;
    // Doubling: steady ingest reaches its final capacity in fewer (costly) allocations.
    const size = Math.max(capacity, this.timestamps.length * 2);
    const t = new Float64Array(size);
    const v = new Float64Array(size);
    t.set(this.timestamps.subarray(0, this.length));
    v.set(this.values.subarray(0, this.length));
    this.timestamps = t;
    this.values = v;
  }

  /** Appends points that all come after the last one. */
  append(serie: TimeSerie): void {
    const m = serie.timestamps.length;
    this.ensure(this.length + m);
    this.timestamps.set(serie.timestamps, this.length);
    this.values.set(serie.values, this.length);
    this.length += m;
  }

  /** Replaces the content with `serie` (copied). */
  assign(serie: TimeSerie): void {
    const n = serie.timestamps.length;
    this.ensure(n);
    this.timestamps.set(serie.timestamps);
    this.values.set(serie.values);
    this.length = n;
    this.folds.clear();
  }

  /** Drops the points before index `from`. */
  dropBefore(from: number): void {
    if (from <= 0) return;
    const lastDropped = this.timestamps[Math.min(from, this.length) - 1]!;
    for (const [granularity, fold] of this.folds) {
      if (lastDropped >= fold.start) this.folds.delete(granularity);
    }
    this.timestamps.copyWithin(0, from, this.length);
    this.values.copyWithin(0, from, this.length);
    this.length -= from;
  }
}

/**
 * `processMeasures` on a RawSeries changed in place: merges the measures
 * (late ones dropped), recomputes the touched buckets and trims what can no
 * longer change. The aggregates are fresh arrays the caller owns.
 */
export function applyMeasures(
  plan: ProcessingPlan,
  raw: RawSeries,
  measures: TimeSerie,
): Omit<ProcessedMeasures, "buffer"> {
  const sorted = sortMeasures(measures);
  let fresh = sorted;
  if (raw.length > 0) {
    const cutoff = firstBlockTimestamp(raw.view(), plan);
    const firstKept = lowerBound(sorted.timestamps, cutoff);
    fresh = {
      timestamps: sorted.timestamps.subarray(firstKept),
      values: sorted.values.subarray(firstKept),
    };
  }
  const dropped = sorted.timestamps.length - fresh.timestamps.length;
  if (fresh.timestamps.length === 0) return { aggregates: [], accepted: 0, dropped };

  // Steady ingest comes after the buffer: append in place; else merge (fresh wins).
  const previousLast = raw.length === 0 ? Number.NaN : raw.timestamps[raw.length - 1]!;
  const appendedAt = raw.length;
  if (raw.length === 0 || previousLast < fresh.timestamps[0]!) {
    raw.ensure(expectedCapacity(plan, raw, fresh));
    raw.append(fresh);
  } else raw.assign(mergeSeries(raw.view(), fresh));
  const merged = raw.view();
  const tstamp = Math.max(merged.timestamps[0]!, fresh.timestamps[0]!);
  const aggregates: AggregatedTimeSerie[] = [];
  for (const granularity of plan.granularities) {
    const start = floorTime(tstamp, granularity);
    if (plan.foldable.length === 0) {
      aggregates.push(...aggregateSerie(merged, granularity, plan.methods, start));
      continue;
    }
    let fold = raw.folds.get(granularity);
    if (fold !== undefined && fold.start === start && fold.through === previousLast) {
      aggregates.push(...resumeBucket(plan, merged, granularity, appendedAt, fold));
    } else {
      aggregates.push(...aggregateSerie(merged, granularity, plan.methods, start));
      fold ??= new BucketFold();
      fold.reset(Number.NaN);
      raw.folds.set(granularity, fold);
    }
    foldNewestBucket(merged, granularity, fold);
  }
  raw.dropBefore(lowerBound(merged.timestamps, firstBlockTimestamp(merged, plan)));
  return { aggregates, accepted: fresh.timestamps.length, dropped };
}

/**
 * Room for `fresh` after the buffer's points, and when it must grow, for as
 * many points as its whole mutable window holds at their spacing so far (at
 * most 4× what is needed): a buffer filling up over the hour grows once
 * instead of doubling several times, and each growth is a fresh allocation
 * whose pages the system must fault in.
 */
function expectedCapacity(plan: ProcessingPlan, raw: RawSeries, fresh: TimeSerie): number {
  const m = fresh.timestamps.length;
  const needed = raw.length + m;
  if (needed <= raw.timestamps.length) return needed;
  const first = raw.length > 0 ? raw.timestamps[0]! : fresh.timestamps[0]!;
  const span = fresh.timestamps[m - 1]! - first;
  if (!(span > 0)) return needed;
  const window = (plan.mutableBlocks + 1) * plan.blockSize;
  const expected = Math.ceil((needed * window) / span) + m;
  return Math.max(needed, Math.min(expected, 4 * needed));
}

/**
 * The buckets from the one holding merged[appendedAt] on, where `fold` holds
 * that bucket's points before appendedAt: the foldable methods reduce only
 * the appended points and take the first bucket's value from the fold
 * carried over them; the other methods reduce as usual. Results in the
 * plan's method order.
 */
function resumeBucket(
  plan: ProcessingPlan,
  merged: TimeSerie,
  granularity: Micros,
  appendedAt: number,
  fold: BucketFold,
): AggregatedTimeSerie[] {
  const { timestamps, values } = merged;
  const n = timestamps.length;
  const appended = {
    timestamps: timestamps.subarray(appendedAt),
    values: values.subarray(appendedAt),
  };
  const foldable = aggregateSerie(appended, granularity, plan.foldable, fold.start);
  const inBucket = lowerBound(timestamps, fold.start + granularity, appendedAt, n);
  fold.add(values, appendedAt, inBucket, timestamps[inBucket - 1]!);
  const shared = new Set<ArrayBufferLike>();
  for (let m = 0; m < foldable.length; m++) {
    const serie = foldable[m]!;
    // Series of one call may share their values (aggregateSerie's singles): copy before writing.
    let out = serie.values;
    if (shared.has(out.buffer)) out = out.slice();
    else shared.add(out.buffer);
    out[0] = fold.value(plan.foldable[m]!);
    foldable[m] = { ...serie, values: out };
  }
  if (plan.unfoldable.length === 0) return foldable;
  const others = aggregateSerie(merged, granularity, plan.unfoldable, fold.start);
  let f = 0;
  let o = 0;
  return plan.methods.map((method) => (isFoldable(method) ? foldable[f++]! : others[o++]!));
}

/** Leaves in `fold` the newest bucket's points of `merged`, folding only those it lacks. */
function foldNewestBucket(merged: TimeSerie, granularity: Micros, fold: BucketFold): void {
  const { timestamps, values } = merged;
  const n = timestamps.length;
  const last = timestamps[n - 1]!;
  const start = floorTime(last, granularity);
  if (fold.start === start && fold.through === last) return;
  fold.reset(start);
  fold.add(values, lowerBound(timestamps, start), n, last);
}
