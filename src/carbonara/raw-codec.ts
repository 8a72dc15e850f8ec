/**
 * The raw buffer codec: a metric's unaggregated bound time series (spec
 * carbonara §4.2, §6.5) as stored bytes. Our own format; timestamps are
 * arbitrary integer microseconds (irregular), values arbitrary float64.
 *
 * Byte format, version 1 (little-endian; column encodings in bit-packing.ts):
 *
 *   u8       0xB1                      format tag: kind 0xB_ (raw buffer), version 1
 *   uvarint  n                         number of points
 *   if n > 0:
 *     integer column   the timestamps tᵢ themselves (t₀ as a signed varint,
 *                      then deltas or deltas of deltas, cheaper wins; blocks
 *                      holding a gap of more than 2^32 µs use wide blocks)
 *     value column     decimal or XOR mode, as in splits
 *   u32      CRC-32 (zlib) of every byte before it
 *
 * Timestamps must be safe integers, strictly ascending, spanning at most
 * 2^53 − 1 µs. Anything that does not decode throws CorruptDataError.
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
import type { TimeSerie } from "./timeserie.js";

export const RAW_FORMAT_TAG = 0xb1;
/** Sanity bound on the point count of a decoded buffer (guards allocations). */
export const RAW_MAX_POINTS = 1 << 24;

const writer = new ByteWriter(1 << 16);

/** Encodes a raw buffer (ascending unique integer-microsecond timestamps, any values). */
export function encodeRawBuffer(serie: TimeSerie): Uint8Array {
  const { timestamps, values } = serie;
  const n = timestamps.length;
  if (values.length !== n)
    throw new RangeError("raw buffer values and timestamps differ in length");
  if (n > RAW_MAX_POINTS)
    throw new RangeError(`a raw buffer holds at most ${RAW_MAX_POINTS} points`);
  let prev = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < n; i++) {
    const t = timestamps[i]!;
    if (!(t > prev && Number.isSafeInteger(t))) {
      throw new RangeError(`raw buffer timestamp ${t} at ${i} is not an integer after ${prev}`);
    }
    prev = t;
  }
  if (n > 0 && !(timestamps[n - 1]! - timestamps[0]! <= Number.MAX_SAFE_INTEGER)) {
    throw new RangeError("raw buffer spans more than 2^53 µs");
  }
  const w = writer;
  w.reset();
  w.u8(RAW_FORMAT_TAG);
  w.uvarint(n);
  if (n > 0) {
    if (!encodeIntColumn(w, timestamps, n, ORDER_1 | ORDER_2)) {
      // Unreachable: deltas of such timestamps always fit 53 bits.
      throw new RangeError("raw buffer timestamps cannot be encoded");
    }
    encodeValueColumn(w, values, n);
  }
  w.u32le(crc32(w.bytes.subarray(0, w.pos)));
  return w.toBytes();
}

function corrupt(what: string): never {
  throw new CorruptDataError(`corrupt raw buffer: ${what}`);
}

/** Decodes a raw buffer written by encodeRawBuffer. */
export function decodeRawBuffer(bytes: Uint8Array): TimeSerie {
  if (bytes.length < 6) corrupt(`${bytes.length} bytes is too short`);
  if (bytes[0] !== RAW_FORMAT_TAG) corrupt(`unknown format tag 0x${bytes[0]!.toString(16)}`);
  const end = bytes.length - 4;
  const stored =
    (bytes[end]! | (bytes[end + 1]! << 8) | (bytes[end + 2]! << 16) | (bytes[end + 3]! << 24)) >>>
    0;
  if (crc32(bytes.subarray(0, end)) !== stored) corrupt("checksum mismatch");
  const r = new ByteReader(bytes, 1, end);
  const n = r.uvarint();
  if (n > RAW_MAX_POINTS) corrupt(`impossible point count ${n}`);
  const timestamps = new Float64Array(n);
  const values = new Float64Array(n);
  if (n > 0) {
    decodeIntColumn(r, n, timestamps);
    let prev = timestamps[0]!;
    if (!Number.isSafeInteger(prev)) corrupt("timestamp out of range");
    for (let i = 1; i < n; i++) {
      const t = timestamps[i]!;
      if (!(t > prev)) corrupt("timestamps not ascending");
      prev = t;
    }
    if (!Number.isSafeInteger(prev)) corrupt("timestamp out of range");
    decodeValueColumn(r, n, values);
  }
  if (r.pos !== r.end) corrupt("trailing bytes");
  return { timestamps, values };
}
