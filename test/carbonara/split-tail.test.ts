import { crc32 } from "node:zlib";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { CorruptDataError } from "../../src/carbonara/errors.js";
import { mergeSeries } from "../../src/carbonara/series-ops.js";
import {
  decodeSplit,
  encodeSplit,
  SPLIT_FORMAT_TAG,
  SPLIT_FORMAT_V1_TAG,
  splitPointCount,
} from "../../src/carbonara/split-codec.js";
import { SplitTail } from "../../src/carbonara/split-tail.js";
import { MICROS_PER_SECOND } from "../../src/carbonara/time.js";
import type { TimeSerie } from "../../src/carbonara/timeserie.js";
import { expectSameSerie, SPECIAL_VALUES } from "./codec-arbitraries.js";

const SLOTS = 3600;
const G = 60 * MICROS_PER_SECOND;
const KEY = Math.floor(1_700_000_000_000_000 / (SLOTS * G)) * SLOTS * G;

function serieOf(slots: readonly number[], values: readonly number[]): TimeSerie {
  return {
    timestamps: Float64Array.from(slots, (k) => KEY + k * G),
    values: Float64Array.from(values),
  };
}

/** One cycle's fresh buckets: ascending unique slots from `from`, with values. */
const value = fc.oneof(
  fc.integer({ min: -100_000, max: 100_000 }).map((x) => x / 100),
  fc.double({ noNaN: false }),
  fc.constantFrom(...SPECIAL_VALUES),
);

interface Step {
  /** Where the batch starts relative to the newest point: > 0 after it, ≤ 0 overlaps (late data). */
  readonly back: number;
  readonly gaps: number[];
  readonly values: number[];
}

const step: fc.Arbitrary<Step> = fc
  .tuple(
    fc.oneof(
      { weight: 6, arbitrary: fc.integer({ min: 0, max: 3 }) },
      { weight: 1, arbitrary: fc.integer({ min: -400, max: -1 }) },
    ),
    fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 300 }),
  )
  .chain(([back, gaps]) =>
    fc
      .array(value, { minLength: gaps.length, maxLength: gaps.length })
      .map((values) => ({ back, gaps, values })),
  );

/** Applies the steps to a SplitTail and to a plain merged series, checking both agree each time. */
function run(steps: readonly Step[], sealPoints: number, reopenEvery: number): void {
  let split = new SplitTail(KEY, G, sealPoints);
  let model: TimeSerie = { timestamps: new Float64Array(0), values: new Float64Array(0) };
  steps.forEach((s, i) => {
    const n = model.timestamps.length;
    const last = n === 0 ? -1 : Math.round((model.timestamps[n - 1]! - KEY) / G);
    let k = Math.max(0, last + s.back);
    const slots: number[] = [];
    const values: number[] = [];
    for (let j = 0; j < s.gaps.length && k < SLOTS; j++) {
      slots.push(k);
      values.push(s.values[j]!);
      k += s.gaps[j]!;
    }
    if (slots.length === 0) return;
    const fresh = serieOf(slots, values);
    model = mergeSeries(model, fresh);
    const bytes = split.append(fresh);
    expect(split.count).toBe(model.timestamps.length);
    expect(split.lastTimestamp).toBe(model.timestamps[model.timestamps.length - 1]);
    expect(split.encode()).toEqual(bytes);
    expect(bytes[0]).toBe(SPLIT_FORMAT_TAG);
    expect(splitPointCount(bytes, KEY, G)).toBe(model.timestamps.length);
    expectSameSerie(decodeSplit(bytes, KEY, G), model);
    expectSameSerie(split.toSerie(), model);
    // As after a cache miss: continue from the stored bytes.
    if ((i + 1) % reopenEvery === 0) split = SplitTail.decode(bytes, KEY, G, sealPoints);
  });
}

describe("SplitTail (appendable split)", () => {
  it("agrees with merge + encodeSplit over random cycles, late data and reopening", () => {
    fc.assert(
      fc.property(
        fc.array(step, { minLength: 1, maxLength: 25 }),
        fc.constantFrom(1, 2, 7, 64, 256),
        fc.constantFrom(1, 3, 1000),
        (steps, sealPoints, reopenEvery) => run(steps, sealPoints, reopenEvery),
      ),
      { numRuns: 300 },
    );
  });

  it("keeps older points as sealed chunks: a cycle re-encodes only its tail", () => {
    const split = new SplitTail(KEY, G, 256);
    let walk = 50;
    let size = 0;
    for (let cycle = 0; cycle < 12; cycle++) {
      const slots = Array.from({ length: 300 }, (_, i) => cycle * 300 + i);
      const values = slots.map(() => {
        walk = Math.round((walk + 0.37) * 100) / 100;
        return walk;
      });
      size = split.append(serieOf(slots, values)).length;
    }
    expect(split.count).toBe(SLOTS);
    // Chunk headers cost little next to one encodeSplit of the same points.
    const whole = encodeSplit(KEY, G, split.toSerie()).length;
    expect(size).toBeLessThan(whole + 12 * 24);
    // The cached form is the sealed bytes plus a small tail, not 16 B per point.
    expect(split.memoryBytes).toBeLessThan(size * 2 + 1024);
  });

  it("recomputes the last bucket in place (fresh wins) without reopening sealed chunks", () => {
    const split = new SplitTail(KEY, G, 4);
    split.append(serieOf([0, 1, 2, 3, 4, 5, 6], [1, 2, 3, 4, 5, 6, 7]));
    expectSameSerie(
      decodeSplit(split.append(serieOf([6, 7], [70, 80])), KEY, G),
      serieOf([0, 1, 2, 3, 4, 5, 6, 7], [1, 2, 3, 4, 5, 6, 70, 80]),
    );
    // A late point before the sealed ones reopens the split and still merges right.
    expectSameSerie(
      decodeSplit(split.append(serieOf([1], [-1])), KEY, G),
      serieOf([0, 1, 2, 3, 4, 5, 6, 7], [1, -1, 3, 4, 5, 6, 70, 80]),
    );
  });

  it("opens version 1 splits (one chunkless body) and writes them back as version 2", () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.integer({ min: 0, max: SLOTS - 2 }), { minLength: 1, maxLength: 500 }),
        fc.array(value, { minLength: 500, maxLength: 500 }),
        (ks, vs) => {
          const slots = [...ks].sort((a, b) => a - b);
          const serie = serieOf(slots, vs.slice(0, slots.length));
          const v1 = toV1(encodeSplit(KEY, G, serie));
          expect(v1[0]).toBe(SPLIT_FORMAT_V1_TAG);
          expectSameSerie(decodeSplit(v1, KEY, G), serie);
          const split = SplitTail.decode(v1, KEY, G);
          expectSameSerie(
            decodeSplit(split.append(serieOf([SLOTS - 1], [42])), KEY, G),
            mergeSeries(serie, serieOf([SLOTS - 1], [42])),
          );
        },
      ),
      { numRuns: 100 },
    );
  });

  it("refuses points outside the split, changing nothing, and corrupt bytes when opening", () => {
    const split = new SplitTail(KEY, G, 2);
    const before = split.append(serieOf([0, 1, 2, 3, 4], [1, 2, 3, 4, 5]));
    for (const t of [KEY + SLOTS * G, KEY + 5 * G + 1, KEY - G]) {
      expect(() =>
        split.append({
          timestamps: Float64Array.of(KEY + 5 * G, t),
          values: Float64Array.of(6, 7),
        }),
      ).toThrow(RangeError);
      expect(split.encode()).toEqual(before);
      expect(split.count).toBe(5);
    }
    const bytes = encodeSplit(KEY, G, serieOf([1, 2, 3], [1, 2, 3]));
    const bad = bytes.slice();
    bad[3]! ^= 0x10;
    expect(() => SplitTail.decode(bad, KEY, G)).toThrow(CorruptDataError);
    expect(() => SplitTail.decode(bytes, KEY + SLOTS * G, G)).toThrow(CorruptDataError);
  });
  it("answers appends as chunk-stream changes: keep the sealed prefix, add the new chunks", () => {
    const split = new SplitTail(KEY, G, 8);
    let stream = new Uint8Array(0);
    let wholeCount = 0;
    let appended = 0;
    for (let cycle = 0; cycle < 30; cycle++) {
      // Every 7th cycle rewrites a bucket already sealed (late data): a whole rewrite.
      const late = cycle % 7 === 6;
      const first = late ? cycle * 5 - 20 : cycle * 5;
      const slots = Array.from({ length: 5 }, (_, i) => first + i);
      const change = split.appendChunks(
        serieOf(
          slots,
          slots.map((k) => k / 4 + cycle),
        ),
        cycle % 10 === 9,
      );
      if (change.keep === 0) wholeCount++;
      expect(change.keep).toBeLessThanOrEqual(stream.length);
      const next = new Uint8Array(change.keep + change.chunks.length);
      next.set(stream.subarray(0, change.keep));
      next.set(change.chunks, change.keep);
      stream = next;
      const whole = split.encode();
      expect(change.count).toBe(split.count);
      // The v2 bytes are tag, count (a 1- or 2-byte varint), the stream, CRC.
      expect(whole.subarray(whole.length - 4 - stream.length, whole.length - 4)).toEqual(stream);
      if (change.keep > 0) appended++;
    }
    // Whole: the first cycles (nothing sealed yet), 4 late ones, 2 asked for; else appends.
    expect(wholeCount).toBeGreaterThanOrEqual(1 + 4 + 2);
    expect(appended).toBeGreaterThanOrEqual(15);
    // No change at all still answers the stream's tail chunk.
    const same = split.appendChunks(serieOf([], []), false);
    expect(same.keep + same.chunks.length).toBe(stream.length);
  });

  it("tells splits alike bit for bit, and copyFrom replays an append without encoding", () => {
    const a = new SplitTail(KEY, G, 4);
    const b = new SplitTail(KEY, G, 4);
    expect(a.sameAs(b)).toBe(true);
    for (let cycle = 0; cycle < 6; cycle++) {
      const slots = Array.from({ length: 3 }, (_, i) => cycle * 3 + i);
      const fresh = serieOf(
        slots,
        slots.map((k) => k * 1.5),
      );
      expect(a.sameAs(b)).toBe(true);
      a.appendChunks(fresh, false);
      b.copyFrom(a);
      expect(b.encode()).toEqual(a.encode());
      expect(b.count).toBe(a.count);
      // Both go on alike: the next real append makes the same change to either.
      const next = serieOf([cycle * 3 + 3], [cycle]);
      const copyA = new SplitTail(KEY, G, 4);
      copyA.copyFrom(a);
      expect(copyA.appendChunks(next, false)).toEqual(
        (() => {
          const copyB = new SplitTail(KEY, G, 4);
          copyB.copyFrom(b);
          return copyB.appendChunks(next, false);
        })(),
      );
    }
    // −0 and 0 encode differently: not alike.
    const zero = new SplitTail(KEY, G, 4);
    const minusZero = new SplitTail(KEY, G, 4);
    zero.append(serieOf([0], [0]));
    minusZero.append(serieOf([0], [-0]));
    expect(zero.sameAs(minusZero)).toBe(false);
    expect(zero.sameAs(new SplitTail(KEY, G, 8))).toBe(false);
    expect(() => zero.copyFrom(new SplitTail(KEY + SLOTS * G, G))).toThrow(RangeError);
  });
});

/** The version 1 bytes of a single-chunk version 2 split (drops the chunk's point count). */
function toV1(v2: Uint8Array): Uint8Array {
  let at = 1;
  while (v2[at]! >= 128) at++;
  at++; // past n
  let m = at;
  while (v2[m]! >= 128) m++;
  m++; // past the chunk's m
  const body = v2.subarray(m, v2.length - 4);
  const out = new Uint8Array(at + body.length + 4);
  out.set(v2.subarray(0, at));
  out[0] = SPLIT_FORMAT_V1_TAG;
  out.set(body, at);
  const seed = crc32(new Uint8Array(new Float64Array([KEY, G]).buffer));
  new DataView(out.buffer).setUint32(
    out.length - 4,
    crc32(out.subarray(0, out.length - 4), seed),
    true,
  );
  return out;
}
