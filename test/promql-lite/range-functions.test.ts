/**
 * rate, increase and delta against a plain transcription of Prometheus'
 * extrapolatedRate (promql/functions.go, 2.42): one window at a time, every
 * sample of the window looked at. The engine walks the windows with two
 * pointers, reuses the extrapolation factor of regular windows, skips the
 * counter-reset loop for windows with no reset, and evaluates a series with
 * the same times as the previous one from what that one's walk left; the
 * answers must be the same bit for bit, over counters with and without
 * resets, zero points inside windows, gaps and NaNs.
 */
import { describe, expect, it } from "vitest";
import {
  newRateMemo,
  RANGE_FUNCTIONS,
  type StepWindows,
} from "../../src/promql-lite/range-functions.js";
import type { RawSeries } from "../../src/promql-lite/value.js";
import { prng } from "../support/prng.js";

function reference(
  ts: Float64Array,
  vs: Float64Array,
  rangeEnd: number,
  range: number,
  isCounter: boolean,
  isRate: boolean,
): number | undefined {
  const rangeStart = rangeEnd - range;
  const idx: number[] = [];
  for (let k = 0; k < ts.length; k++) if (ts[k]! >= rangeStart && ts[k]! <= rangeEnd) idx.push(k);
  if (idx.length < 2) return undefined;
  const first = vs[idx[0]!]!;
  const last = vs[idx[idx.length - 1]!]!;
  let result = last - first;
  if (isCounter) {
    let prev = first;
    for (const k of idx.slice(1)) {
      const cur = vs[k]!;
      if (cur < prev) result += prev;
      prev = cur;
    }
  }
  const firstT = ts[idx[0]!]!;
  const lastT = ts[idx[idx.length - 1]!]!;
  let durationToStart = (firstT - rangeStart) / 1000;
  const durationToEnd = (rangeEnd - lastT) / 1000;
  const sampledInterval = (lastT - firstT) / 1000;
  const averageBetween = sampledInterval / (idx.length - 1);
  if (isCounter && result > 0 && first >= 0) {
    const durationToZero = sampledInterval * (first / result);
    if (durationToZero < durationToStart) durationToStart = durationToZero;
  }
  const threshold = averageBetween * 1.1;
  let extrapolateTo = sampledInterval;
  extrapolateTo += durationToStart < threshold ? durationToStart : averageBetween / 2;
  extrapolateTo += durationToEnd < threshold ? durationToEnd : averageBetween / 2;
  let factor = extrapolateTo / sampledInterval;
  if (isRate) factor /= range / 1000;
  return result * factor;
}

/** A counter sampled every `interval` ms with jitter, gaps, resets and NaNs as the seed decides. */
function counter(seed: number, points: number, interval: number): RawSeries {
  const rand = prng(seed);
  const resetRate = rand() < 0.3 ? 0 : rand() * 0.1;
  const ts = new Float64Array(points);
  const vs = new Float64Array(points);
  let t = 1_700_000_000_000;
  let v = rand() < 0.5 ? 0 : rand() * 1e6;
  for (let k = 0; k < points; k++) {
    t += rand() < 0.1 ? interval * (2 + Math.floor(rand() * 5)) : interval;
    if (rand() < 0.2) t += Math.floor(rand() * interval * 0.2);
    v = rand() < resetRate ? rand() * 10 : v + rand() * 100;
    ts[k] = t;
    vs[k] = rand() < 0.01 ? Number.NaN : v;
  }
  return { labels: {}, timestamps: ts, values: vs };
}

describe("rate, increase and delta equal Prometheus' window-by-window arithmetic", () => {
  const cases: [string, boolean, boolean][] = [
    ["rate", true, true],
    ["increase", true, false],
    ["delta", false, false],
  ];
  for (const [name, isCounter, isRate] of cases) {
    it(name, () => {
      const fn = RANGE_FUNCTIONS.get(name)!;
      let windows = 0;
      let resetsSeen = 0;
      for (let seed = 1; seed <= 60; seed++) {
        const rand = prng(1000 + seed);
        const interval = [1_000, 15_000, 60_000][seed % 3]!;
        const s = counter(seed, 400, interval);
        for (let k = 1; k < s.values.length; k++) if (s.values[k]! < s.values[k - 1]!) resetsSeen++;
        const range = interval * (1 + Math.floor(rand() * 12));
        const step = interval * (0.5 + Math.floor(rand() * 4));
        const first = s.timestamps[0]! - range / 2;
        const steps = Math.ceil((s.timestamps[s.timestamps.length - 1]! - first) / step) + 2;
        const refs = Float64Array.from({ length: steps }, (_, i) => first + i * step);
        // Reference times going back (as with `@`): every walk starts again.
        if (seed % 4 === 0) refs.reverse();
        const w: StepWindows = {
          lo: new Int32Array(steps),
          hi: new Int32Array(steps),
          refs,
          times: refs,
          range,
          arg1: undefined,
          arg2: undefined,
          rateMemo: newRateMemo(),
        };
        // Then series with the same times (the same array, and a copy) and other
        // values: evaluated from what the first one's walk left in rateMemo.
        const same = [s, { ...counter(seed + 500, 400, interval), timestamps: s.timestamps }];
        same.push({ ...counter(seed + 900, 400, interval), timestamps: s.timestamps.slice() });
        for (const [k, series] of same.entries()) {
          const out = new Float64Array(steps);
          const present = new Uint8Array(steps);
          fn(series, w, out, present);
          if (k === 0) expect(w.rateMemo.ts).toBe(s.timestamps);
          for (let i = 0; i < steps; i++) {
            const want = reference(s.timestamps, series.values, refs[i]!, range, isCounter, isRate);
            expect(
              present[i] === 1 ? out[i] : undefined,
              `seed ${seed} series ${k} step ${i}`,
            ).toBe(want);
            if (want !== undefined) windows++;
          }
        }
      }
      // The cases hold what the shortcuts skip: many windows, and counter resets.
      expect(windows).toBeGreaterThan(10_000);
      expect(resetsSeen).toBeGreaterThan(100);
    });
  }
});
