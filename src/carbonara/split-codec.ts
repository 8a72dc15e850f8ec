/**
 * The aggregated split codec: one split (spec carbonara §6.1) of at most 3600
 * points of one (method, granularity) aggregate, as stored bytes. Our own
 * format (we never read Gnocchi's LZ4 bytes, §6.3); in the spirit of the
 * Prometheus tsdb chunk encoders, with block bit-packing instead of per-value
 * bit streams because word-at-a-time packing is much faster in JS.
 *
 * Byte format, version 2 (all multi-byte numbers little-endian; the column
 * encodings are specified in bit-packing.ts):
 *
 *   u8       0xA2                      format tag: kind 0xA_ (split), version 2
 *   uvarint  n                         number of points, 0..3600
 *   chunks, until n points are read; each one:
 *     uvarint  m                       points in the chunk, 1..n − (points before)
 *     integer column   kᵢ = (tᵢ − key) / g, the slot offsets, ascending across
 *                      chunks, 0 ≤ k < 3600 (delta or delta-of-delta, cheaper
 *                      wins; a regular run costs 4–5 bytes in all)
 *     value column     decimal mode (scaled integers, order 0/1/2, cheapest
 *                      wins) or XOR mode (bit patterns, any float64)
 *   u32      CRC-32 (zlib) of key and g as two float64 LE, then of every
 *            byte before the CRC
 *
 * Chunks make a split appendable (see split-tail.ts): the newest split of an
 * aggregation grows every processing cycle, and re-encoding all its points
 * each time cost more than everything else metricd does. Its older points stay
 * encoded chunks, only the new ones are encoded. `encodeSplit` writes one chunk.
 *
 * Version 1 (0xA1: the same without chunks, n points in one body) is still
 * read.
 *
 * The key and granularity are not stored but are covered by the CRC, so a
 * split decoded under the wrong key or granularity is reported as corrupt
 * instead of being shifted in time. Anything that does not decode (unknown
 * tag, truncation, CRC mismatch, impossible count or offset, trailing bytes)
 * throws CorruptDataError.
 */
import { crc32 } from "node:zlib";
import {
  ByteReader,
  ByteWriter,
  decodeIntColumn,
  decodeValueColumn,
  encodeIntColumn,
  encodeValueColumn,
  ORDER_1,
  ORDER_2,
} from "./bit-packing.js";
import { CorruptDataError } from "./errors.js";
import { POINTS_PER_SPLIT } from "./split-key.js";
import type { Micros } from "./time.js";
import type { TimeSerie } from "./timeserie.js";

export const SPLIT_FORMAT_TAG = 0xa2;
/** The chunkless format of version 1, still decoded. */
export const SPLIT_FORMAT_V1_TAG = 0xa1;

const writer = new ByteWriter(1 << 16);
const offsets = new Float64Array(POINTS_PER_SPLIT);
const keyBuffer = new Float64Array(2);
const keyBytes = new Uint8Array(keyBuffer.buffer);

/** The CRC of key and granularity every split checksum starts from. */
export function splitCrcSeed(key: Micros, granularity: Micros): number {
  keyBuffer[0] = key;
  keyBuffer[1] = granularity;
  return crc32(keyBytes);
}

export function checkSplitArgs(key: Micros, granularity: Micros): void {
  if (!(Number.isSafeInteger(granularity) && granularity > 0)) {
    throw new RangeError(
      `split granularity must be a positive integer of microseconds, got ${granularity}`,
    );
  }
  if (!Number.isSafeInteger(key)) {
    throw new RangeError(`split key must be an integer of microseconds, got ${key}`);
  }
}

/**
 * Encodes the points of one split. Every timestamp must be `key + k·g` with
 * integer 0 ≤ k < 3600, strictly ascending; values are any float64.
 */
export function encodeSplit(key: Micros, granularity: Micros, serie: TimeSerie): Uint8Array {
  const { timestamps, values } = serie;
  if (values.length !== timestamps.length) {
    throw new RangeError("split values and timestamps differ in length");
  }
  return encodeSplitArrays(key, granularity, timestamps, values, timestamps.length);
}

function encodeSplitArrays(
  key: Micros,
  granularity: Micros,
  timestamps: Float64Array,
  values: Float64Array,
  n: number,
): Uint8Array {
  checkSplitArgs(key, granularity);
  if (values.length < n) throw new RangeError("split values and timestamps differ in length");
  if (n > POINTS_PER_SPLIT)
    throw new RangeError(`a split holds at most ${POINTS_PER_SPLIT} points, got ${n}`);
  const w = writer;
  w.reset();
  w.u8(SPLIT_FORMAT_TAG);
  w.uvarint(n);
  if (n > 0) encodeSplitChunk(w, key, granularity, timestamps, values, 0, n, -1);
  w.u32le(crc32(w.bytes.subarray(0, w.pos), splitCrcSeed(key, granularity)));
  return w.toBytes();
}

/**
 * The v2 bytes of a split whose chunks are `parts` back to back (a chunk may
 * straddle parts) holding `count` points: tag, count, the parts, CRC. How
 * split-tail.ts emits a split, and how the aggregate store rebuilds one it
 * keeps as a chain of appended chunk records. The chunks are not checked here
 * (decoding does that); the result is a fresh array.
 */
export function assembleSplit(
  key: Micros,
  granularity: Micros,
  count: number,
  parts: readonly Uint8Array[],
): Uint8Array {
  checkSplitArgs(key, granularity);
  if (!(Number.isInteger(count) && count >= 0 && count <= POINTS_PER_SPLIT)) {
    throw new RangeError(`a split holds 0..${POINTS_PER_SPLIT} points, got ${count}`);
  }
  const w = writer;
  w.reset();
  w.u8(SPLIT_FORMAT_TAG);
  w.uvarint(count);
  for (const part of parts) w.append(part);
  w.u32le(crc32(w.bytes.subarray(0, w.pos), splitCrcSeed(key, granularity)));
  return w.toBytes();
}

/**
 * Writes points [from, to) (to > from) as one chunk; their slot offsets must
 * ascend from above `afterSlot`. Returns the last slot offset. Shared with
 * split-tail.ts, which assembles the header, chunks and CRC itself.
 */
export function encodeSplitChunk(
  w: ByteWriter,
  key: Micros,
  granularity: Micros,
  timestamps: Float64Array,
  values: Float64Array,
  from: number,
  to: number,
  afterSlot: number,
): number {
  let prev = afterSlot;
  const inverse = 1 / granularity;
  const m = to - from;
  for (let i = 0; i < m; i++) {
    const t = timestamps[from + i]!;
    // k is an integer by construction; the exact product check proves t = key + k·g.
    const k = Math.round((t - key) * inverse);
    if (!(k > prev && k < POINTS_PER_SPLIT && key + k * granularity === t)) {
      throw new RangeError(
        `timestamp ${t} is not an ascending slot of the split ${key} with granularity ${granularity}`,
      );
    }
    offsets[i] = k;
    prev = k;
  }
  w.uvarint(m);
  encodeIntColumn(w, offsets, m, ORDER_1 | ORDER_2);
  encodeValueColumn(w, from === 0 ? values : values.subarray(from, to), m);
  return prev;
}

function corrupt(what: string): never {
  throw new CorruptDataError(`corrupt split: ${what}`);
}

/** Checks tag and CRC; returns a reader positioned after the tag (its format in `v1`). */
function openSplit(
  bytes: Uint8Array,
  key: Micros,
  granularity: Micros,
): { r: ByteReader; v1: boolean } {
  checkSplitArgs(key, granularity);
  if (bytes.length < 6) corrupt(`${bytes.length} bytes is too short`);
  const tag = bytes[0]!;
  if (tag !== SPLIT_FORMAT_TAG && tag !== SPLIT_FORMAT_V1_TAG) {
    corrupt(`unknown format tag 0x${tag.toString(16)}`);
  }
  const end = bytes.length - 4;
  const stored =
    (bytes[end]! | (bytes[end + 1]! << 8) | (bytes[end + 2]! << 16) | (bytes[end + 3]! << 24)) >>>
    0;
  if (crc32(bytes.subarray(0, end), splitCrcSeed(key, granularity)) !== stored) {
    corrupt("checksum mismatch (or wrong key/granularity)");
  }
  return { r: new ByteReader(bytes, 1, end), v1: tag === SPLIT_FORMAT_V1_TAG };
}

/** Number of points in an encoded split (checks tag and CRC). */
export function splitPointCount(bytes: Uint8Array, key: Micros, granularity: Micros): number {
  return readCount(openSplit(bytes, key, granularity).r);
}

/** Decodes a split written by encodeSplit under the same key and granularity. */
export function decodeSplit(bytes: Uint8Array, key: Micros, granularity: Micros): TimeSerie {
  const { r, v1 } = openSplit(bytes, key, granularity);
  const n = readCount(r);
  const timestamps = new Float64Array(n);
  const values = new Float64Array(n);
  decodePoints(r, v1, n, key, granularity, timestamps, values, undefined);
  return { timestamps, values };
}

/**
 * Decodes a split straight into `timestamps`/`values` from index `at` (e.g.
 * to concatenate consecutive splits without a copy or an allocation per
 * split); returns the number of points written. The arrays must have room
 * (see splitPointCount); nothing is written when the split is corrupt.
 */
export function decodeSplitInto(
  bytes: Uint8Array,
  key: Micros,
  granularity: Micros,
  timestamps: Float64Array,
  values: Float64Array,
  at = 0,
): number {
  const { r, v1 } = openSplit(bytes, key, granularity);
  const n = readCount(r);
  if (!(at >= 0 && at + n <= timestamps.length && at + n <= values.length)) {
    throw new RangeError(`no room for ${n} points at ${at}`);
  }
  // Only [at, at + n) is written; on CorruptDataError (which the CRC makes
  // all but impossible once the checksum matched) that range holds garbage.
  decodePoints(
    r,
    v1,
    n,
    key,
    granularity,
    timestamps.subarray(at, at + n),
    values.subarray(at, at + n),
    undefined,
  );
  return n;
}

/** Where the chunks of a decoded split start: byte offsets into its bytes and point indexes. */
export interface SplitChunkLayout {
  /** Byte offset of the first chunk (after tag and count). */
  chunksStart: number;
  /** Byte offset and first point index of the last chunk (v1: its only body, point 0). */
  lastChunkByte: number;
  lastChunkPoint: number;
}

/**
 * Decodes a split and reports where its last chunk starts (split-tail.ts
 * keeps the other chunks as they are and reopens the last one).
 */
export function decodeSplitLayout(
  bytes: Uint8Array,
  key: Micros,
  granularity: Micros,
  layout: SplitChunkLayout,
): TimeSerie & { readonly v1: boolean } {
  const { r, v1 } = openSplit(bytes, key, granularity);
  const n = readCount(r);
  const timestamps = new Float64Array(n);
  const values = new Float64Array(n);
  layout.chunksStart = r.pos;
  layout.lastChunkByte = r.pos;
  layout.lastChunkPoint = 0;
  decodePoints(r, v1, n, key, granularity, timestamps, values, layout);
  return { timestamps, values, v1 };
}

/**
 * Decodes the `n` points of back-to-back v2 chunks held in bytes[from, end)
 * (no tag, count or CRC: split-tail.ts's sealed chunks, checked when encoded).
 */
export function decodeSplitChunks(
  bytes: Uint8Array,
  from: number,
  end: number,
  n: number,
  key: Micros,
  granularity: Micros,
  timestamps: Float64Array,
  values: Float64Array,
): void {
  decodePoints(
    new ByteReader(bytes, from, end),
    false,
    n,
    key,
    granularity,
    timestamps,
    values,
    undefined,
  );
}

function readCount(r: ByteReader): number {
  const n = r.uvarint();
  if (n > POINTS_PER_SPLIT) corrupt(`impossible point count ${n}`);
  return n;
}

function decodePoints(
  r: ByteReader,
  v1: boolean,
  n: number,
  key: Micros,
  granularity: Micros,
  timestamps: Float64Array,
  values: Float64Array,
  layout: SplitChunkLayout | undefined,
): void {
  let prev = -1;
  let done = 0;
  while (done < n) {
    const chunkByte = r.pos;
    let m = n;
    if (!v1) {
      m = r.uvarint();
      if (!(m >= 1 && m <= n - done)) corrupt(`impossible chunk size ${m}`);
    }
    if (layout !== undefined) {
      layout.lastChunkByte = chunkByte;
      layout.lastChunkPoint = done;
    }
    const ts = done === 0 && m === timestamps.length ? timestamps : timestamps.subarray(done);
    decodeIntColumn(r, m, ts);
    for (let i = 0; i < m; i++) {
      const k = ts[i]!;
      if (!(k > prev)) corrupt("offsets not ascending");
      ts[i] = key + k * granularity;
      prev = k;
    }
    decodeValueColumn(r, m, done === 0 && m === values.length ? values : values.subarray(done));
    done += m;
  }
  if (!(prev < POINTS_PER_SPLIT)) corrupt("offset beyond the split");
  if (r.pos !== r.end) corrupt("trailing bytes");
}

/**
 * Builds a split point by point (like a tsdb chunk appender). Points must come
 * in ascending slot order; finish() encodes them.
 */
export class SplitAppender {
  readonly key: Micros;
  readonly granularity: Micros;
  private readonly timestamps = new Float64Array(POINTS_PER_SPLIT);
  private readonly values = new Float64Array(POINTS_PER_SPLIT);
  private n = 0;

  constructor(key: Micros, granularity: Micros) {
    checkSplitArgs(key, granularity);
    this.key = key;
    this.granularity = granularity;
  }

  get count(): number {
    return this.n;
  }

  /** Adds a point after the previous one; finish() checks it sits on a slot of the split. */
  append(t: Micros, v: number): void {
    const n = this.n;
    if (n >= POINTS_PER_SPLIT)
      throw new RangeError(`a split holds at most ${POINTS_PER_SPLIT} points`);
    if (n > 0 && !(t > this.timestamps[n - 1]!)) {
      throw new RangeError(`timestamp ${t} is not after the previous point`);
    }
    this.timestamps[n] = t;
    this.values[n] = v;
    this.n = n + 1;
  }

  /** Encodes the points appended so far (RangeError if one is not a slot of the split). */
  finish(): Uint8Array {
    return encodeSplitArrays(this.key, this.granularity, this.timestamps, this.values, this.n);
  }
}

/**
 * Walks the points of an encoded split: `while (it.next()) use(it.t, it.v)`.
 * The whole split is checked (CRC) and decoded up front, so a corrupt split
 * throws from the constructor, never half-way through the iteration.
 */
export class SplitIterator {
  t = Number.NaN;
  v = Number.NaN;
  private readonly serie: TimeSerie;
  private i = -1;

  constructor(bytes: Uint8Array, key: Micros, granularity: Micros) {
    this.serie = decodeSplit(bytes, key, granularity);
  }

  get length(): number {
    return this.serie.timestamps.length;
  }

  next(): boolean {
    const i = this.i + 1;
    if (i >= this.serie.timestamps.length) {
      this.i = this.serie.timestamps.length;
      return false;
    }
    this.i = i;
    this.t = this.serie.timestamps[i]!;
    this.v = this.serie.values[i]!;
    return true;
  }
}
