import { type AggregationMethod, parseAggregationMethod } from "./aggregation-methods.js";
import { UnknownAggregationMethodError } from "./errors.js";

/**
 * Per-bucket reducers (spec carbonara §5). A reducer folds the values of one
 * bucket, `values[from..to)` in timestamp order, into one number. Buckets with
 * fewer than `minPoints` values produce no point at all: that is how the
 * sample standard deviation of a single value disappears instead of becoming
 * NaN.
 *
 * NaN needs no special case beyond what the spec states: it orders after
 * every number, so `max` is NaN as soon as one input is, `min` only when all
 * are, and the order statistics pick by position in that order (typed-array
 * sort puts NaN last, exactly that order).
 */
export interface BucketReducer {
  readonly minPoints: number;
  /**
   * What a bucket of exactly one value v reduces to, when it is that simple:
   * "value" v itself, "plusZero" 0 + v (a sum: −0 becomes +0), "one" 1.
   * Lets the finest granularity (one point per bucket) skip a call per bucket.
   */
  readonly single?: "value" | "plusZero" | "one";
  /** `scratch` has room for at least `to - from` values; order statistics sort in it. */
  reduce(values: Float64Array, from: number, to: number, scratch: Float64Array): number;
}

function sum(values: Float64Array, from: number, to: number): number {
  let s = 0;
  for (let i = from; i < to; i++) s += values[i]!;
  return s;
}

function mean(values: Float64Array, from: number, to: number): number {
  return sum(values, from, to) / (to - from);
}

function min(values: Float64Array, from: number, to: number): number {
  let m = values[from]!;
  for (let i = from + 1; i < to; i++) {
    const v = values[i]!;
    if (v < m || Number.isNaN(m)) m = v;
  }
  return m;
}

function max(values: Float64Array, from: number, to: number): number {
  let m = values[from]!;
  for (let i = from; i < to; i++) {
    const v = values[i]!;
    if (Number.isNaN(v)) return v;
    if (v > m) m = v;
  }
  return m;
}

/** Σ(v − mean)², two-pass for accuracy. */
function squaredDeviations(values: Float64Array, from: number, to: number): number {
  const m = mean(values, from, to);
  let squares = 0;
  for (let i = from; i < to; i++) {
    const d = values[i]! - m;
    squares += d * d;
  }
  return squares;
}

/** Sample standard deviation (n − 1). */
function sampleStd(values: Float64Array, from: number, to: number): number {
  return Math.sqrt(squaredDeviations(values, from, to) / (to - from - 1));
}

/**
 * Population variance (n): not a stored method, but `/v1/aggregates`
 * resampling accepts `var` (the original answers it with a 500).
 */
function populationVariance(values: Float64Array, from: number, to: number): number {
  return squaredDeviations(values, from, to) / (to - from);
}

export const POPULATION_VARIANCE_REDUCER: BucketReducer = {
  minPoints: 1,
  reduce: populationVariance,
};

function sortedCopy(
  values: Float64Array,
  from: number,
  to: number,
  scratch: Float64Array,
): Float64Array {
  const sorted = scratch.subarray(0, to - from);
  sorted.set(values.subarray(from, to));
  return sorted.sort();
}

function median(values: Float64Array, from: number, to: number, scratch: Float64Array): number {
  const s = sortedCopy(values, from, to, scratch);
  const n = s.length;
  const half = n >> 1;
  return n % 2 === 1 ? s[half]! : (s[half - 1]! + s[half]!) / 2;
}

/**
 * numpy's "linear" percentile, including its way of interpolating (from the
 * nearer end), so results match Gnocchi's to the last bit.
 */
export function percentileOfSorted(sorted: Float64Array, q: number): number {
  const n = sorted.length;
  const pos = ((n - 1) * q) / 100;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  const a = sorted[lo]!;
  if (lo === hi) return a;
  const b = sorted[hi]!;
  const t = pos - lo;
  return t >= 0.5 ? b - (b - a) * (1 - t) : a + (b - a) * t;
}

const REDUCERS: Record<string, BucketReducer> = {
  mean: { minPoints: 1, single: "plusZero", reduce: mean },
  sum: { minPoints: 1, single: "plusZero", reduce: sum },
  count: { minPoints: 1, single: "one", reduce: (_v, from, to) => to - from },
  min: { minPoints: 1, single: "value", reduce: min },
  max: { minPoints: 1, single: "value", reduce: max },
  first: { minPoints: 1, single: "value", reduce: (v, from) => v[from]! },
  last: { minPoints: 1, single: "value", reduce: (v, _from, to) => v[to - 1]! },
  median: { minPoints: 1, single: "value", reduce: median },
  std: { minPoints: 2, reduce: sampleStd },
};

const percentileReducers = new Map<number, BucketReducer>();

function percentileReducer(q: number): BucketReducer {
  let reducer = percentileReducers.get(q);
  if (!reducer) {
    reducer = {
      minPoints: 1,
      single: "value",
      reduce: (values, from, to, scratch) =>
        percentileOfSorted(sortedCopy(values, from, to, scratch), q),
    };
    percentileReducers.set(q, reducer);
  }
  return reducer;
}

/** The reducer of a method's base (`rate:` is applied by the caller, over deltas). */
export function bucketReducer(method: AggregationMethod): BucketReducer {
  if (method.base === "pct") return percentileReducer(method.percentile);
  return REDUCERS[method.base]!;
}

/** Parses a method name or throws UnknownAggregationMethodError. */
export function requireAggregationMethod(method: string | AggregationMethod): AggregationMethod {
  if (typeof method !== "string") return method;
  const parsed = parseAggregationMethod(method);
  if (!parsed) throw new UnknownAggregationMethodError(method);
  return parsed;
}
