/**
 * Functions over a range vector (Prometheus' promql/functions.go, 2.42):
 * `rate`, `increase`, `delta` (with counter resets and extrapolation),
 * `irate`, `idelta`, `deriv`, `predict_linear`, `changes`, `resets`,
 * `holt_winters` and the `*_over_time` family.
 *
 * Each is evaluated over all steps of one series in one call (staleness
 * markers already removed): it writes `out[i]` and sets `present[i]` where
 * the window of step i gives a value. Most first compute the windows'
 * sample index ranges `[lo[i], hi[i])` (`windowBounds`); rate, increase and
 * delta walk the windows in their own loop (one pass instead of two: about
 * half the time of the hottest PromQL function). The simple `*_over_time`
 * are loops of their own too, so nothing is called per window; the others
 * run a per-window function through `perWindow`, which writes its value to
 * `out[i]` and returns true, or returns false for "no output" (returning the
 * value instead would box every double that crosses a non-inlined call).
 *
 * Weights: a series read from a downsampled archive carries, per point, the
 * number of raw samples its bucket aggregated (`RawSeries.weights`).
 * `count_over_time` then adds them up and `avg_over_time` weights each
 * bucket mean by them; every other function ignores them.
 */
import { sameBits } from "../carbonara/timeserie.js";
import { ExecutionError } from "./errors.js";
import { quantile } from "./quantile.js";
import type { RawSeries } from "./value.js";

/** The windows of every step of a query, for one series at a time. */
export interface StepWindows {
  /** Scratch for `windowBounds`, one slot per step. */
  readonly lo: Int32Array;
  readonly hi: Int32Array;
  /** Per step, the window's end (the reference time, ms); it starts `range` earlier. */
  readonly refs: Float64Array;
  /** Per step, the evaluation time, ms. */
  readonly times: Float64Array;
  readonly range: number;
  /** Scalar arguments per step (quantile_over_time's φ, predict_linear's duration, holt_winters' factors). */
  readonly arg1: Float64Array | undefined;
  readonly arg2: Float64Array | undefined;
  /** rate/increase/delta's windows of the last series, for the next one with the same times. */
  readonly rateMemo: RateMemo;
}

/** Evaluates a range function at every step of one series; true when any step got a value. */
export type RangeFunction = (
  s: RawSeries,
  w: StepWindows,
  out: Float64Array,
  present: Uint8Array,
) => boolean;

/**
 * The start of the window ending at `ref`: `ref − range`, or, over buckets
 * `bucket` ms wide (a downsampled archive, RawSeries.bucketWidth), the start
 * of the bucket before the one holding `ref` when that is earlier, so the
 * window holds two buckets (the README's approximation rules). Never
 * decreasing as `ref` grows, so windows still walk by two pointers.
 */
export function windowStart(ref: number, range: number, bucket: number | undefined): number {
  const from = ref - range;
  if (bucket === undefined) return from;
  const previous = Math.floor(ref / bucket) * bucket - bucket;
  return previous < from ? previous : from;
}

/**
 * Fills `lo`/`hi` with the sample index range of each window [ref − range,
 * ref] over the sorted times `ts`, by two pointers (steps move forward; a
 * reference time going back, as with a pinned `@`, restarts them).
 * extrapolatedRate walks windows the same way inline. With `bucket`, windows
 * are widened to two buckets (windowStart).
 */
export function windowBounds(
  ts: Float64Array,
  refs: Float64Array,
  range: number,
  lo: Int32Array,
  hi: Int32Array,
  bucket?: number,
): void {
  const n = ts.length;
  let l = 0;
  let h = 0;
  let prevRef = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < refs.length; i++) {
    const ref = refs[i]!;
    if (ref < prevRef) {
      l = 0;
      h = 0;
    }
    prevRef = ref;
    const from = windowStart(ref, range, bucket);
    while (l < n && ts[l]! < from) l++;
    if (h < l) h = l;
    while (h < n && ts[h]! <= ref) h++;
    lo[i] = l;
    hi[i] = h;
  }
}

/** Per-window inputs of `perWindow` functions, one mutable object reused for every window. */
export interface WindowContext {
  /** The evaluation time of the step, ms. */
  t: number;
  /** The window's bounds, ms (`rangeStart = rangeEnd - range`). */
  rangeStart: number;
  rangeEnd: number;
  range: number;
  arg1: number;
  arg2: number;
}

type WindowFunction = (
  ts: Float64Array,
  vs: Float64Array,
  lo: number,
  hi: number,
  ctx: WindowContext,
  out: Float64Array,
  i: number,
) => boolean;

const windowContext: WindowContext = {
  t: 0,
  rangeStart: 0,
  rangeEnd: 0,
  range: 0,
  arg1: 0,
  arg2: 0,
};

/**
 * A range function calling `f` for each non-empty window; with `widen`, the
 * windows over a downsampled archive's buckets hold two of them (windowStart).
 */
function perWindow(f: WindowFunction, widen = false): RangeFunction {
  return (s, w, out, present) => {
    const ts = s.timestamps;
    const vs = s.values;
    const { lo, hi, refs, times, range, arg1, arg2 } = w;
    windowBounds(ts, refs, range, lo, hi, widen ? s.bucketWidth : undefined);
    const ctx = windowContext;
    ctx.range = range;
    let any = false;
    for (let i = 0; i < lo.length; i++) {
      const l = lo[i]!;
      const h = hi[i]!;
      if (h <= l) continue;
      ctx.t = times[i]!;
      ctx.rangeEnd = refs[i]!;
      ctx.rangeStart = refs[i]! - range;
      if (arg1 !== undefined) ctx.arg1 = arg1[i]!;
      if (arg2 !== undefined) ctx.arg2 = arg2[i]!;
      if (!f(ts, vs, l, h, ctx, out, i)) continue;
      present[i] = 1;
      any = true;
    }
    return any;
  };
}

/**
 * What `extrapolatedRate` learnt from one series' sample times, for the next
 * series with the same times (every series of a downsampled archive without
 * gaps has the same bucket starts): per step the window's sample range in
 * `StepWindows.lo`/`hi`, its extrapolation factor without a zero-point clamp,
 * and the first/result ratio above which no clamp can apply. Filled as a side
 * effect of walking the first series; later series then only read values.
 */
export interface RateMemo {
  ts: Float64Array | undefined;
  bucket: number | undefined;
  isRate: boolean;
  factors: Float64Array;
  zeroBounds: Float64Array;
}

export function newRateMemo(): RateMemo {
  return {
    ts: undefined,
    bucket: undefined,
    isRate: false,
    factors: new Float64Array(0),
    zeroBounds: new Float64Array(0),
  };
}

function sameTimes(memo: RateMemo, ts: Float64Array): boolean {
  const kept = memo.ts;
  const n = ts.length;
  // The ends first: series of different archives or ranges differ there, without a full compare.
  return (
    kept !== undefined &&
    kept.length === n &&
    n > 0 &&
    kept[0] === ts[0] &&
    kept[n - 1] === ts[n - 1] &&
    sameBits(kept, ts)
  );
}

/**
 * Prometheus' extrapolation of a window's change to its ends (functions.go
 * extrapolatedRate), as the factor to multiply the change by. Gaps in ms;
 * `durationToZero` in s, +Infinity for no clamp.
 */
function extrapolationFactor(
  startGap: number,
  endGap: number,
  span: number,
  n: number,
  durationToZero: number,
  width: number,
  range: number,
  isRate: boolean,
): number {
  let durationToStart = startGap / 1000;
  const durationToEnd = endGap / 1000;
  const sampledInterval = span / 1000;
  const averageBetween = sampledInterval / (n - 1);
  // A counter cannot go below zero: do not extrapolate past its zero point.
  if (durationToZero < durationToStart) durationToStart = durationToZero;
  const threshold = averageBetween * 1.1;
  let extrapolateTo = sampledInterval;
  extrapolateTo += durationToStart < threshold ? durationToStart : averageBetween / 2;
  extrapolateTo += durationToEnd < threshold ? durationToEnd : averageBetween / 2;
  let factor = extrapolateTo / sampledInterval;
  if (width === range) {
    if (isRate) factor /= range / 1000;
  } else if (isRate) factor /= width / 1000;
  else factor *= range / width;
  return factor;
}

/**
 * rate, increase and delta: the change over the window (counter resets
 * added back for counters), extrapolated towards the window's ends.
 *
 * Over a downsampled archive's buckets (RawSeries.bucketWidth) a window
 * holding fewer than two buckets is widened to the previous bucket's start
 * (windowStart): `rate` is then the widened window's, and `increase` and
 * `delta` that rate times the asked range, so `increase(x[5m])` stays
 * `rate(x[5m])` × 300 whatever the archive.
 */
function extrapolatedRate(
  s: RawSeries,
  w: StepWindows,
  out: Float64Array,
  present: Uint8Array,
  isCounter: boolean,
  isRate: boolean,
): boolean {
  const memo = w.rateMemo;
  if (
    memo.bucket === s.bucketWidth &&
    memo.isRate === isRate &&
    memo.factors.length === w.refs.length &&
    sameTimes(memo, s.timestamps)
  ) {
    return rateFromMemo(s, w, out, present, isCounter, isRate);
  }
  return rateWalk(s, w, out, present, isCounter, isRate);
}

/** extrapolatedRate over windows found by two pointers; leaves what it found in `w.rateMemo`. */
function rateWalk(
  s: RawSeries,
  w: StepWindows,
  out: Float64Array,
  present: Uint8Array,
  isCounter: boolean,
  isRate: boolean,
): boolean {
  const ts = s.timestamps;
  const vs = s.values;
  const bucket = s.bucketWidth;
  const { refs, range, lo, hi, rateMemo: memo } = w;
  const count = ts.length;
  const steps = refs.length;
  memo.ts = undefined; // until the walk is complete
  if (memo.factors.length !== steps) {
    memo.factors = new Float64Array(steps);
    memo.zeroBounds = new Float64Array(steps);
  }
  const { factors, zeroBounds } = memo;
  let any = false;
  // The window gaps (ms), sample count and length of the last factor computed
  // without a zero-point clamp, and that factor: with regular samples most
  // windows repeat them, and the divisions are most of the cost.
  let sameStartGap = Number.NaN;
  let sameEndGap = Number.NaN;
  let sameSpan = Number.NaN;
  let sameCount = 0;
  let sameWidth = Number.NaN;
  let sameFactor = 0;
  // The windows by two pointers, as windowBounds.
  let l = 0;
  let h = 0;
  let prevRef = Number.NEGATIVE_INFINITY;
  // The first counter reset (vs[r] < vs[r − 1]) after the window's first
  // sample: a window ending before it has none, and its change is last − first
  // without the per-sample loop. Moves forward with `l`, so each sample is
  // looked at once per pass.
  let reset = 1;
  for (let i = 0; i < steps; i++) {
    const rangeEnd = refs[i]!;
    if (rangeEnd < prevRef) {
      l = 0;
      h = 0;
      reset = 1;
    }
    prevRef = rangeEnd;
    const rangeStart = windowStart(rangeEnd, range, bucket);
    const width = windowWidth(rangeStart, rangeEnd, range);
    while (l < count && ts[l]! < rangeStart) l++;
    if (h < l) h = l;
    while (h < count && ts[h]! <= rangeEnd) h++;
    lo[i] = l;
    hi[i] = h;
    const n = h - l;
    if (n < 2) continue;
    const first = vs[l]!;
    const last = vs[h - 1]!;
    let result = last - first;
    if (isCounter) {
      reset = nextReset(vs, reset <= l ? l + 1 : reset);
      if (reset < h) result = withResets(vs, l, h, result);
    }
    const startGap = ts[l]! - rangeStart;
    const endGap = rangeEnd - ts[h - 1]!;
    const span = ts[h - 1]! - ts[l]!;
    const zeroBound = (startGap * (1 + 1e-9)) / span;
    zeroBounds[i] = zeroBound;
    const mayClamp = isCounter && mayReachZero(first, result, zeroBound);
    let factor: number;
    if (
      startGap === sameStartGap &&
      endGap === sameEndGap &&
      span === sameSpan &&
      n === sameCount &&
      width === sameWidth
    ) {
      // Regular samples: the same gaps as the previous window give the same factor, bit for bit.
      factor = sameFactor;
    } else {
      factor = extrapolationFactor(startGap, endGap, span, n, Infinity, width, range, isRate);
      sameStartGap = startGap;
      sameEndGap = endGap;
      sameSpan = span;
      sameCount = n;
      sameWidth = width;
      sameFactor = factor;
    }
    factors[i] = factor;
    if (mayClamp) {
      const durationToZero = (span / 1000) * (first / result);
      factor = extrapolationFactor(startGap, endGap, span, n, durationToZero, width, range, isRate);
    }
    out[i] = result * factor;
    present[i] = 1;
    any = true;
  }
  memo.ts = ts;
  memo.bucket = bucket;
  memo.isRate = isRate;
  return any;
}

/** extrapolatedRate for a series with the sample times `w.rateMemo` holds: values only. */
function rateFromMemo(
  s: RawSeries,
  w: StepWindows,
  out: Float64Array,
  present: Uint8Array,
  isCounter: boolean,
  isRate: boolean,
): boolean {
  const ts = s.timestamps;
  const vs = s.values;
  const { refs, range, lo, hi } = w;
  const { factors, zeroBounds } = w.rateMemo;
  let any = false;
  let reset = 1;
  let prevL = -1;
  for (let i = 0; i < refs.length; i++) {
    const l = lo[i]!;
    const h = hi[i]!;
    if (h - l < 2) continue;
    const first = vs[l]!;
    const last = vs[h - 1]!;
    let result = last - first;
    if (isCounter) {
      reset = nextReset(vs, l < prevL || reset <= l ? l + 1 : reset);
      prevL = l;
      if (reset < h) result = withResets(vs, l, h, result);
    }
    let factor = factors[i]!;
    // Only a window that may clamp pays for the factor again.
    if (isCounter && mayReachZero(first, result, zeroBounds[i]!)) {
      const rangeEnd = refs[i]!;
      const rangeStart = windowStart(rangeEnd, range, s.bucketWidth);
      const width = windowWidth(rangeStart, rangeEnd, range);
      const startGap = ts[l]! - rangeStart;
      const span = ts[h - 1]! - ts[l]!;
      const durationToZero = (span / 1000) * (first / result);
      factor = extrapolationFactor(
        startGap,
        rangeEnd - ts[h - 1]!,
        span,
        h - l,
        durationToZero,
        width,
        range,
        isRate,
      );
    }
    out[i] = result * factor;
    present[i] = 1;
    any = true;
  }
  return any;
}

/** The window's length: `range`, unless windowStart widened it to two buckets. */
function windowWidth(rangeStart: number, rangeEnd: number, range: number): number {
  // Unwidened, windowStart answers exactly `rangeEnd - range`.
  return rangeStart === rangeEnd - range ? range : rangeEnd - rangeStart;
}

/**
 * Whether a counter's zero point may come after the window's start
 * (span·first/result < startGap), so the extrapolation may have to stop
 * there. `zeroBound` is startGap·(1 + 1e-9)/span: the margin makes a "no"
 * certain, and then the unclamped factor is the answer bit for bit.
 */
function mayReachZero(first: number, result: number, zeroBound: number): boolean {
  return result > 0 && first >= 0 && !(first > result * zeroBound);
}

/** The first index ≥ `from` where the counter drops (vs[r] < vs[r − 1]), or vs.length. */
function nextReset(vs: Float64Array, from: number): number {
  let r = from;
  while (r < vs.length && !(vs[r]! < vs[r - 1]!)) r++;
  return r;
}

/** The change over [l, h) with each counter reset's previous value added back. */
function withResets(vs: Float64Array, l: number, h: number, change: number): number {
  let result = change;
  let prev = vs[l]!;
  for (let k = l + 1; k < h; k++) {
    const cur = vs[k]!;
    if (cur < prev) result += prev;
    prev = cur;
  }
  return result;
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

/** A per-window function that always has a value for a non-empty window. */
function valued(
  f: (ts: Float64Array, vs: Float64Array, lo: number, hi: number, ctx: WindowContext) => number,
  widen = false,
): RangeFunction {
  return perWindow((ts, vs, lo, hi, ctx, out, i) => {
    out[i] = f(ts, vs, lo, hi, ctx);
    return true;
  }, widen);
}

/**
 * Prometheus' avg_over_time: an incremental mean (no overflow for large
 * values), an infinite mean kept unless a NaN or the opposite infinity comes.
 */
function plainMean(vs: Float64Array, lo: number, hi: number): number {
  let mean = 0;
  let count = 0;
  for (let k = lo; k < hi; k++) {
    const v = vs[k]!;
    count++;
    if (isInf(mean)) {
      if (isInf(v) && mean > 0 === v > 0) continue;
      if (!isInf(v) && !Number.isNaN(v)) continue;
    }
    mean += v / count - mean / count;
  }
  return mean;
}

/** The mean of bucket means weighted by their sample counts, incremental as plainMean. */
function weightedMean(vs: Float64Array, weights: Float64Array, lo: number, hi: number): number {
  let mean = 0;
  let total = 0;
  for (let k = lo; k < hi; k++) {
    const v = vs[k]!;
    const w = weights[k]!;
    total += w;
    if (isInf(mean)) {
      if (isInf(v) && mean > 0 === v > 0) continue;
      if (!isInf(v) && !Number.isNaN(v)) continue;
    }
    mean += (v - mean) * (w / total);
  }
  return mean;
}

function sumOf(vs: Float64Array, lo: number, hi: number): number {
  let sum = 0;
  for (let k = lo; k < hi; k++) sum += vs[k]!;
  return sum;
}

const avgOverTime: RangeFunction = (s, w, out, present) => {
  const vs = s.values;
  const weights = s.weights;
  const { lo, hi } = w;
  windowBounds(s.timestamps, w.refs, w.range, lo, hi);
  let any = false;
  for (let i = 0; i < lo.length; i++) {
    const l = lo[i]!;
    const h = hi[i]!;
    if (h <= l) continue;
    // Buckets of one sample each are the samples: Prometheus' arithmetic, exactly.
    out[i] =
      weights === undefined || sumOf(weights, l, h) === h - l
        ? plainMean(vs, l, h)
        : weightedMean(vs, weights, l, h);
    present[i] = 1;
    any = true;
  }
  return any;
};

const countOverTime: RangeFunction = (s, w, out, present) => {
  const weights = s.weights;
  const { lo, hi } = w;
  windowBounds(s.timestamps, w.refs, w.range, lo, hi);
  let any = false;
  for (let i = 0; i < lo.length; i++) {
    const l = lo[i]!;
    const h = hi[i]!;
    if (h <= l) continue;
    out[i] = weights === undefined ? h - l : sumOf(weights, l, h);
    present[i] = 1;
    any = true;
  }
  return any;
};

const sumOverTime: RangeFunction = (s, w, out, present) => {
  const vs = s.values;
  const { lo, hi } = w;
  windowBounds(s.timestamps, w.refs, w.range, lo, hi);
  let any = false;
  for (let i = 0; i < lo.length; i++) {
    const l = lo[i]!;
    const h = hi[i]!;
    if (h <= l) continue;
    out[i] = sumOf(vs, l, h);
    present[i] = 1;
    any = true;
  }
  return any;
};

/** max_over_time and min_over_time; a NaN is replaced by any later value. */
function extremeOverTime(
  s: RawSeries,
  w: StepWindows,
  out: Float64Array,
  present: Uint8Array,
  max: boolean,
): boolean {
  const vs = s.values;
  const { lo, hi } = w;
  windowBounds(s.timestamps, w.refs, w.range, lo, hi);
  let any = false;
  for (let i = 0; i < lo.length; i++) {
    const l = lo[i]!;
    const h = hi[i]!;
    if (h <= l) continue;
    let best = vs[l]!;
    for (let k = l + 1; k < h; k++) {
      const v = vs[k]!;
      if ((max ? v > best : v < best) || Number.isNaN(best)) best = v;
    }
    out[i] = best;
    present[i] = 1;
    any = true;
  }
  return any;
}

const lastOverTime: RangeFunction = (s, w, out, present) => {
  const vs = s.values;
  const { lo, hi } = w;
  windowBounds(s.timestamps, w.refs, w.range, lo, hi);
  let any = false;
  for (let i = 0; i < lo.length; i++) {
    const h = hi[i]!;
    if (h <= lo[i]!) continue;
    out[i] = vs[h - 1]!;
    present[i] = 1;
    any = true;
  }
  return any;
};

export const RANGE_FUNCTIONS: ReadonlyMap<string, RangeFunction> = new Map<string, RangeFunction>([
  ["rate", (s, w, out, present) => extrapolatedRate(s, w, out, present, true, true)],
  ["increase", (s, w, out, present) => extrapolatedRate(s, w, out, present, true, false)],
  ["delta", (s, w, out, present) => extrapolatedRate(s, w, out, present, false, false)],
  [
    "irate",
    perWindow(
      (ts, vs, lo, hi, _ctx, out, i) => instantValue(ts, vs, hi, hi - lo, true, out, i),
      true,
    ),
  ],
  [
    "idelta",
    perWindow(
      (ts, vs, lo, hi, _ctx, out, i) => instantValue(ts, vs, hi, hi - lo, false, out, i),
      true,
    ),
  ],
  [
    "deriv",
    perWindow((ts, vs, lo, hi, _ctx, out, i) => {
      if (hi - lo < 2) return false;
      linearRegression(ts, vs, lo, hi, ts[lo]!);
      out[i] = regression.slope;
      return true;
    }, true),
  ],
  [
    "predict_linear",
    perWindow((ts, vs, lo, hi, ctx, out, i) => {
      if (hi - lo < 2) return false;
      linearRegression(ts, vs, lo, hi, ctx.t);
      out[i] = regression.slope * ctx.arg1 + regression.intercept;
      return true;
    }),
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
    }, true),
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
    }, true),
  ],
  [
    "holt_winters",
    perWindow((_ts, vs, lo, hi, ctx, out, at) => {
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
    }),
  ],
  ["avg_over_time", avgOverTime],
  ["count_over_time", countOverTime],
  ["max_over_time", (s, w, out, present) => extremeOverTime(s, w, out, present, true)],
  ["min_over_time", (s, w, out, present) => extremeOverTime(s, w, out, present, false)],
  ["sum_over_time", sumOverTime],
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
  ["last_over_time", lastOverTime],
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
