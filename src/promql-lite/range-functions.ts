/**
 * Functions over a range vector window (Prometheus' promql/functions.go,
 * 2.42): `rate`, `increase`, `delta` (with counter resets and
 * extrapolation), `irate`, `idelta`, `deriv`, `predict_linear`, `changes`,
 * `resets`, `holt_winters` and the `*_over_time` family. Each reads one
 * window `[lo, hi)` of a series' time/value arrays (staleness markers already
 * removed, never empty), writes its value to `out[i]` and returns true, or
 * returns false for "no output". (Returning the value instead would box every
 * double that crosses a non-inlined call: one heap number per window.)
 */
import { ExecutionError } from "./errors.js";
import { quantile } from "./quantile.js";

/** Per-step inputs, one mutable object reused for every window. */
export interface WindowContext {
  /** The evaluation time of the step, ms. */
  t: number;
  /** The window's bounds, ms (`rangeStart = rangeEnd - range`). */
  rangeStart: number;
  rangeEnd: number;
  range: number;
  /** Scalar arguments for this step (quantile_over_time's φ, predict_linear's duration, holt_winters' factors). */
  arg1: number;
  arg2: number;
}

export type RangeFunction = (
  ts: Float64Array,
  vs: Float64Array,
  lo: number,
  hi: number,
  ctx: WindowContext,
  out: Float64Array,
  i: number,
) => boolean;

function extrapolatedRate(
  ts: Float64Array,
  vs: Float64Array,
  lo: number,
  hi: number,
  ctx: WindowContext,
  isCounter: boolean,
  isRate: boolean,
  out: Float64Array,
  at: number,
): boolean {
  const n = hi - lo;
  if (n < 2) return false;
  const first = vs[lo]!;
  const last = vs[hi - 1]!;
  let result = last - first;
  if (isCounter) {
    let prev = first;
    for (let i = lo + 1; i < hi; i++) {
      const cur = vs[i]!;
      if (cur < prev) result += prev;
      prev = cur;
    }
  }
  let durationToStart = (ts[lo]! - ctx.rangeStart) / 1000;
  const durationToEnd = (ctx.rangeEnd - ts[hi - 1]!) / 1000;
  const sampledInterval = (ts[hi - 1]! - ts[lo]!) / 1000;
  const averageBetween = sampledInterval / (n - 1);
  if (isCounter && result > 0 && first >= 0) {
    // A counter cannot go below zero: do not extrapolate past its zero point.
    const durationToZero = sampledInterval * (first / result);
    if (durationToZero < durationToStart) durationToStart = durationToZero;
  }
  const threshold = averageBetween * 1.1;
  let extrapolateTo = sampledInterval;
  extrapolateTo += durationToStart < threshold ? durationToStart : averageBetween / 2;
  extrapolateTo += durationToEnd < threshold ? durationToEnd : averageBetween / 2;
  let factor = extrapolateTo / sampledInterval;
  if (isRate) factor /= ctx.range / 1000;
  out[at] = result * factor;
  return true;
}

function instantValue(
  ts: Float64Array,
  vs: Float64Array,
  hi: number,
  n: number,
  isRate: boolean,
  out: Float64Array,
  at: number,
): boolean {
  if (n < 2) return false;
  const last = vs[hi - 1]!;
  const prev = vs[hi - 2]!;
  let result = isRate && last < prev ? last : last - prev;
  const interval = ts[hi - 1]! - ts[hi - 2]!;
  if (interval === 0) return false;
  if (isRate) result /= interval / 1000;
  out[at] = result;
  return true;
}

/**
 * Least-squares slope and intercept (at `interceptTime`, ms) of the window,
 * into `regression`. Sums are Neumaier-compensated as in Prometheus
 * (kahanSumInc), written out inline: a helper returning two numbers would
 * allocate per sample.
 */
const regression = { slope: 0, intercept: 0 };

function isInf(v: number): boolean {
  return v === Number.POSITIVE_INFINITY || v === Number.NEGATIVE_INFINITY;
}
function linearRegression(
  ts: Float64Array,
  vs: Float64Array,
  lo: number,
  hi: number,
  interceptTime: number,
): void {
  const initY = vs[lo]!;
  let constY = true;
  let n = 0;
  let sumX = 0;
  let cX = 0;
  let sumY = 0;
  let cY = 0;
  let sumXY = 0;
  let cXY = 0;
  let sumX2 = 0;
  let cX2 = 0;
  for (let i = lo; i < hi; i++) {
    const v = vs[i]!;
    if (constY && i > lo && v !== initY) constY = false;
    n++;
    const x = (ts[i]! - interceptTime) / 1000;
    let t = sumX + x;
    cX += Math.abs(sumX) >= Math.abs(x) ? sumX - t + x : x - t + sumX;
    sumX = t;
    t = sumY + v;
    cY += Math.abs(sumY) >= Math.abs(v) ? sumY - t + v : v - t + sumY;
    sumY = t;
    const xy = x * v;
    t = sumXY + xy;
    cXY += Math.abs(sumXY) >= Math.abs(xy) ? sumXY - t + xy : xy - t + sumXY;
    sumXY = t;
    const x2 = x * x;
    t = sumX2 + x2;
    cX2 += Math.abs(sumX2) >= Math.abs(x2) ? sumX2 - t + x2 : x2 - t + sumX2;
    sumX2 = t;
  }
  if (constY) {
    if (isInf(initY)) {
      regression.slope = Number.NaN;
      regression.intercept = Number.NaN;
    } else {
      regression.slope = 0;
      regression.intercept = initY;
    }
    return;
  }
  sumX += cX;
  sumY += cY;
  sumXY += cXY;
  sumX2 += cX2;
  const covXY = sumXY - (sumX * sumY) / n;
  const varX = sumX2 - (sumX * sumX) / n;
  regression.slope = covXY / varX;
  regression.intercept = sumY / n - (regression.slope * sumX) / n;
}

let scratch = new Float64Array(64);

/** A function that always has a value for a non-empty window. */
function valued(
  f: (ts: Float64Array, vs: Float64Array, lo: number, hi: number, ctx: WindowContext) => number,
): RangeFunction {
  return (ts, vs, lo, hi, ctx, out, i) => {
    out[i] = f(ts, vs, lo, hi, ctx);
    return true;
  };
}

export const RANGE_FUNCTIONS: ReadonlyMap<string, RangeFunction> = new Map<string, RangeFunction>([
  [
    "rate",
    (ts, vs, lo, hi, ctx, out, i) => extrapolatedRate(ts, vs, lo, hi, ctx, true, true, out, i),
  ],
  [
    "increase",
    (ts, vs, lo, hi, ctx, out, i) => extrapolatedRate(ts, vs, lo, hi, ctx, true, false, out, i),
  ],
  [
    "delta",
    (ts, vs, lo, hi, ctx, out, i) => extrapolatedRate(ts, vs, lo, hi, ctx, false, false, out, i),
  ],
  ["irate", (ts, vs, lo, hi, _ctx, out, i) => instantValue(ts, vs, hi, hi - lo, true, out, i)],
  ["idelta", (ts, vs, lo, hi, _ctx, out, i) => instantValue(ts, vs, hi, hi - lo, false, out, i)],
  [
    "deriv",
    (ts, vs, lo, hi, _ctx, out, i) => {
      if (hi - lo < 2) return false;
      linearRegression(ts, vs, lo, hi, ts[lo]!);
      out[i] = regression.slope;
      return true;
    },
  ],
  [
    "predict_linear",
    (ts, vs, lo, hi, ctx, out, i) => {
      if (hi - lo < 2) return false;
      linearRegression(ts, vs, lo, hi, ctx.t);
      out[i] = regression.slope * ctx.arg1 + regression.intercept;
      return true;
    },
  ],
  [
    "changes",
    valued((_ts, vs, lo, hi) => {
      let changes = 0;
      let prev = vs[lo]!;
      for (let i = lo + 1; i < hi; i++) {
        const cur = vs[i]!;
        if (cur !== prev && !(Number.isNaN(cur) && Number.isNaN(prev))) changes++;
        prev = cur;
      }
      return changes;
    }),
  ],
  [
    "resets",
    valued((_ts, vs, lo, hi) => {
      let resets = 0;
      let prev = vs[lo]!;
      for (let i = lo + 1; i < hi; i++) {
        const cur = vs[i]!;
        if (cur < prev) resets++;
        prev = cur;
      }
      return resets;
    }),
  ],
  [
    "holt_winters",
    (_ts, vs, lo, hi, ctx, out, at) => {
      const sf = ctx.arg1;
      const tf = ctx.arg2;
      if (!(sf > 0 && sf < 1))
        throw new ExecutionError(
          `invalid smoothing factor. Expected: 0 < sf < 1, got: ${sf.toFixed(6)}`,
        );
      if (!(tf > 0 && tf < 1))
        throw new ExecutionError(
          `invalid trend factor. Expected: 0 < tf < 1, got: ${tf.toFixed(6)}`,
        );
      const l = hi - lo;
      if (l < 2) return false;
      let s0 = 0;
      let s1 = vs[lo]!;
      let b = vs[lo + 1]! - vs[lo]!;
      for (let i = 1; i < l; i++) {
        const x = sf * vs[lo + i]!;
        if (i - 1 !== 0) b = tf * (s1 - s0) + (1 - tf) * b;
        const y = (1 - sf) * (s1 + b);
        s0 = s1;
        s1 = x + y;
      }
      out[at] = s1;
      return true;
    },
  ],
  [
    "avg_over_time",
    valued((_ts, vs, lo, hi) => {
      let mean = 0;
      let count = 0;
      for (let i = lo; i < hi; i++) {
        const v = vs[i]!;
        count++;
        if (isInf(mean)) {
          if (isInf(v) && mean > 0 === v > 0) continue;
          if (!isInf(v) && !Number.isNaN(v)) continue;
        }
        mean += v / count - mean / count;
      }
      return mean;
    }),
  ],
  ["count_over_time", valued((_ts, _vs, lo, hi) => hi - lo)],
  [
    "max_over_time",
    valued((_ts, vs, lo, hi) => {
      let max = vs[lo]!;
      for (let i = lo + 1; i < hi; i++) {
        const v = vs[i]!;
        if (v > max || Number.isNaN(max)) max = v;
      }
      return max;
    }),
  ],
  [
    "min_over_time",
    valued((_ts, vs, lo, hi) => {
      let min = vs[lo]!;
      for (let i = lo + 1; i < hi; i++) {
        const v = vs[i]!;
        if (v < min || Number.isNaN(min)) min = v;
      }
      return min;
    }),
  ],
  [
    "sum_over_time",
    valued((_ts, vs, lo, hi) => {
      let sum = 0;
      for (let i = lo; i < hi; i++) sum += vs[i]!;
      return sum;
    }),
  ],
  [
    "quantile_over_time",
    valued((_ts, vs, lo, hi, ctx) => {
      const n = hi - lo;
      if (scratch.length < n) scratch = new Float64Array(Math.max(n, scratch.length * 2));
      scratch.set(vs.subarray(lo, hi));
      return quantile(ctx.arg1, scratch, n);
    }),
  ],
  ["stddev_over_time", valued((_ts, vs, lo, hi) => Math.sqrt(variance(vs, lo, hi)))],
  ["stdvar_over_time", valued((_ts, vs, lo, hi) => variance(vs, lo, hi))],
  ["last_over_time", valued((_ts, vs, _lo, hi) => vs[hi - 1]!)],
  ["present_over_time", valued(() => 1)],
]);

function variance(vs: Float64Array, lo: number, hi: number): number {
  let count = 0;
  let mean = 0;
  let aux = 0;
  for (let i = lo; i < hi; i++) {
    const v = vs[i]!;
    count++;
    const delta = v - mean;
    mean += delta / count;
    aux += delta * (v - mean);
  }
  return aux / count;
}
