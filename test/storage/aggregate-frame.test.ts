/**
 * The aggregate store's frame format (src/storage/aggregate-frame.ts) on its
 * own: every entry kind survives encode → scan and encode → hint → parse,
 * data offsets point at the data, and a scan reports a damaged frame in the
 * middle and a torn tail without losing the frames around them.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  APPEND_SPLIT,
  DEL_METRIC,
  DEL_RAW,
  DEL_SPLIT,
  encodeFrame,
  hasData,
  hintOf,
  MARKER,
  type ParsedEntry,
  type ParsedFrame,
  PUT_RAW,
  PUT_SPLIT,
  parseHint,
  parseSegment,
  REPLACES,
} from "../../src/storage/aggregate-frame.js";

type EntryWithData = { entry: ParsedEntry; data: Uint8Array | undefined };

const split = (kind: number) =>
  fc
    .record({
      method: fc.constantFrom("mean", "max", "rate:last", "99pct", "é-méthode"),
      granularity: fc.integer({ min: 1, max: 365 * 86_400 }).map((s) => s * 1_000_000),
      key: fc.integer({ min: 0, max: 2_000_000_000 }).map((s) => s * 1_000_000),
      keep: fc.nat(1 << 20),
      count: fc.nat(3600),
      data: fc.uint8Array({ maxLength: 300 }),
    })
    .map(({ method, granularity, key, keep, count, data }): EntryWithData => {
      const entry: ParsedEntry = { kind, entryOff: 0, entrySize: 0, method, granularity, key };
      if (kind === APPEND_SPLIT) Object.assign(entry, { keep, count });
      return { entry, data: hasData(kind) ? data : undefined };
    });

const entryArb: fc.Arbitrary<EntryWithData> = fc.oneof(
  split(PUT_SPLIT),
  split(DEL_SPLIT),
  split(APPEND_SPLIT),
  fc.uint8Array({ maxLength: 500 }).map((data) => ({
    entry: { kind: PUT_RAW, entryOff: 0, entrySize: 0 },
    data,
  })),
  fc.constant({ entry: { kind: DEL_RAW, entryOff: 0, entrySize: 0 }, data: undefined }),
  fc.constant({ entry: { kind: DEL_METRIC, entryOff: 0, entrySize: 0 }, data: undefined }),
  fc.string({ maxLength: 40 }).map((marker) => ({
    entry: { kind: MARKER, entryOff: 0, entrySize: 0, marker },
    data: undefined,
  })),
  fc.array(fc.nat(0xffffffff), { maxLength: 20 }).map((replaces) => ({
    entry: { kind: REPLACES, entryOff: 0, entrySize: 0, replaces },
    data: undefined,
  })),
);

interface FrameSpec {
  seq: number;
  metricId: string;
  entries: EntryWithData[];
}

const frameArb: fc.Arbitrary<FrameSpec> = fc.record({
  seq: fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
  metricId: fc.oneof(fc.uuid(), fc.constant("")),
  entries: fc.array(entryArb, { maxLength: 12 }),
});

/** The frames concatenated as a segment image, each frame's offset set. */
function segmentOf(frames: FrameSpec[]): {
  image: Uint8Array;
  encoded: ParsedFrame[];
} {
  const parts: Uint8Array[] = [];
  const encoded: ParsedFrame[] = [];
  let off = 0;
  for (const f of frames) {
    const entries = f.entries.map((e) => ({ ...e.entry }));
    const { bytes, frame } = encodeFrame(
      f.seq,
      f.metricId,
      entries,
      f.entries.map((e) => e.data),
    );
    parts.push(bytes.slice());
    encoded.push({
      ...frame,
      off,
      entries: frame.entries.map((e) => ({
        ...e,
        entryOff: e.entryOff + off,
        ...(e.dataOff === undefined ? {} : { dataOff: e.dataOff + off }),
      })),
    });
    off += bytes.length;
  }
  const image = new Uint8Array(off);
  let at = 0;
  for (const p of parts) {
    image.set(p, at);
    at += p.length;
  }
  return { image, encoded };
}

const noCorruption = () => {
  throw new Error("unexpected corruption report");
};

describe("aggregate frames", () => {
  it("scan gives back every frame and entry; data offsets point at the data", () => {
    fc.assert(
      fc.property(fc.array(frameArb, { minLength: 1, maxLength: 6 }), (frames) => {
        const { image, encoded } = segmentOf(frames);
        const scanned = parseSegment(image, noCorruption, noCorruption);
        expect(scanned).toEqual(encoded);
        scanned.forEach((frame, i) => {
          frame.entries.forEach((e, k) => {
            const data = frames[i]!.entries[k]!.data;
            if (data === undefined) expect(e.dataOff).toBeUndefined();
            else expect(image.subarray(e.dataOff!, e.dataOff! + e.dataLen!)).toEqual(data);
          });
        });
      }),
      { numRuns: 200 },
    );
  });

  it("a hint parses back to the scanned frames, and is refused for another size or a flipped byte", () => {
    fc.assert(
      fc.property(fc.array(frameArb, { maxLength: 6 }), (frames) => {
        const { image } = segmentOf(frames);
        const scanned = parseSegment(image, noCorruption, noCorruption);
        const hint = hintOf(scanned, image.length);
        expect(parseHint(hint, image.length)).toEqual(scanned);
        expect(parseHint(hint, image.length + 1)).toBeUndefined();
        const nl = hint.indexOf("\n");
        const flipped = `${hint.slice(0, nl + 2)}${hint[nl + 2] === "x" ? "y" : "x"}${hint.slice(nl + 3)}`;
        expect(parseHint(flipped, image.length)).toBeUndefined();
      }),
      { numRuns: 100 },
    );
  });

  it("reports a damaged frame in the middle and a torn tail, and keeps the others", () => {
    const frame = (seq: number) => ({
      seq,
      metricId: "5a301761-f78b-46e2-8900-8b4f6fe6675a",
      entries: [
        {
          entry: { kind: PUT_RAW, entryOff: 0, entrySize: 0 },
          data: new Uint8Array(64).fill(seq),
        },
      ],
    });
    const { image, encoded } = segmentOf([frame(1), frame(2), frame(3), frame(4)]);
    // A data byte of frame 2 flips: its frame CRC fails.
    image[encoded[1]!.entries[0]!.dataOff! + 3]! ^= 0xff;
    // Frame 4 is cut in its middle: a write that never completed.
    const torn = image.subarray(0, encoded[3]!.off + 30);
    const corrupt: [number, number][] = [];
    const tornAt: number[] = [];
    const scanned = parseSegment(
      torn,
      (off, skipped) => corrupt.push([off, skipped]),
      (off) => tornAt.push(off),
    );
    expect(scanned.map((f) => f.seq)).toEqual([1, 3]);
    expect(corrupt).toEqual([[encoded[1]!.off, encoded[2]!.off - encoded[1]!.off]]);
    expect(tornAt).toEqual([encoded[3]!.off]);
  });

  it("refuses a method name longer than 255 bytes", () => {
    const entry: ParsedEntry = {
      kind: DEL_SPLIT,
      entryOff: 0,
      entrySize: 0,
      method: "m".repeat(256),
      granularity: 1,
      key: 0,
    };
    expect(() => encodeFrame(1, "", [entry], [undefined])).toThrow(RangeError);
  });
});
