import { crc32 } from "node:zlib";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { CorruptDataError } from "../../src/carbonara/errors.js";
import {
  decodeSplit,
  decodeSplitInto,
  encodeSplit,
  SPLIT_FORMAT_TAG,
  SplitAppender,
  SplitIterator,
  splitPointCount,
} from "../../src/carbonara/split-codec.js";
import { MICROS_PER_SECOND } from "../../src/carbonara/time.js";
import type { TimeSerie } from "../../src/carbonara/timeserie.js";
import { expectSameSerie, SPECIAL_VALUES, valueSeries } from "./codec-arbitraries.js";

const SLOTS = 3600;
const G60 = 60 * MICROS_PER_SECOND;
const KEY60 = Math.floor(1_700_000_000_000_000 / (SLOTS * G60)) * SLOTS * G60;

const granularity = fc.oneof(
  fc.constantFrom(
    1,
    200_000,
    1_000_000,
    7_000_000,
    58_000_000,
    60_000_000,
    300_000_000,
    3_600_000_000,
    86_400_000_000,
  ),
  fc.integer({ min: 1, max: 2_000_000_000 }),
);

/** Slot offsets k (ascending, unique, within [0, 3600)). */
const slots = fc.oneof(
  fc.constant(Array.from({ length: SLOTS }, (_, i) => i)),
  fc.uniqueArray(fc.integer({ min: 0, max: SLOTS - 1 }), { minLength: 0, maxLength: 400 }),
  fc
    .tuple(
      fc.integer({ min: 0, max: SLOTS - 1 }),
      fc.integer({ min: 1, max: 700 }),
      fc.integer({ min: 1, max: SLOTS }),
    )
    .map(([start, stride, count]) => {
      const out: number[] = [];
      for (let k = start; k < SLOTS && out.length < count; k += stride) out.push(k);
      return out;
    }),
  // Dense with a few holes.
  fc.uniqueArray(fc.integer({ min: 0, max: SLOTS - 1 }), { maxLength: 50 }).map((holes) => {
    const skip = new Set(holes);
    return Array.from({ length: SLOTS }, (_, i) => i).filter((k) => !skip.has(k));
  }),
  fc.constantFrom([0], [SLOTS - 1], [0, SLOTS - 1], [1799, 1800]),
);

interface SplitCase {
  key: number;
  g: number;
  serie: TimeSerie;
}

const splitCase: fc.Arbitrary<SplitCase> = fc
  .tuple(granularity, slots)
  .chain(([g, ks]) => {
    const sorted = [...ks].sort((a, b) => a - b);
    const maxM = Math.floor(Number.MAX_SAFE_INTEGER / (SLOTS * g)) - 1;
    return fc.tuple(
      fc.constant(g),
      fc.constant(sorted),
      fc.oneof(fc.integer({ min: -maxM, max: maxM }), fc.constantFrom(0, maxM, -maxM)),
      valueSeries(sorted.length),
    );
  })
  .map(([g, ks, m, values]) => {
    const key = m * SLOTS * g;
    return { key, g, serie: { timestamps: Float64Array.from(ks, (k) => key + k * g), values } };
  });

function fullSplit(value: (i: number) => number): TimeSerie {
  return {
    timestamps: Float64Array.from({ length: SLOTS }, (_, i) => KEY60 + i * G60),
    values: Float64Array.from({ length: SLOTS }, (_, i) => value(i)),
  };
}

function expectCorrupt(f: () => unknown): void {
  expect(f).toThrow(CorruptDataError);
}

/** Re-seals a tampered split with a valid CRC so the structural checks behind it are exercised. */
function reseal(bytes: Uint8Array, key: number, g: number): Uint8Array {
  const out = bytes.slice();
  const end = out.length - 4;
  const seed = crc32(new Uint8Array(new Float64Array([key, g]).buffer));
  const crc = crc32(out.subarray(0, end), seed);
  new DataView(out.buffer).setUint32(end, crc, true);
  return out;
}

describe("split codec round trip", () => {
  it("round-trips random and adversarial splits bit-exactly", () => {
    fc.assert(
      fc.property(splitCase, ({ key, g, serie }) => {
        const bytes = encodeSplit(key, g, serie);
        expectSameSerie(decodeSplit(bytes, key, g), serie);
        expect(splitPointCount(bytes, key, g)).toBe(serie.timestamps.length);
      }),
      { numRuns: 400 },
    );
  });

  it("round-trips every special value alone, in pairs and next to decimals", () => {
    for (const a of SPECIAL_VALUES) {
      for (const b of SPECIAL_VALUES) {
        const serie = {
          timestamps: Float64Array.from([KEY60, KEY60 + G60, KEY60 + 5 * G60]),
          values: Float64Array.from([a, b, 1.25]),
        };
        expectSameSerie(decodeSplit(encodeSplit(KEY60, G60, serie), KEY60, G60), serie);
      }
      const one = { timestamps: Float64Array.of(KEY60 + 3599 * G60), values: Float64Array.of(a) };
      expectSameSerie(decodeSplit(encodeSplit(KEY60, G60, one), KEY60, G60), one);
    }
  });

  it("keeps NaN, −0 and the NaN payload bits", () => {
    const nan = new Float64Array(new Uint32Array([7, 0x7ff00001]).buffer)[0]!;
    const serie = {
      timestamps: Float64Array.of(KEY60, KEY60 + G60),
      values: Float64Array.of(nan, -0),
    };
    const out = decodeSplit(encodeSplit(KEY60, G60, serie), KEY60, G60);
    expect(new Uint32Array(out.values.buffer, 0, 2)).toEqual(new Uint32Array([7, 0x7ff00001]));
    expect(Object.is(out.values[1], -0)).toBe(true);
  });

  it("handles an empty split, a single point and exactly 3600 points", () => {
    const empty = { timestamps: new Float64Array(0), values: new Float64Array(0) };
    expectSameSerie(decodeSplit(encodeSplit(KEY60, G60, empty), KEY60, G60), empty);
    const full = fullSplit((i) => i * 0.5);
    expectSameSerie(decodeSplit(encodeSplit(KEY60, G60, full), KEY60, G60), full);
  });

  it("supports sub-second granularities and pre-epoch keys", () => {
    const g = 200_000;
    const key = -7 * SLOTS * g;
    const serie = {
      timestamps: Float64Array.from({ length: 100 }, (_, i) => key + (i * 3 + 1) * g),
      values: Float64Array.from({ length: 100 }, (_, i) => Math.sin(i)),
    };
    expectSameSerie(decodeSplit(encodeSplit(key, g, serie), key, g), serie);
  });

  it("stores regular decimal gauges and counters compactly", () => {
    let x = 50;
    const gauge = fullSplit((i) => {
      x = Math.round((x + Math.sin(i * 12.9898) * 0.5) * 100) / 100;
      return x;
    });
    expect(encodeSplit(KEY60, G60, gauge).length / SLOTS).toBeLessThan(1.5);
    const counter = fullSplit((i) => 1e9 + i * 250 + (i % 7));
    expect(encodeSplit(KEY60, G60, counter).length / SLOTS).toBeLessThan(0.5);
    const constant = fullSplit(() => 1);
    expect(encodeSplit(KEY60, G60, constant).length).toBeLessThan(20);
  });

  it("rejects timestamps outside the split, misaligned or not ascending", () => {
    const bad = (ts: number[]) => () =>
      encodeSplit(KEY60, G60, {
        timestamps: Float64Array.from(ts),
        values: new Float64Array(ts.length),
      });
    expect(bad([KEY60 - G60])).toThrow(RangeError);
    expect(bad([KEY60 + SLOTS * G60])).toThrow(RangeError);
    expect(bad([KEY60 + 1])).toThrow(RangeError);
    expect(bad([KEY60 + G60, KEY60])).toThrow(RangeError);
    expect(bad([KEY60, KEY60])).toThrow(RangeError);
    expect(() =>
      encodeSplit(KEY60, 0, { timestamps: new Float64Array(0), values: new Float64Array(0) }),
    ).toThrow(RangeError);
  });
});

describe("decodeSplitInto", () => {
  it("decodes consecutive splits into one preallocated series", () => {
    fc.assert(
      fc.property(fc.array(splitCase, { minLength: 1, maxLength: 4 }), fc.nat(5), (cases, pad) => {
        const encoded = cases.map(({ key, g, serie }) => encodeSplit(key, g, serie));
        const total = cases.reduce((acc, c) => acc + c.serie.timestamps.length, 0);
        const timestamps = new Float64Array(pad + total + pad).fill(-1);
        const values = new Float64Array(pad + total + pad).fill(-1);
        let at = pad;
        cases.forEach(({ key, g }, i) => {
          expect(splitPointCount(encoded[i]!, key, g)).toBe(cases[i]!.serie.timestamps.length);
          at += decodeSplitInto(encoded[i]!, key, g, timestamps, values, at);
        });
        expect(at).toBe(pad + total);
        at = pad;
        for (const { serie } of cases) {
          const n = serie.timestamps.length;
          expectSameSerie(
            { timestamps: timestamps.subarray(at, at + n), values: values.subarray(at, at + n) },
            serie,
          );
          at += n;
        }
        for (let i = 0; i < pad; i++) {
          expect([timestamps[i], values[i], timestamps[at + i], values[at + i]]).toEqual([
            -1, -1, -1, -1,
          ]);
        }
      }),
      { numRuns: 100 },
    );
  });

  it("refuses to write past the end of the arrays", () => {
    const bytes = encodeSplit(
      KEY60,
      G60,
      fullSplit((i) => i),
    );
    expect(() =>
      decodeSplitInto(bytes, KEY60, G60, new Float64Array(SLOTS), new Float64Array(SLOTS), 1),
    ).toThrow(RangeError);
  });
});

describe("SplitAppender and SplitIterator", () => {
  it("append/finish and next() agree with the bulk functions", () => {
    fc.assert(
      fc.property(splitCase, ({ key, g, serie }) => {
        const app = new SplitAppender(key, g);
        for (let i = 0; i < serie.timestamps.length; i++)
          app.append(serie.timestamps[i]!, serie.values[i]!);
        expect(app.count).toBe(serie.timestamps.length);
        const bytes = app.finish();
        expect(bytes).toEqual(encodeSplit(key, g, serie));
        const it = new SplitIterator(bytes, key, g);
        expect(it.length).toBe(serie.timestamps.length);
        const ts: number[] = [];
        const vs: number[] = [];
        while (it.next()) {
          ts.push(it.t);
          vs.push(it.v);
        }
        expectSameSerie(
          { timestamps: Float64Array.from(ts), values: Float64Array.from(vs) },
          serie,
        );
        expect(it.next()).toBe(false);
      }),
      { numRuns: 100 },
    );
  });

  it("refuses a point out of order or past capacity", () => {
    const app = new SplitAppender(KEY60, G60);
    app.append(KEY60 + G60, 1);
    expect(() => app.append(KEY60, 2)).toThrow(RangeError);
    const full = new SplitAppender(KEY60, G60);
    for (let i = 0; i < SLOTS; i++) full.append(KEY60 + i * G60, i);
    expect(() => full.append(KEY60 + SLOTS * G60, 0)).toThrow(RangeError);
  });
});

describe("split codec corruption", () => {
  let walk = 10;
  const samples: Record<string, TimeSerie> = {
    decimal: fullSplit(() => {
      walk = Math.round((walk + 0.37) * 100) / 100;
      return walk;
    }),
    xor: {
      timestamps: Float64Array.from({ length: 300 }, (_, i) => KEY60 + i * 11 * G60),
      values: Float64Array.from({ length: 300 }, (_, i) =>
        i % 17 === 0 ? Number.NaN : Math.cos(i) * 1e6,
      ),
    },
    constant: fullSplit(() => 0),
    single: { timestamps: Float64Array.of(KEY60 + 42 * G60), values: Float64Array.of(-0) },
    sparse: {
      timestamps: Float64Array.from([0, 1, 5, 700, 701, 3599], (k) => KEY60 + k * G60),
      values: Float64Array.from([1, 2, 3, 4, 5, 6]),
    },
  };

  for (const [name, serie] of Object.entries(samples)) {
    const bytes = encodeSplit(KEY60, G60, serie);

    it(`${name}: every flipped byte is detected`, () => {
      for (let i = 0; i < bytes.length; i++) {
        for (const mask of [0x01, 0x80, 0xff]) {
          const bad = bytes.slice();
          bad[i]! ^= mask;
          expectCorrupt(() => decodeSplit(bad, KEY60, G60));
        }
      }
    });

    it(`${name}: every truncation and extension is detected`, () => {
      for (let len = 0; len < bytes.length; len++) {
        expectCorrupt(() => decodeSplit(bytes.subarray(0, len), KEY60, G60));
      }
      const longer = new Uint8Array(bytes.length + 1);
      longer.set(bytes);
      expectCorrupt(() => decodeSplit(longer, KEY60, G60));
      expectCorrupt(() => decodeSplit(reseal(longer, KEY60, G60), KEY60, G60));
    });

    it(`${name}: wrong tag, key or granularity is detected`, () => {
      for (const tag of [0x00, 0x01, 0x63, SPLIT_FORMAT_TAG + 1, 0xb1]) {
        const bad = bytes.slice();
        bad[0] = tag;
        expectCorrupt(() => decodeSplit(reseal(bad, KEY60, G60), KEY60, G60));
      }
      expectCorrupt(() => decodeSplit(bytes, KEY60 + SLOTS * G60, G60));
      expectCorrupt(() => decodeSplit(bytes, KEY60, G60 * 2));
    });

    it(`${name}: tampered bytes under a valid CRC never decode to an invalid series`, () => {
      fc.assert(
        fc.property(fc.nat(bytes.length - 5), fc.integer({ min: 1, max: 255 }), (i, mask) => {
          const bad = bytes.slice();
          bad[i]! ^= mask;
          let out: TimeSerie;
          try {
            out = decodeSplit(reseal(bad, KEY60, G60), KEY60, G60);
          } catch (e) {
            expect(e).toBeInstanceOf(CorruptDataError);
            return;
          }
          // Decoded: the series must still be a well-formed split.
          const ts = out.timestamps;
          let wellFormed = out.values.length === ts.length && ts.length <= SLOTS;
          for (let j = 0; j < ts.length; j++) {
            const k = (ts[j]! - KEY60) / G60;
            if (!(Number.isInteger(k) && k >= 0 && k < SLOTS)) wellFormed = false;
            if (j > 0 && !(ts[j]! > ts[j - 1]!)) wellFormed = false;
          }
          expect(wellFormed).toBe(true);
        }),
        { numRuns: 300 },
      );
    });
  }

  it("rejects impossible counts behind a valid CRC", () => {
    const bad = new Uint8Array([SPLIT_FORMAT_TAG, 0x91, 0x1c, 0, 0, 0, 0]); // n = 3601
    expectCorrupt(() => decodeSplit(reseal(bad, KEY60, G60), KEY60, G60));
  });

  it("rejects random bytes", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        expectCorrupt(() => decodeSplit(bytes, KEY60, G60));
      }),
    );
  });
});
