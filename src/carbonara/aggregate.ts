import type { AggregationMethod } from "./aggregation-methods.js";
import { type BucketReducer, bucketReducer, requireAggregationMethod } from "./aggregators.js";
import { floorTime, type Micros } from "./time.js";
import type { AggregatedTimeSerie, TimeSerie } from "./timeserie.js";

/**
 * Grouping of points into epoch-aligned buckets (spec carbonara §3) and
 * reduction of each bucket by an aggregation method (§5, §5.1). The same code
 * serves the write path (raw points → stored aggregates) and read-time
 * resampling (aggregates → coarser aggregates, fixed or by calendar, §8).
 */

/** Where bucket boundaries fall: epoch-aligned multiples of a granularity, or calendar periods (§8.2). */
export interface Bucketing {
  /** Start of the bucket holding `t`. */
  bucketStart(t: Micros): Micros;
  /** Start of the bucket following the one that starts at `start`. */
  nextBucketStart(start: Micros): Micros;
}

export function fixedBucketing(granularity: Micros): Bucketing {
  return {
    bucketStart: (t) => floorTime(t, granularity),
    nextBucketStart: (start) => start + granularity,
  };
}

/** Bucket layout of a slice of a series: bucket k holds points [bounds[k], bounds[k+1]). */
interface Buckets {
  readonly count: number;
  readonly starts: Float64Array;
  readonly bounds: Int32Array;
}

/** Growable scratch space reused across calls so the hot path allocates per batch, not per point. */
class Scratch {
  starts = new Float64Array(1024);
  bounds = new Int32Array(1025);
  sort = new Float64Array(1024);
  deltaTimes = new Float64Array(1024);
  deltaValues = new Float64Array(1024);

  ensure(points: number): void {
    if (this.starts.length < points) {
      const size = Math.max(points, this.starts.length * 2);
      this.starts = new Float64Array(size);
      this.bounds = new Int32Array(size + 1);
      this.sort = new Float64Array(size);
      this.deltaTimes = new Float64Array(size);
      this.deltaValues = new Float64Array(size);
    }
  }
}

const scratch = new Scratch();

/** First index whose timestamp is ≥ t (binary search on ascending timestamps). */
export function lowerBound(
  timestamps: Float64Array,
  t: number,
  from = 0,
  to = timestamps.length,
): number {
  let lo = from;
  let hi = to;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (timestamps[mid]! < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function bucketize(
  timestamps: Float64Array,
  from: number,
  to: number,
  bucketing: Bucketing,
): Buckets {
  const { starts, bounds } = scratch;
  let count = 0;
  let currentEnd = Number.NEGATIVE_INFINITY;
  for (let i = from; i < to; i++) {
    const t = timestamps[i]!;
    if (t >= currentEnd) {
      const start = bucketing.bucketStart(t);
      starts[count] = start;
      bounds[count] = i;
      count++;
      currentEnd = bucketing.nextBucketStart(start);
    }
  }
  bounds[count] = to;
  return { count, starts, bounds };
}

function reduceBuckets(values: Float64Array, buckets: Buckets, reducer: BucketReducer): TimeSerie {
  const { count, starts, bounds } = buckets;
  // One allocation for both columns: typed arrays are costly to allocate.
  const out = new Float64Array(2 * count);
  const outTimes = out.subarray(0, count);
  const outValues = out.subarray(count);
  let n = 0;
  const minPoints = reducer.minPoints;
  for (let k = 0; k < count; k++) {
    const from = bounds[k]!;
    const to = bounds[k + 1]!;
    if (to - from < minPoints) continue;
    outTimes[n] = starts[k]!;
    outValues[n] = reducer.reduce(values, from, to, scratch.sort);
    n++;
  }
  return {
    timestamps: n === count ? outTimes : outTimes.subarray(0, n),
    values: n === count ? outValues : outValues.subarray(0, n),
  };
}

/**
 * Reductions of buckets holding one point each: every method of one
 * `aggregateSerie` call shares the bucket starts, and methods that reduce
 * alike share their values (the results are read-only, like every series).
 */
class Singles {
  private static readonly KINDS = ["value", "plusZero", "one"] as const;
  /** The bucket starts, then one column per kind (one allocation: typed arrays are costly). */
  private readonly columns: Float64Array;
  private readonly times: Float64Array;
  private readonly filled = [false, false, false];

  constructor(
    private readonly values: Float64Array,
    private readonly from: number,
    buckets: Buckets,
  ) {
    const n = buckets.count;
    this.columns = new Float64Array(4 * n);
    this.times = this.columns.subarray(0, n);
    this.times.set(buckets.starts.subarray(0, n));
  }

  serie(kind: (typeof Singles.KINDS)[number]): TimeSerie {
    const k = Singles.KINDS.indexOf(kind);
    const n = this.times.length;
    const out = this.columns.subarray((k + 1) * n, (k + 2) * n);
    if (!this.filled[k]) {
      if (kind === "one") out.fill(1);
      else {
        out.set(this.values.subarray(this.from, this.from + n));
        if (kind === "plusZero") for (let i = 0; i < n; i++) out[i] = 0 + out[i]!;
      }
      this.filled[k] = true;
    }
    return { timestamps: this.times, values: out };
  }
}

/**
 * Differences between consecutive points from `historyFrom` on, each
 * attributed to the later point, keeping those at or after `start` (§5.1).
 * The result lives in scratch space until the next call.
 */
function deltasFrom(serie: TimeSerie, historyFrom: number, start: number): TimeSerie {
  const { timestamps, values } = serie;
  const first = lowerBound(timestamps, historyFrom);
  const { deltaTimes, deltaValues } = scratch;
  let n = 0;
  for (let i = first + 1; i < timestamps.length; i++) {
    const t = timestamps[i]!;
    if (t < start) continue;
    deltaTimes[n] = t;
    deltaValues[n] = values[i]! - values[i - 1]!;
    n++;
  }
  return { timestamps: deltaTimes.subarray(0, n), values: deltaValues.subarray(0, n) };
}

/**
 * Groups the points of `serie` at or after `start` (a bucket start) into
 * buckets and reduces each with `reducer`; with `rate`, the consecutive
 * differences are reduced instead, with the bucket before `start` as history
 * (spec §5.1). This is the one grouping loop behind the write path and fixed
 * and calendar resampling.
 */
export function groupSerie(
  serie: TimeSerie,
  bucketing: Bucketing,
  reducer: BucketReducer,
  options: { readonly rate?: boolean; readonly start?: number } = {},
): TimeSerie {
  const start = options.start ?? Number.NEGATIVE_INFINITY;
  scratch.ensure(serie.timestamps.length + 1);
  let source = serie;
  if (options.rate) {
    const historyFrom =
      start === Number.NEGATIVE_INFINITY ? start : bucketing.bucketStart(start - 1);
    source = deltasFrom(serie, historyFrom, start);
  }
  const { timestamps, values } = source;
  const buckets = bucketize(
    timestamps,
    lowerBound(timestamps, start),
    timestamps.length,
    bucketing,
  );
  return reduceBuckets(values, buckets, reducer);
}

/**
 * Aggregates the points of `serie` at or after `start` into buckets of
 * `granularity`, one series per method. Buckets without points produce
 * nothing; the bucket layout is computed once and shared by every method.
 */
export function aggregateSerie(
  serie: TimeSerie,
  granularity: Micros,
  methods: readonly (string | AggregationMethod)[],
  start: number = Number.NEGATIVE_INFINITY,
): AggregatedTimeSerie[] {
  const { timestamps, values } = serie;
  scratch.ensure(timestamps.length + 1);
  const bucketing = fixedBucketing(granularity);
  const parsed = methods.map(requireAggregationMethod);
  const results: AggregatedTimeSerie[] = new Array(parsed.length);
  let buckets: Buckets | undefined;
  let singles: Singles | undefined;
  // Rate methods reuse the scratch bucket arrays, so they run after the plain ones.
  for (let m = 0; m < parsed.length; m++) {
    const method = parsed[m]!;
    if (method.rate) continue;
    const from = lowerBound(timestamps, start);
    buckets ??= bucketize(timestamps, from, timestamps.length, bucketing);
    const reducer = bucketReducer(method);
    let reduced: TimeSerie;
    if (buckets.count === timestamps.length - from && reducer.single !== undefined) {
      // One point per bucket (the finest granularity, usually): no call per bucket.
      singles ??= new Singles(values, from, buckets);
      reduced = singles.serie(reducer.single);
    } else {
      reduced = reduceBuckets(values, buckets, reducer);
    }
    results[m] = {
      timestamps: reduced.timestamps,
      values: reduced.values,
      method: method.name,
      granularity,
    };
  }
  for (let m = 0; m < parsed.length; m++) {
    const method = parsed[m]!;
    if (!method.rate) continue;
    const reduced = groupSerie(serie, bucketing, bucketReducer(method), { rate: true, start });
    results[m] = {
      timestamps: reduced.timestamps,
      values: reduced.values,
      method: method.name,
      granularity,
    };
  }
  return results;
}
