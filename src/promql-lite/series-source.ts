/**
 * What the engine reads series through. The engine collects every selector of
 * a query first (with the time range it needs), calls `select` once per
 * selector, then evaluates synchronously over the typed arrays it got back.
 *
 * Time is milliseconds since the epoch (Prometheus' unit). Samples are sorted
 * by time, one per timestamp; a value whose bits are the staleness marker
 * (NaN 0x7ff0000000000002, see `STALE_NAN_BITS`) ends the series at that time,
 * as in Prometheus. Returning samples outside [mint, maxt] is allowed (the
 * engine windows them itself); returning fewer is not.
 */
import type { LabelMatcher, Labels } from "../indexer/label-index.js";

export type { LabelMatcher, Labels };

export interface SeriesData {
  /** The full label set, `__name__` included. */
  readonly labels: Labels;
  /** Sample times, ms, ascending. */
  readonly timestamps: Float64Array;
  readonly values: Float64Array;
  /**
   * How many raw samples each point stands for, when points are bucket
   * aggregates of a downsampled archive (its `count` aggregate): then
   * `count_over_time` adds them up and `avg_over_time` weights each point
   * (a bucket mean) by them. Absent: every point is one sample.
   */
  readonly weights?: Float64Array;
  /**
   * Set when the points are the buckets of a downsampled archive (one coarser
   * than the finest the series' policy keeps): their width, ms. `rate`,
   * `irate`, `increase`, `delta`, `idelta`, `deriv`, `resets` and `changes`
   * then widen a window holding fewer than two buckets to the start of the
   * previous bucket (range-functions.ts windowStart), so `rate(x[5m])` over
   * hourly buckets is the rate between consecutive buckets, not nothing.
   */
  readonly bucketWidth?: number;
  /** The source knows no value is a staleness marker: the engine skips looking for them. */
  readonly noStale?: boolean;
}

/** What the query will do with the series (Prometheus' SelectHints), so a store can pick an archive. */
export interface SelectHints {
  /** The time range the selector covers, ms (the same as select's mint/maxt). */
  readonly start: number;
  readonly end: number;
  /** The evaluation step of the query or enclosing subquery, ms (0 for an instant query). */
  readonly step: number;
  /** The range of a range selector or subquery, ms (0 for an instant selector). */
  readonly range: number;
  /** The function or aggregation the selector is an argument of (`rate`, `max_over_time`, `sum`, …), or "". */
  readonly func: string;
  /** Grouping labels of the enclosing aggregation. */
  readonly grouping: readonly string[];
  /** `by` (true) or `without` (false) of the enclosing aggregation. */
  readonly by: boolean;
}

export interface SeriesSource {
  /** Every series matching all matchers (an absent label matches as ""), with its samples in [mint, maxt]. */
  select(
    matchers: readonly LabelMatcher[],
    mint: number,
    maxt: number,
    hints: SelectHints,
  ): Promise<readonly SeriesData[]> | readonly SeriesData[];
}

/** The bits of Prometheus' staleness marker NaN. */
export const STALE_NAN_BITS = 0x7ff0000000000002n;

/** The staleness marker as a number (store it into a Float64Array to keep the bits). */
export const STALE_NAN: number = new Float64Array(new BigUint64Array([STALE_NAN_BITS]).buffer)[0]!;

/** Whether `values[i]` carries the staleness marker's exact bits. */
export function isStaleAt(values: Float64Array, i: number): boolean {
  if (!Number.isNaN(values[i]!)) return false;
  return new BigUint64Array(values.buffer, values.byteOffset + i * 8, 1)[0] === STALE_NAN_BITS;
}
