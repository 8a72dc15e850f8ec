import { aggregateSerie, lowerBound } from "./aggregate.js";
import type { AggregationMethod } from "./aggregation-methods.js";
import { requireAggregationMethod } from "./aggregators.js";
import {
  type ArchivePolicy,
  archivePolicyBlockSize,
  archivePolicyMutableBlocks,
} from "./archive-policy.js";
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
  readonly methods: readonly (string | AggregationMethod)[];
}

export function processingPlan(policy: ArchivePolicy): ProcessingPlan {
  return {
    blockSize: archivePolicyBlockSize(policy),
    mutableBlocks: archivePolicyMutableBlocks(policy),
    granularities: policy.definition.map((item) => item.granularity),
    methods: policy.aggregationMethods.map(requireAggregationMethod),
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
  }

  /** Drops the points before index `from`. */
  dropBefore(from: number): void {
    if (from <= 0) return;
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
  if (raw.length === 0 || raw.timestamps[raw.length - 1]! < fresh.timestamps[0]!) raw.append(fresh);
  else raw.assign(mergeSeries(raw.view(), fresh));
  const merged = raw.view();
  const tstamp = Math.max(merged.timestamps[0]!, fresh.timestamps[0]!);
  const aggregates: AggregatedTimeSerie[] = [];
  for (const granularity of plan.granularities) {
    aggregates.push(
      ...aggregateSerie(merged, granularity, plan.methods, floorTime(tstamp, granularity)),
    );
  }
  raw.dropBefore(lowerBound(merged.timestamps, firstBlockTimestamp(merged, plan)));
  return { aggregates, accepted: fresh.timestamps.length, dropped };
}
