import { aggregateSerie, lowerBound } from "./aggregate.js";
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
  readonly methods: readonly string[];
}

export function processingPlan(policy: ArchivePolicy): ProcessingPlan {
  return {
    blockSize: archivePolicyBlockSize(policy),
    mutableBlocks: archivePolicyMutableBlocks(policy),
    granularities: policy.definition.map((item) => item.granularity),
    methods: policy.aggregationMethods,
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
 * yet or its buffer was unreadable: then every measure is accepted).
 */
export function processMeasures(
  plan: ProcessingPlan,
  buffer: TimeSerie | undefined,
  measures: TimeSerie,
): ProcessedMeasures {
  const sorted = sortMeasures(measures);
  const previous = buffer ?? EMPTY_SERIE;
  let fresh = sorted;
  if (previous.timestamps.length > 0) {
    const cutoff = firstBlockTimestamp(previous, plan);
    const firstKept = lowerBound(sorted.timestamps, cutoff);
    fresh = {
      timestamps: sorted.timestamps.subarray(firstKept),
      values: sorted.values.subarray(firstKept),
    };
  }
  const dropped = sorted.timestamps.length - fresh.timestamps.length;
  if (fresh.timestamps.length === 0) {
    return { buffer: previous, aggregates: [], accepted: 0, dropped };
  }

  const merged = mergeSeries(previous, fresh);
  const tstamp = Math.max(merged.timestamps[0]!, fresh.timestamps[0]!);
  const aggregates: AggregatedTimeSerie[] = [];
  for (const granularity of plan.granularities) {
    aggregates.push(
      ...aggregateSerie(merged, granularity, plan.methods, floorTime(tstamp, granularity)),
    );
  }

  const keepFrom = lowerBound(merged.timestamps, firstBlockTimestamp(merged, plan));
  const trimmed: TimeSerie = {
    timestamps: merged.timestamps.slice(keepFrom),
    values: merged.values.slice(keepFrom),
  };
  return { buffer: trimmed, aggregates, accepted: fresh.timestamps.length, dropped };
}
