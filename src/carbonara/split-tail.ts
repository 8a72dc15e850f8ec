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
 * `appendChunks` answers the same change as "keep the first `keep` bytes of
 * the chunk stream, then these chunks", so the aggregate store can append the
 * newly sealed chunk and the new tail chunk to what it holds instead of
 * writing the whole split again.
 *
 * A chunk costs ~20 bytes of headers, so sealing at 256 points keeps the
 * overhead under 0.1 B/point, while a cycle never encodes more than the tail.
 * Memory: the sealed bytes plus the tail's arrays (see `memoryBytes`).
 */
import { ByteWriter } from "./bit-packing.js";
import {
  assembleSplit,
  checkSplitArgs,
  decodeSplitChunks,
  decodeSplitLayout,
  encodeSplitChunk,
  type SplitChunkLayout,
} from "./split-codec.js";
import { POINTS_PER_SPLIT } from "./split-key.js";
import type { Micros } from "./time.js";
import type { TimeSerie } from "./timeserie.js";

/** Default tail length that gets sealed into a chunk. */
export const SEAL_POINTS = 256;

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

/** What `appendChunks` changed: the chunk stream is now stream[0, keep) + chunks. */
export interface SplitChunksChange {
  readonly keep: number;
  readonly chunks: Uint8Array;
  readonly count: number;
}

function bytesOf(a: Float64Array): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

/** a[0, n) and b[0, n) hold the same bytes (a word at a time where both are aligned). */
function sameBytes(a: Uint8Array, b: Uint8Array, n: number): boolean {
  let i = 0;
  if ((a.byteOffset & 3) === 0 && (b.byteOffset & 3) === 0 && n >= 16) {
    const words = n >>> 2;
    const wa = new Int32Array(a.buffer, a.byteOffset, words);
    const wb = new Int32Array(b.buffer, b.byteOffset, words);
    for (let k = 0; k < words; k++) if (wa[k] !== wb[k]) return false;
    i = words << 2;
  }
  for (; i < n; i++) if (a[i] !== b[i]) return false;
  return true;
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
    if (fresh.timestamps.length === 0) return this.encode();
    this.advance(fresh);
    return this.assemble(tailWriter);
  }

  /**
   * `append`, answered as a change to the split's chunk stream (the chunks
   * between count and CRC) instead of whole bytes: the stream becomes its
   * first `keep` bytes followed by `chunks` (a fresh array), and the split
   * holds `count` points. Unless `whole`, `keep` is the sealed bytes the
   * append left untouched, so the store appends only the newly sealed chunk
   * and the re-encoded tail; with `whole` (or after late data reopened the
   * split) `keep` is 0 and `chunks` the whole stream.
   */
  appendChunks(fresh: TimeSerie, whole: boolean): SplitChunksChange {
    const before = this.sealedBytes;
    let reopened = false;
    if (fresh.timestamps.length > 0) reopened = this.advance(fresh);
    else this.encodeTail();
    const keep = whole || reopened ? 0 : before;
    const chunks = new Uint8Array(this.sealedBytes - keep + tailWriter.pos);
    chunks.set(this.sealed.subarray(keep, this.sealedBytes));
    chunks.set(tailWriter.bytes.subarray(0, tailWriter.pos), this.sealedBytes - keep);
    return { keep, chunks, count: this.count };
  }

  /**
   * Whether `other` holds the same points as the same chunks, bit for bit:
   * then the same append makes the same change to both, and `copyFrom`
   * replaces encoding it twice (at the finest granularity, mean and sum, or
   * min, max and last, get the very same buckets every cycle).
   */
  sameAs(other: SplitTail): boolean {
    if (
      this.key !== other.key ||
      this.granularity !== other.granularity ||
      this.sealPoints !== other.sealPoints ||
      this.sealedCount !== other.sealedCount ||
      this.sealedBytes !== other.sealedBytes ||
      this.sealedLastSlot !== other.sealedLastSlot ||
      this.tailN !== other.tailN
    ) {
      return false;
    }
    const n = this.tailN;
    return (
      sameBytes(this.sealed, other.sealed, this.sealedBytes) &&
      sameBytes(bytesOf(this.tailT), bytesOf(other.tailT), 8 * n) &&
      sameBytes(bytesOf(this.tailV), bytesOf(other.tailV), 8 * n)
    );
  }

  /** Becomes a copy of `source` (which `sameAs` this one before its last append). */
  copyFrom(source: SplitTail): void {
    if (this.key !== source.key || this.granularity !== source.granularity) {
      throw new RangeError("copyFrom needs a split of the same key and granularity");
    }
    this.sealedBytes = 0;
    this.appendSealed(source.sealed.subarray(0, source.sealedBytes));
    this.sealedCount = source.sealedCount;
    this.sealedLast = source.sealedLast;
    this.sealedLastSlot = source.sealedLastSlot;
    this.setTail(source.tailT, source.tailV, 0, source.tailN);
  }

  /**
   * Merges `fresh` (non-empty), seals what the tail outgrew and leaves the
   * open tail's chunk encoded in `tailWriter`; returns whether late data
   * reopened the sealed chunks.
   */
  private advance(fresh: TimeSerie): boolean {
    const reopened = fresh.timestamps[0]! <= this.sealedLast;
    if (reopened) this.reopen();
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
    return reopened;
  }

  /** The split's bytes (format v2), as last returned by `append`. */
  encode(): Uint8Array {
    this.encodeTail();
    return this.assemble(tailWriter);
  }

  /** Encodes the open tail as one chunk into `tailWriter` (nothing when it is empty). */
  private encodeTail(): void {
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
  }

  /** Header, sealed chunks, the encoded tail chunk and the CRC, as one fresh array. */
  private assemble(tail: ByteWriter): Uint8Array {
    return assembleSplit(this.key, this.granularity, this.count, [
      this.sealed.subarray(0, this.sealedBytes),
      tail.bytes.subarray(0, tail.pos),
    ]);
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
