/**
 * Scanner of a Prometheus remote-write 1.0 `WriteRequest`:
 *
 *   WriteRequest { repeated TimeSeries timeseries = 1; ... }
 *   TimeSeries   { repeated Label labels = 1; repeated Sample samples = 2; ... }
 *   Label        { string name = 1; string value = 2; }
 *   Sample       { double value = 1; int64 timestamp = 2; }   // ms since the epoch
 *
 * It builds no string and no object per series or sample: each series is
 * described by the byte range of its encoded label fields (the series KEY,
 * hashed here) and the range of its samples in two Float64Arrays (µs
 * timestamps, values) shared by the whole request. Labels are only decoded
 * (labels.ts) for series the cache does not know yet. Unknown fields and wire
 * types are skipped, so metadata (field 3 of WriteRequest), exemplars and
 * histograms (fields 3, 4 of TimeSeries) do not disturb it. Series without
 * samples (e.g. native histograms only) are left out. Values are copied as
 * their 8 bytes, not through a JS number: x86 sets the quiet bit of a
 * signalling NaN it computes with, and Prometheus' staleness marker
 * (0x7ff0000000000002) is one; it is stored exactly as sent.
 *
 * Sample checks happen here, for the whole request before anything is
 * stored: a timestamp before 1970 or past what a µs double holds exactly
 * rejects the request. NaN (Prometheus' staleness marker) and ±Inf are
 * values like any other and are kept bit for bit.
 */
import { LITTLE_ENDIAN_HOST } from "../storage/common.js";
import { InvalidWriteError } from "./errors.js";
import { hashBytes, viewOf } from "./key-hash.js";
import { checkTag, ProtoCursor, WIRE_I64, WIRE_LEN, WIRE_VARINT } from "./protobuf.js";

/** Largest timestamp (ms) whose µs value is an exact double: 2255-06-05. */
export const MAX_TIMESTAMP_MS = Math.floor(Number.MAX_SAFE_INTEGER / 1000);

const TAG_TIMESERIES = (1 << 3) | WIRE_LEN; // WriteRequest.timeseries
const TAG_LABEL = (1 << 3) | WIRE_LEN; // TimeSeries.labels
const TAG_SAMPLE = (2 << 3) | WIRE_LEN; // TimeSeries.samples
const TAG_VALUE = (1 << 3) | WIRE_I64; // Sample.value
const TAG_TIMESTAMP = (2 << 3) | WIRE_VARINT; // Sample.timestamp

export interface DecodedWrite {
  /** The uncompressed WriteRequest, and a DataView over it. */
  readonly buf: Uint8Array;
  readonly bufView: DataView;
  /** Label fields of series whose labels were not contiguous, copied together (rare). */
  readonly gathered: Uint8Array;
  readonly gatheredView: DataView;
  /** Series with at least one sample. */
  readonly seriesCount: number;
  /**
   * Series i's key is `buf[keyStart[i], keyEnd[i])` when keyStart[i] >= 0,
   * else `gathered[~keyStart[i], keyEnd[i])`.
   */
  readonly keyStart: Int32Array;
  readonly keyEnd: Int32Array;
  readonly keyHash: Int32Array;
  /** Series i's samples are `[sampleStart[i], sampleStart[i] + sampleCount[i])`. */
  readonly sampleStart: Int32Array;
  readonly sampleCount: Int32Array;
  readonly sampleTotal: number;
  /** µs since the epoch. */
  readonly timestamps: Float64Array;
  readonly values: Float64Array;
}

/** The key bytes of series `i`: its buffer and range. */
export function seriesKey(
  d: DecodedWrite,
  i: number,
): { bytes: Uint8Array; start: number; end: number } {
  const s = d.keyStart[i]!;
  return s >= 0
    ? { bytes: d.buf, start: s, end: d.keyEnd[i]! }
    : { bytes: d.gathered, start: ~s, end: d.keyEnd[i]! };
}

function grownInt32(a: Int32Array, n: number): Int32Array {
  const b = new Int32Array(n);
  b.set(a);
  return b;
}

function grownFloat64(a: Float64Array, n: number): Float64Array {
  const b = new Float64Array(n);
  b.set(a);
  return b;
}

class Builder {
  seriesCount = 0;
  keyStart: Int32Array;
  keyEnd: Int32Array;
  keyHash: Int32Array;
  sampleStart: Int32Array;
  sampleCount: Int32Array;
  sampleTotal = 0;
  timestamps: Float64Array;
  values: Float64Array;
  /** `values` as 32-bit words, to copy a double's bits without reading it as a number. */
  valueWords: Uint32Array;
  gathered = new Uint8Array(0);
  gatheredLength = 0;

  constructor(bytes: number) {
    // A series of a typical request is 150-400 bytes with one sample.
    const guess = Math.max(16, Math.ceil(bytes / 128));
    this.keyStart = new Int32Array(guess);
    this.keyEnd = new Int32Array(guess);
    this.keyHash = new Int32Array(guess);
    this.sampleStart = new Int32Array(guess);
    this.sampleCount = new Int32Array(guess);
    this.timestamps = new Float64Array(guess);
    this.values = new Float64Array(guess);
    this.valueWords = new Uint32Array(this.values.buffer);
  }

  growSeries(): void {
    const n = this.keyStart.length * 2;
    this.keyStart = grownInt32(this.keyStart, n);
    this.keyEnd = grownInt32(this.keyEnd, n);
    this.keyHash = grownInt32(this.keyHash, n);
    this.sampleStart = grownInt32(this.sampleStart, n);
    this.sampleCount = grownInt32(this.sampleCount, n);
  }

  growSamples(): void {
    const n = this.timestamps.length * 2;
    this.timestamps = grownFloat64(this.timestamps, n);
    this.values = grownFloat64(this.values, n);
    this.valueWords = new Uint32Array(this.values.buffer);
  }

  gather(buf: Uint8Array, start: number, end: number): void {
    const n = end - start;
    if (this.gatheredLength + n > this.gathered.length) {
      const bigger = new Uint8Array(Math.max(1024, (this.gatheredLength + n) * 2));
      bigger.set(this.gathered.subarray(0, this.gatheredLength));
      this.gathered = bigger;
    }
    this.gathered.set(buf.subarray(start, end), this.gatheredLength);
    this.gatheredLength += n;
  }
}

/**
 * Decodes an uncompressed WriteRequest.
 * @throws InvalidWriteError (malformed protobuf, invalid timestamp)
 */
export function decodeWriteRequest(buf: Uint8Array): DecodedWrite {
  const cur = new ProtoCursor(buf);
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const out = new Builder(buf.length);
  const end = buf.length;
  while (cur.pos < end) {
    const tag = cur.uint32(end);
    checkTag(tag);
    if (tag === TAG_TIMESERIES) {
      const len = cur.length(end);
      const seriesEnd = cur.pos + len;
      decodeSeries(cur, view, seriesEnd, out);
      cur.pos = seriesEnd;
    } else if (tag >>> 3 === 1) {
      throw new InvalidWriteError("invalid protobuf: WriteRequest.timeseries is not a message");
    } else {
      cur.skip(tag & 7, end);
    }
  }
  return {
    buf,
    bufView: view,
    gathered: out.gathered,
    gatheredView: viewOf(out.gathered),
    seriesCount: out.seriesCount,
    keyStart: out.keyStart,
    keyEnd: out.keyEnd,
    keyHash: out.keyHash,
    sampleStart: out.sampleStart,
    sampleCount: out.sampleCount,
    sampleTotal: out.sampleTotal,
    timestamps: out.timestamps,
    values: out.values,
  };
}

function decodeSeries(cur: ProtoCursor, view: DataView, end: number, out: Builder): void {
  const buf = cur.buf;
  const start = cur.pos;
  let labelsFrom = -1;
  let labelsTo = -1;
  let scattered = false;
  const firstSample = out.sampleTotal;
  while (cur.pos < end) {
    const at = cur.pos;
    // Fast path: a label field with a one-byte length (names and values under 128 bytes).
    if (buf[at] === TAG_LABEL && at + 1 < end && buf[at + 1]! < 0x80) {
      const next = at + 2 + buf[at + 1]!;
      if (next > end) throw new InvalidWriteError("invalid protobuf: message truncated");
      if (labelsFrom < 0) labelsFrom = at;
      else if (labelsTo !== at) scattered = true;
      cur.pos = next;
      labelsTo = next;
      continue;
    }
    const tag = cur.uint32(end);
    if (tag === TAG_LABEL) {
      const len = cur.length(end);
      if (labelsFrom < 0) labelsFrom = at;
      else if (labelsTo !== at) scattered = true;
      cur.pos += len;
      labelsTo = cur.pos;
    } else if (tag === TAG_SAMPLE) {
      const len = cur.length(end);
      const sampleEnd = cur.pos + len;
      decodeSample(cur, view, sampleEnd, out);
      cur.pos = sampleEnd;
    } else {
      checkTag(tag);
      const field = tag >>> 3;
      if (field === 1 || field === 2) {
        throw new InvalidWriteError(
          `invalid protobuf: TimeSeries.${field === 1 ? "labels" : "samples"} is not a message`,
        );
      }
      cur.skip(tag & 7, end);
    }
  }
  const samples = out.sampleTotal - firstSample;
  if (samples === 0) return;
  if (out.seriesCount === out.keyStart.length) out.growSeries();
  const i = out.seriesCount++;
  out.sampleStart[i] = firstSample;
  out.sampleCount[i] = samples;
  if (labelsFrom < 0) {
    out.keyStart[i] = 0;
    out.keyEnd[i] = 0;
    out.keyHash[i] = hashBytes(buf, 0, 0, view);
  } else if (!scattered) {
    out.keyStart[i] = labelsFrom;
    out.keyEnd[i] = labelsTo;
    out.keyHash[i] = hashBytes(buf, labelsFrom, labelsTo, view);
  } else {
    // Labels interleaved with other fields: copy the label fields, in order, side by side.
    const from = out.gatheredLength;
    cur.pos = start;
    while (cur.pos < end) {
      const at = cur.pos;
      const tag = cur.uint32(end);
      cur.skip(tag & 7, end);
      if (tag === TAG_LABEL) out.gather(buf, at, cur.pos);
    }
    out.keyStart[i] = ~from;
    out.keyEnd[i] = out.gatheredLength;
    out.keyHash[i] = hashBytes(out.gathered, from, out.gatheredLength);
  }
}

function decodeSample(cur: ProtoCursor, view: DataView, end: number, out: Builder): void {
  const buf = cur.buf;
  let valueAt = -1; // where the value's 8 bytes are; -1: absent (proto3 default 0)
  let timestamp = 0;
  let p = cur.pos;
  // Fast path: the canonical encoding `09 <8 bytes> 10 <varint>` and nothing else.
  if (end - p >= 11 && buf[p] === TAG_VALUE && buf[p + 9] === TAG_TIMESTAMP) {
    valueAt = p + 1;
    cur.pos = p + 10;
    timestamp = cur.uint64(end);
    p = cur.pos;
  }
  while (p < end) {
    cur.pos = p;
    const tag = cur.uint32(end);
    if (tag === TAG_VALUE) {
      if (end - cur.pos < 8) throw new InvalidWriteError("invalid protobuf: message truncated");
      valueAt = cur.pos;
      cur.pos += 8;
    } else if (tag === TAG_TIMESTAMP) {
      timestamp = cur.uint64(end);
    } else {
      checkTag(tag);
      const field = tag >>> 3;
      if (field === 1 || field === 2) {
        throw new InvalidWriteError(
          `invalid protobuf: Sample.${field === 1 ? "value" : "timestamp"} has the wrong wire type`,
        );
      }
      cur.skip(tag & 7, end);
    }
    p = cur.pos;
  }
  if (timestamp > MAX_TIMESTAMP_MS) {
    // int64 is sent as its two's complement: negative values are ≥ 2^63.
    throw new InvalidWriteError(
      timestamp >= 2 ** 63
        ? "invalid sample: timestamp before 1970-01-01T00:00:00Z"
        : `invalid sample: timestamp ${timestamp} ms is after year 2255`,
    );
  }
  if (out.sampleTotal === out.timestamps.length) out.growSamples();
  const k = out.sampleTotal++;
  out.timestamps[k] = timestamp * 1000;
  if (valueAt < 0) out.values[k] = 0;
  else if (LITTLE_ENDIAN_HOST) {
    out.valueWords[2 * k] = view.getUint32(valueAt, true);
    out.valueWords[2 * k + 1] = view.getUint32(valueAt + 4, true);
  } else {
    out.values[k] = view.getFloat64(valueAt, true);
  }
}
