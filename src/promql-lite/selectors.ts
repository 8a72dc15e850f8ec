/**
 * Reading selected series at each step (Prometheus 2.42 semantics):
 * - an instant selector takes, at reference time r (step time − offset, or
 *   the `@` time − offset), the newest sample in [r − lookback, r], unless it
 *   is a staleness marker;
 * - a range selector's window at r is [r − range, r], staleness markers left
 *   out.
 * Two-pointer walks over the sorted sample arrays: steps only move forward
 * (range windows: `windowBounds` in range-functions.ts).
 */
import { isStaleAt, type SeriesData } from "./series-source.js";
import { type RawSeries, SeriesAllocator, type StepSeries } from "./value.js";

/** The reference time (ms) of each step. */
export function referenceTimes(
  times: Float64Array,
  offset: number,
  at: number | null,
): Float64Array {
  const out = new Float64Array(times.length);
  for (let i = 0; i < times.length; i++) out[i] = (at ?? times[i]!) - offset;
  return out;
}

/**
 * Evaluates an instant selector. With `sampleTimes`, the value at each step
 * is the chosen sample's time in seconds instead of its value (timestamp()).
 */
export function instantSelector(
  data: readonly SeriesData[],
  refs: Float64Array,
  lookback: number,
  sampleTimes: boolean,
): StepSeries[] {
  const steps = refs.length;
  const out: StepSeries[] = [];
  const alloc = new SeriesAllocator(steps, data.length);
  for (const d of data) {
    const ts = d.timestamps;
    const vs = d.values;
    const n = ts.length;
    const s = alloc.take(d.labels);
    let any = false;
    let j = 0; // first sample with time > ref
    let prevRef = Number.NEGATIVE_INFINITY;
    for (let i = 0; i < steps; i++) {
      const ref = refs[i]!;
      if (ref < prevRef) j = 0; // refs only go back with a pinned `@` time; rare.
      prevRef = ref;
      while (j < n && ts[j]! <= ref) j++;
      if (j === 0) continue;
      const k = j - 1;
      if (ts[k]! < ref - lookback) continue;
      if (isStaleAt(vs, k)) continue;
      s.present[i] = 1;
      s.values[i] = sampleTimes ? ts[k]! / 1000 : vs[k]!;
      any = true;
    }
    if (any) out.push(s);
    else alloc.giveBack();
  }
  return out;
}

/** The series' samples (and weights) without staleness markers (the same arrays when there are none). */
export function withoutStale(d: SeriesData): RawSeries {
  if (d.noStale === true) return d;
  const vs = d.values;
  let stale = 0;
  for (let i = 0; i < vs.length; i++) if (Number.isNaN(vs[i]!) && isStaleAt(vs, i)) stale++;
  if (stale === 0) return d;
  const n = vs.length - stale;
  const ts = new Float64Array(n);
  const out = new Float64Array(n);
  const weights = d.weights === undefined ? undefined : new Float64Array(n);
  let k = 0;
  for (let i = 0; i < vs.length; i++) {
    if (Number.isNaN(vs[i]!) && isStaleAt(vs, i)) continue;
    ts[k] = d.timestamps[i]!;
    out[k] = vs[i]!;
    if (weights !== undefined) weights[k] = d.weights![i]!;
    k++;
  }
  const raw: RawSeries =
    weights === undefined
      ? { labels: d.labels, timestamps: ts, values: out }
      : { labels: d.labels, timestamps: ts, values: out, weights };
  return d.bucketWidth === undefined ? raw : { ...raw, bucketWidth: d.bucketWidth };
}

/** A vector's points as raw samples at the given times (a subquery's output as a range vector). */
export function toRaw(series: readonly StepSeries[], times: Float64Array): RawSeries[] {
  return series.map((s) => {
    let n = 0;
    for (let i = 0; i < s.present.length; i++) n += s.present[i]!;
    const ts = new Float64Array(n);
    const vs = new Float64Array(n);
    let k = 0;
    for (let i = 0; i < s.present.length; i++) {
      if (s.present[i] === 0) continue;
      ts[k] = times[i]!;
      vs[k] = s.values[i]!;
      k++;
    }
    return { labels: s.labels, timestamps: ts, values: vs };
  });
}
