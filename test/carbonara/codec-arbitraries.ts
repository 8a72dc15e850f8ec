/**
 * fast-check generators shared by the storage codec tests: adversarial
 * float64 values and value series shapes (decimal gauges, counters, noise).
 */
import fc from "fast-check";
import { expect } from "vitest";
import type { TimeSerie } from "../../src/carbonara/timeserie.js";

const nanWithPayload = (() => {
  const b = new Uint32Array([0x12345, 0x7ff80abc]);
  return new Float64Array(b.buffer)[0]!;
})();

/** Values that break naive float codecs. */
export const SPECIAL_VALUES: readonly number[] = [
  Number.NaN,
  nanWithPayload,
  Number.POSITIVE_INFINITY,
  Number.NEGATIVE_INFINITY,
  -0,
  0,
  5e-324,
  -5e-324,
  2.2250738585072014e-308,
  Number.MAX_VALUE,
  -Number.MAX_VALUE,
  Number.MIN_VALUE,
  Number.EPSILON,
  2 ** 52,
  2 ** 52 + 1,
  2 ** 53,
  2 ** 53 + 2,
  -(2 ** 53),
  Number.MAX_SAFE_INTEGER,
  -Number.MAX_SAFE_INTEGER,
  0.1,
  0.2,
  0.1 + 0.2,
  0.29,
  1e-15,
  123456.789012345,
  4503599627370495.5,
  1e300,
  -1e-300,
  1,
  -1,
];

const special = fc.constantFrom(...SPECIAL_VALUES);

/** Decimal numbers with 0..9 fractional digits, as users and exporters write them. */
export const decimal = fc
  .tuple(fc.integer({ min: -1_000_000_000, max: 1_000_000_000 }), fc.integer({ min: 0, max: 9 }))
  .map(([m, k]) => m / 10 ** k);

/** One float64 drawn from every corner of the space. */
export const anyValue = fc.oneof(
  special,
  fc.double(),
  decimal,
  fc.double({ min: -1e-300, max: 1e-300 }),
  fc.double({ min: 1e290, max: 1e308 }),
  fc.integer(),
  fc.maxSafeInteger(),
);

/** Value series shapes for n points. */
export function valueSeries(n: number): fc.Arbitrary<Float64Array> {
  const walk = (step: number, digits: number) =>
    fc
      .tuple(
        fc.integer({ min: -1_000_000, max: 1_000_000 }),
        fc.array(fc.integer({ min: -step, max: step }), { minLength: n, maxLength: n }),
      )
      .map(([start, steps]) => {
        const out = new Float64Array(n);
        let s = start;
        for (let i = 0; i < n; i++) {
          s += steps[i]!;
          out[i] = s / 10 ** digits;
        }
        return out;
      });
  return fc.oneof(
    // Arbitrary mixtures of everything, specials included.
    fc.array(anyValue, { minLength: n, maxLength: n }).map((a) => Float64Array.from(a)),
    // Random walks with 2 (or 0..6) decimals.
    walk(100, 2),
    fc.integer({ min: 0, max: 6 }).chain((d) => walk(10 ** d, d)),
    // Counters: monotone integers, possibly huge.
    fc
      .tuple(
        fc.maxSafeNat().map((x) => Math.floor(x / 4)),
        fc.array(fc.nat(100_000), { minLength: n, maxLength: n }),
      )
      .map(([start, incs]) => {
        const out = new Float64Array(n);
        let c = start;
        for (let i = 0; i < n; i++) {
          c += incs[i]!;
          out[i] = c;
        }
        return out;
      }),
    // All equal.
    anyValue.map((v) => new Float64Array(n).fill(v)),
    // A decimal series with one special value thrown in.
    fc.tuple(walk(100, 2), special, fc.nat(Math.max(0, n - 1))).map(([a, v, i]) => {
      if (n > 0) a[i] = v;
      return a;
    }),
    // Pure noise.
    fc
      .array(fc.double({ noNaN: true }), { minLength: n, maxLength: n })
      .map((a) => Float64Array.from(a)),
  );
}

/** Asserts two series are identical point by point (Object.is: NaN = NaN, −0 ≠ 0). */
export function expectSameSerie(actual: TimeSerie, expected: TimeSerie): void {
  if (actual.timestamps.length !== expected.timestamps.length) {
    expect.fail(`length ${actual.timestamps.length} !== ${expected.timestamps.length}`);
  }
  if (actual.values.length !== expected.values.length) {
    expect.fail(`values length ${actual.values.length} !== ${expected.values.length}`);
  }
  for (let i = 0; i < expected.timestamps.length; i++) {
    if (!Object.is(actual.timestamps[i], expected.timestamps[i])) {
      expect.fail(`timestamp ${i}: ${actual.timestamps[i]} !== ${expected.timestamps[i]}`);
    }
    if (!Object.is(actual.values[i], expected.values[i])) {
      expect.fail(`value ${i}: ${actual.values[i]} !== ${expected.values[i]}`);
    }
  }
}
