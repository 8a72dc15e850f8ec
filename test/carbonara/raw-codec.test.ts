import { crc32 } from "node:zlib";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { CorruptDataError } from "../../src/carbonara/errors.js";
import { decodeRawBuffer, encodeRawBuffer, RAW_FORMAT_TAG } from "../../src/carbonara/raw-codec.js";
import { encodeSplit } from "../../src/carbonara/split-codec.js";
import type { TimeSerie } from "../../src/carbonara/timeserie.js";
import { expectSameSerie, SPECIAL_VALUES, valueSeries } from "./codec-arbitraries.js";

const MAX_SAFE = Number.MAX_SAFE_INTEGER;
const T0 = 1_700_000_000_123_456;

/** Gaps between consecutive timestamps, from jitter to centuries. */
const gap = fc.oneof(
  { weight: 4, arbitrary: fc.integer({ min: 1, max: 1_000 }) },
  { weight: 4, arbitrary: fc.integer({ min: 9_950_000, max: 10_050_000 }) },
  { weight: 2, arbitrary: fc.constant(1_000_000) },
  { weight: 2, arbitrary: fc.integer({ min: 1, max: 2 ** 31 - 1 }) },
  { weight: 1, arbitrary: fc.integer({ min: 1, max: 2 ** 31 - 1 }).map((x) => x * 4096 + 3) },
  { weight: 1, arbitrary: fc.maxSafeNat().map((x) => Math.max(1, Math.floor(x / 8))) },
);

const timestamps = fc
  .tuple(
    fc.oneof(
      fc.integer({ min: -(2 ** 31), max: 2 ** 31 }).map((x) => T0 + x),
      fc.maxSafeInteger(),
    ),
    fc.array(gap, { maxLength: 600 }),
  )
  .map(([start, gaps]) => {
    const out = [start];
    let t = start;
    for (const d of gaps) {
      if (t + d > MAX_SAFE || t + d - out[0]! > MAX_SAFE) break;
      t += d;
      out.push(t);
    }
    return out;
  });

const rawSerie: fc.Arbitrary<TimeSerie> = timestamps.chain((ts) =>
  valueSeries(ts.length).map((values) => ({ timestamps: Float64Array.from(ts), values })),
);

function expectCorrupt(f: () => unknown): void {
  expect(f).toThrow(CorruptDataError);
}

function reseal(bytes: Uint8Array): Uint8Array {
  const out = bytes.slice();
  const end = out.length - 4;
  new DataView(out.buffer).setUint32(end, crc32(out.subarray(0, end)), true);
  return out;
}

describe("raw buffer codec round trip", () => {
  it("round-trips irregular timestamps and arbitrary values bit-exactly", () => {
    fc.assert(
      fc.property(rawSerie, (serie) => {
        expectSameSerie(decodeRawBuffer(encodeRawBuffer(serie)), serie);
      }),
      { numRuns: 400 },
    );
  });

  it("round-trips the empty buffer, one point and the extremes of the time range", () => {
    const cases: TimeSerie[] = [
      { timestamps: new Float64Array(0), values: new Float64Array(0) },
      { timestamps: Float64Array.of(0), values: Float64Array.of(-0) },
      { timestamps: Float64Array.of(MAX_SAFE), values: Float64Array.of(Number.NaN) },
      { timestamps: Float64Array.of(-MAX_SAFE), values: Float64Array.of(Number.NaN) },
      { timestamps: Float64Array.of(0, MAX_SAFE), values: Float64Array.of(1, 2) },
      { timestamps: Float64Array.of(-(2 ** 52), 2 ** 52 - 1), values: Float64Array.of(1, 2) },
      {
        timestamps: Float64Array.of(1, 2, MAX_SAFE - 1, MAX_SAFE),
        values: Float64Array.of(1, 2, 3, 4),
      },
      {
        timestamps: Float64Array.from(SPECIAL_VALUES, (_, i) => T0 + i * i * 1_000_003),
        values: Float64Array.from(SPECIAL_VALUES),
      },
    ];
    for (const serie of cases) expectSameSerie(decodeRawBuffer(encodeRawBuffer(serie)), serie);
  });

  it("stores a regular 10 s gauge compactly", () => {
    const n = 3000;
    const serie = {
      timestamps: Float64Array.from({ length: n }, (_, i) => T0 + i * 10_000_000),
      values: Float64Array.from(
        { length: n },
        (_, i) => Math.round(Math.sin(i / 50) * 10_000) / 100,
      ),
    };
    const bytes = encodeRawBuffer(serie);
    expect(bytes.length / n).toBeLessThan(1.5);
    expectSameSerie(decodeRawBuffer(bytes), serie);
  });

  it("rejects non-integer, unsafe, unordered or too widely spread timestamps", () => {
    const bad = (ts: number[]) => () =>
      encodeRawBuffer({ timestamps: Float64Array.from(ts), values: new Float64Array(ts.length) });
    expect(bad([1.5])).toThrow(RangeError);
    expect(bad([2 ** 53])).toThrow(RangeError);
    expect(bad([Number.NaN])).toThrow(RangeError);
    expect(bad([2, 1])).toThrow(RangeError);
    expect(bad([1, 1])).toThrow(RangeError);
    expect(bad([-(2 ** 52), 2 ** 52])).toThrow(RangeError);
  });
});

describe("raw buffer codec corruption", () => {
  const samples: Record<string, TimeSerie> = {
    jitter: {
      timestamps: Float64Array.from(
        { length: 500 },
        (_, i) => T0 + i * 10_000_000 + ((i * 7919) % 1000),
      ),
      values: Float64Array.from({ length: 500 }, (_, i) => Math.round(i * 1.37 * 100) / 100),
    },
    gaps: {
      timestamps: Float64Array.from([0, 1, 2 ** 40, 2 ** 40 + 5, 2 ** 50, 2 ** 52]),
      values: Float64Array.from([Number.NaN, -0, 1, Number.POSITIVE_INFINITY, 5e-324, Math.PI]),
    },
    single: { timestamps: Float64Array.of(T0), values: Float64Array.of(42) },
  };

  for (const [name, serie] of Object.entries(samples)) {
    const bytes = encodeRawBuffer(serie);

    it(`${name}: every flipped byte and every truncation is detected`, () => {
      for (let i = 0; i < bytes.length; i++) {
        for (const mask of [0x01, 0x80, 0xff]) {
          const bad = bytes.slice();
          bad[i]! ^= mask;
          expectCorrupt(() => decodeRawBuffer(bad));
        }
      }
      for (let len = 0; len < bytes.length; len++)
        expectCorrupt(() => decodeRawBuffer(bytes.subarray(0, len)));
      const longer = new Uint8Array(bytes.length + 3);
      longer.set(bytes);
      expectCorrupt(() => decodeRawBuffer(reseal(longer)));
    });

    it(`${name}: tampered bytes under a valid CRC decode to an ascending series or fail cleanly`, () => {
      fc.assert(
        fc.property(fc.nat(bytes.length - 5), fc.integer({ min: 1, max: 255 }), (i, mask) => {
          const bad = bytes.slice();
          bad[i]! ^= mask;
          let out: TimeSerie;
          try {
            out = decodeRawBuffer(reseal(bad));
          } catch (e) {
            expect(e).toBeInstanceOf(CorruptDataError);
            return;
          }
          const ts = out.timestamps;
          let ok = out.values.length === ts.length;
          for (let j = 0; j < ts.length; j++) {
            if (!Number.isSafeInteger(ts[j]!)) ok = false;
            if (j > 0 && !(ts[j]! > ts[j - 1]!)) ok = false;
          }
          expect(ok).toBe(true);
        }),
        { numRuns: 300 },
      );
    });
  }

  it("rejects a wrong tag, a split, and random bytes", () => {
    const bytes = encodeRawBuffer(samples.single!);
    for (const tag of [0x00, 0x01, 0x63, RAW_FORMAT_TAG + 1, 0xa1]) {
      const bad = bytes.slice();
      bad[0] = tag;
      expectCorrupt(() => decodeRawBuffer(reseal(bad)));
    }
    const split = encodeSplit(0, 1_000_000, {
      timestamps: Float64Array.of(0),
      values: Float64Array.of(1),
    });
    expectCorrupt(() => decodeRawBuffer(split));
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (b) => {
        expectCorrupt(() => decodeRawBuffer(b));
      }),
    );
  });
});
