/**
 * An appendable split (issue 4): the newest split of an aggregation, which
 * every processing cycle extends by a few points and whose last bucket it may
 * recompute. Re-encoding its up to 3600 points each cycle was most of
 * metricd's work; this keeps the older points as encoded chunks (format v2,
 * split-codec.ts) and holds only the open tail decoded, so a cycle encodes
 * the new points and copies the sealed bytes.
 *
 * - `append(fresh)` applies freshly computed buckets (fresh wins on equal
 *   timestamps, as `mergeSeries`) and returns the split's new bytes.
 *   In-order data only touches the tail; a point at or before the last sealed
 *   one (late data inside back_window) reopens the whole split: decoded,
 *   merged, sealed again. Once the tail holds more than `sealPoints` points,
 *   all but its last point (the bucket the next cycle most likely
 *   recomputes) are sealed into a chunk.
 *
 * A chunk costs ~20 bytes of headers, so sealing at 256 points keeps the
 * overhead under 0.1 B/point, while a cycle never encodes more than the tail.
 * Memory: the sealed bytes plus the tail's arrays (see `memoryBytes`).
 */
import { crc32 } from "node:zlib";
import { ByteWriter } from "./bit-packing.js";
import {
  checkSplitArgs,
  decodeSplitChunks,
  decodeSplitLayout,
  encodeSplitChunk,
  SPLIT_FORMAT_TAG,
  type SplitChunkLayout,
  splitCrcSeed,
} from "./split-codec.js";
import { POINTS_PER_SPLIT } from "./split-key.js";
import type { Micros } from "./time.js";
import type { TimeSerie } from "./timeserie.js";

/** Default tail length that gets sealed into a chunk. */
export const SEAL_POINTS = 256;

const writer = new ByteWriter(1 << 16);
const layout: SplitChunkLayout = { chunksStart: 0, lastChunkByte: 0, lastChunkPoint: 0 };
const EMPTY = new Uint8Array(0);
const sealWriter = new ByteWriter(1 << 15);
const tailWriter = new ByteWriter(1 << 15);
// The merged tail of an append, before it is split into sealed chunk and new tail.
let workT = new Float64Array(POINTS_PER_SPLIT + 1);
let workV = new Float64Array(POINTS_PER_SPLIT + 1);

/**
 * Merges tail[0, tn) and `fresh` (fresh wins on equal timestamps) into
 * workT/workV; returns the merged length.
 */
function mergeInto(tt: Float64Array, tv: Float64Array, tn: number, fresh: TimeSerie): number {
  const ft = fresh.timestamps;
  const fv = fresh.values;
  const m = ft.length;
  if (workT.length < tn + m) {
    workT = new Float64Array(tn + m);
    workV = new Float64Array(tn + m);
  }
  // Tail points before the first fresh one stay as they are.
  let keep = tn;
  while (keep > 0 && tt[keep - 1]! >= ft[0]!) keep--;
  workT.set(tt.subarray(0, keep));
  workV.set(tv.subarray(0, keep));
  let i = keep;
  let j = 0;
  let o = keep;
  while (i < tn && j < m) {
    const a = tt[i]!;
    const b = ft[j]!;
    if (a < b) {
      workT[o] = a;
      workV[o++] = tv[i++]!;
    } else {
      if (a === b) i++;
      workT[o] = b;
      workV[o++] = fv[j++]!;
    }
  }
  for (; i < tn; i++, o++) {
    workT[o] = tt[i]!;
    workV[o] = tv[i]!;
  }
  workT.set(ft.subarray(j), o);
  workV.set(fv.subarray(j), o);
  return o + (m - j);
}

export class SplitTail {
  readonly key: Micros;
  readonly granularity: Micros;
  /** Encoded chunks, back to back (`sealedBytes` of `sealed.length` used). */
  private sealed: Uint8Array = EMPTY;
  private sealedBytes = 0;
  private sealedCount = 0;
  /** Timestamp and slot of the last sealed point (−∞ / −1 when none). */
  private sealedLast = Number.NEGATIVE_INFINITY;
  private sealedLastSlot = -1;
  private tailT: Float64Array;
  private tailV: Float64Array;
  private tailN = 0;
  private readonly sealPoints: number;

  constructor(key: Micros, granularity: Micros, sealPoints = SEAL_POINTS) {
    checkSplitArgs(key, granularity);
    this.key = key;
    this.granularity = granularity;
    this.sealPoints = Math.max(1, sealPoints);
    this.tailT = new Float64Array(16);
    this.tailV = new Float64Array(16);
  }

  /**
   * Opens stored split bytes (either format version) for appending; throws
   * CorruptDataError as `decodeSplit` does. The last chunk becomes the tail.
   */
  static decode(
    bytes: Uint8Array,
    key: Micros,
    granularity: Micros,
    sealPoints = SEAL_POINTS,
  ): SplitTail {
    const serie = decodeSplitLayout(bytes, key, granularity, layout);
    const split = new SplitTail(key, granularity, sealPoints);
    const n = serie.timestamps.length;
    const first = serie.v1 ? 0 : layout.lastChunkPoint;
    if (first > 0) {
      split.sealed = bytes.slice(layout.chunksStart, layout.lastChunkByte);
      split.sealedBytes = split.sealed.length;
      split.sealedCount = first;
      split.sealedLast = serie.timestamps[first - 1]!;
      split.sealedLastSlot = Math.round((split.sealedLast - key) / granularity);
    }
    split.setTail(serie.timestamps, serie.values, first, n);
    return split;
  }

  /** Number of points. */
  get count(): number {
    return this.sealedCount + this.tailN;
  }

  /** The newest point's timestamp (−∞ when empty). */
  get lastTimestamp(): Micros {
    return this.tailN > 0 ? this.tailT[this.tailN - 1]! : this.sealedLast;
  }

  /** Bytes held (for cache accounting). */
  get memoryBytes(): number {
    return this.sealed.length + this.tailT.byteLength + this.tailV.byteLength + 96;
  }

  /**
   * Merges freshly computed points (ascending; slots of this split) and
   * returns the split's new bytes (format v2): where a timestamp exists, the
   * fresh value wins. When the tail grows past `sealPoints`, all of it but the
   * last point is sealed into a chunk. Throws RangeError, changing nothing, if
   * a point is not a slot of the split or the split would exceed 3600 points.
   */
  append(fresh: TimeSerie): Uint8Array {
    const ft = fresh.timestamps;
    const m = ft.length;
    if (m === 0) return this.encode();
    if (ft[0]! <= this.sealedLast) this.reopen();
    // The merged tail goes to scratch first, so a failure leaves this split as it was.
    const n = mergeInto(this.tailT, this.tailV, this.tailN, fresh);
    const total = this.sealedCount + n;
    if (total > POINTS_PER_SPLIT) {
      throw new RangeError(`a split holds at most ${POINTS_PER_SPLIT} points, got ${total}`);
    }
    const seal = n - 1 > this.sealPoints ? n - 1 : 0;
    let lastSlot = this.sealedLastSlot;
    sealWriter.reset();
    if (seal > 0) {
      lastSlot = encodeSplitChunk(
        sealWriter,
        this.key,
        this.granularity,
        workT,
        workV,
        0,
        seal,
        lastSlot,
      );
    }
    tailWriter.reset();
    encodeSplitChunk(tailWriter, this.key, this.granularity, workT, workV, seal, n, lastSlot);
    if (seal > 0) {
      this.appendSealed(sealWriter.bytes.subarray(0, sealWriter.pos));
      this.sealedCount += seal;
      this.sealedLast = workT[seal - 1]!;
      this.sealedLastSlot = lastSlot;
    }
    this.setTail(workT, workV, seal, n);
    return this.assemble(tailWriter);
  }

  /** The split's bytes (format v2), as last returned by `append`. */
  encode(): Uint8Array {
    tailWriter.reset();
    if (this.tailN > 0) {
      encodeSplitChunk(
        tailWriter,
        this.key,
        this.granularity,
        this.tailT,
        this.tailV,
        0,
        this.tailN,
        this.sealedLastSlot,
      );
    }
    return this.assemble(tailWriter);
  }

  /** Header, sealed chunks, the encoded tail chunk and the CRC, as one fresh array. */
  private assemble(tail: ByteWriter): Uint8Array {
    const w = writer;
    w.reset();
    w.u8(SPLIT_FORMAT_TAG);
    w.uvarint(this.count);
    w.append(this.sealed.subarray(0, this.sealedBytes));
    w.append(tail.bytes.subarray(0, tail.pos));
    w.u32le(crc32(w.bytes.subarray(0, w.pos), splitCrcSeed(this.key, this.granularity)));
    return w.toBytes();
  }

  /** Every point, decoded (fresh arrays). */
  toSerie(): TimeSerie {
    const n = this.count;
    const timestamps = new Float64Array(n);
    const values = new Float64Array(n);
    this.decodeSealedInto(timestamps, values);
    timestamps.set(this.tailT.subarray(0, this.tailN), this.sealedCount);
    values.set(this.tailV.subarray(0, this.tailN), this.sealedCount);
    return { timestamps, values };
  }

  private appendSealed(chunk: Uint8Array): void {
    const need = this.sealedBytes + chunk.length;
    if (need > this.sealed.length) {
      const grown = new Uint8Array(Math.max(need, this.sealed.length * 2, 256));
      grown.set(this.sealed.subarray(0, this.sealedBytes));
      this.sealed = grown;
    }
    this.sealed.set(chunk, this.sealedBytes);
    this.sealedBytes = need;
  }

  /** Decodes the sealed chunks back into the tail (late data reaching before the tail). */
  private reopen(): void {
    const n = this.count;
    const timestamps = new Float64Array(Math.max(16, n));
    const values = new Float64Array(timestamps.length);
    this.decodeSealedInto(timestamps, values);
    timestamps.set(this.tailT.subarray(0, this.tailN), this.sealedCount);
    values.set(this.tailV.subarray(0, this.tailN), this.sealedCount);
    this.tailT = timestamps;
    this.tailV = values;
    this.tailN = n;
    this.sealed = EMPTY;
    this.sealedBytes = 0;
    this.sealedCount = 0;
    this.sealedLast = Number.NEGATIVE_INFINITY;
    this.sealedLastSlot = -1;
  }

  private decodeSealedInto(timestamps: Float64Array, values: Float64Array): void {
    if (this.sealedCount === 0) return;
    decodeSplitChunks(
      this.sealed,
      0,
      this.sealedBytes,
      this.sealedCount,
      this.key,
      this.granularity,
      timestamps.subarray(0, this.sealedCount),
      values.subarray(0, this.sealedCount),
    );
  }

  /** Copies points [from, to) into the tail, its capacity doubling up or shrinking to fit. */
  private setTail(timestamps: Float64Array, values: Float64Array, from: number, to: number): void {
    const n = to - from;
    const cap = this.tailT.length;
    // A cached split should not keep a whole cycle's worth of tail capacity.
    if (n > cap || cap > 4 * Math.max(16, n)) {
      const size = Math.min(
        Math.max(16, n <= cap ? 2 * n : Math.max(n, 2 * cap)),
        Math.max(n, POINTS_PER_SPLIT),
      );
      this.tailT = new Float64Array(size);
      this.tailV = new Float64Array(size);
    }
    this.tailT.set(timestamps.subarray(from, to), 0);
    this.tailV.set(values.subarray(from, to), 0);
    this.tailN = n;
  }
}
