/**
 * Primitives shared by the split codec (split-codec.ts) and the raw buffer
 * codec (raw-codec.ts): a growable byte writer, a bounds-checked reader,
 * signed varints, frame-of-reference block bit-packing, and the two column
 * codecs built on them (integer columns with delta / delta-of-delta, float64
 * value columns in "decimal" or XOR mode).
 *
 * Everything here works on typed arrays with module-level scratch buffers, so
 * encoding or decoding a column allocates nothing per point. The module is
 * not re-entrant (JS is single-threaded and no function here yields).
 *
 * ## Block stream (a sequence of `len` integers, each a safe integer)
 *
 *   u8 kind
 *   kind 0, constant:  svarint c                  every value equals c
 *   kind 1, blocks:    for each of ceil(len/128) blocks: u8 width, svarint ref
 *                      then the packed data as little-endian 32-bit words
 *
 * A block of m ≤ 128 values stores `value − ref` (ref = block minimum, or 0
 * when that needs no more bits; every stored number is ≥ 0: frame of
 * reference, which makes zigzag unnecessary and also strips a common offset) in
 * `width` bits each, least significant bits first, into ceil(m·width/32)
 * words. Width 0 means every value of the block equals ref (no words).
 * Widths 33..53 (only for huge gaps) store m full low words, then the high
 * parts packed in width−32 bits. A full block is always a whole number of
 * words, so unpacking never straddles blocks.
 *
 * ## Integer column (n safe integers, n ≥ 1)
 *
 *   u8 order (0, 1 or 2)
 *   order ≥ 1: svarint x₀;   order 2 and n ≥ 2: svarint (x₁ − x₀)
 *   block stream of the residuals: order 0 the values themselves (n), order 1
 *   the deltas xᵢ − xᵢ₋₁ (n − 1), order 2 the deltas of deltas (n − 2)
 *
 * The encoder prices every allowed order and keeps the cheapest; an order is
 * only allowed when every block's range fits 53 bits (exact in a float64).
 * A constant delta (a full or regular split's offsets, a constant series)
 * short-cuts to order 1 with a constant stream: 4–5 bytes for the column.
 *
 * ## Value column (n float64, n ≥ 1)
 *
 *   u8 kind
 *   kind 0..15, decimal: every value v is finite, not −0 and equals
 *       s / 10^kind for the integer s = round(v·10^kind), |s| ≤ 2^52 (the
 *       smallest such kind is used); an integer column of the s follows
 *       (orders 0, 1, 2 allowed). Decoding divides by 10^kind, which gives
 *       back v bit for bit because the encoder checked exactly that.
 *   kind 0x80, XOR: f64 v₀, then two block streams of n − 1 words: the high
 *       word (rotated left by one bit, so that a sign change costs one bit
 *       rather than 32) and the low word of bits(vᵢ) XOR bits(vᵢ₋₁). Their
 *       blocks have width ≤ 32 and ref 0, except width-0 blocks whose ref is
 *       the repeated word. Every float64 bit pattern round-trips (NaN
 *       payloads, −0, subnormals, ±Infinity).
 *   Decimal mode is used whenever possible, unless it costs more than 4
 *   bytes a point and XOR turns out smaller (e.g. long decimals that repeat).
 *
 * ## Signed varint
 *
 * Magnitude ≤ 2^53: first byte = continuation (0x80) | sign (0x40) | 6 low
 * bits, then 7 bits per byte, at most 8 bytes.
 *
 * Words are written with the platform's byte order through Int32Array views;
 * the format is little-endian, so this module refuses to load on big-endian
 * hosts (Node.js runs on none today).
 */
import { CorruptDataError } from "./errors.js";

if (new Uint8Array(new Uint32Array([1]).buffer)[0] !== 1) {
  throw new Error("carbonara codecs require a little-endian host");
}

export const BLOCK_SIZE = 128;
const BLOCK_SHIFT = 7;
const TWO32 = 4294967296;
const MAX_SAFE = Number.MAX_SAFE_INTEGER;
/** Largest decimal exponent tried by the value column. */
export const MAX_DECIMAL_EXPONENT = 15;
const MAX_DECIMAL_MAGNITUDE = 2 ** 52;
const POW10 = new Float64Array(MAX_DECIMAL_EXPONENT + 1);
for (let k = 0; k <= MAX_DECIMAL_EXPONENT; k++) POW10[k] = 10 ** k;
const KIND_XOR = 0x80;

const STREAM_CONSTANT = 0;
const STREAM_BLOCKS = 1;

// ---------------------------------------------------------------------------
// Writer / reader

const f64Scratch = new Float64Array(1);
const f64Bytes = new Uint8Array(f64Scratch.buffer);

/** An append-only byte buffer that grows by doubling and is reused across encodes. */
export class ByteWriter {
  bytes: Uint8Array;
  pos = 0;

  constructor(capacity = 1 << 16) {
    this.bytes = new Uint8Array(capacity);
  }

  reset(): void {
    this.pos = 0;
  }

  ensure(extra: number): void {
    const need = this.pos + extra;
    if (need <= this.bytes.length) return;
    let size = this.bytes.length * 2;
    while (size < need) size *= 2;
    const grown = new Uint8Array(size);
    grown.set(this.bytes.subarray(0, this.pos));
    this.bytes = grown;
  }

  u8(x: number): void {
    this.ensure(1);
    this.bytes[this.pos++] = x;
  }

  /** Unsigned varint, 7 bits per byte; x must be a non-negative safe integer. */
  uvarint(x: number): void {
    this.ensure(8);
    const b = this.bytes;
    let p = this.pos;
    while (x >= 128) {
      b[p++] = (x % 128) | 128;
      x = Math.floor(x / 128);
    }
    b[p++] = x;
    this.pos = p;
  }

  /** Signed varint (sign-magnitude, see the module comment); |x| ≤ 2^53. */
  svarint(x: number): void {
    this.ensure(9);
    const b = this.bytes;
    let p = this.pos;
    let m = x < 0 ? -x : x;
    const sign = x < 0 ? 0x40 : 0;
    if (m < 64) {
      b[p++] = sign | m;
    } else {
      b[p++] = 0x80 | sign | (m % 64);
      m = Math.floor(m / 64);
      while (m >= 128) {
        b[p++] = (m % 128) | 128;
        m = Math.floor(m / 128);
      }
      b[p++] = m;
    }
    this.pos = p;
  }

  f64(x: number): void {
    this.ensure(8);
    f64Scratch[0] = x;
    this.bytes.set(f64Bytes, this.pos);
    this.pos += 8;
  }

  u32le(x: number): void {
    this.ensure(4);
    const b = this.bytes;
    const p = this.pos;
    b[p] = x & 0xff;
    b[p + 1] = (x >>> 8) & 0xff;
    b[p + 2] = (x >>> 16) & 0xff;
    b[p + 3] = (x >>> 24) & 0xff;
    this.pos = p + 4;
  }

  /** Appends `src` verbatim. */
  append(src: Uint8Array): void {
    this.ensure(src.length);
    this.bytes.set(src, this.pos);
    this.pos += src.length;
  }

  /** Appends the first `count` words of `words` (little-endian). */
  words(words: Int32Array, count: number): void {
    const n = count * 4;
    this.ensure(n);
    this.bytes.set(new Uint8Array(words.buffer, words.byteOffset, n), this.pos);
    this.pos += n;
  }

  /** A copy of the bytes written so far. */
  toBytes(): Uint8Array {
    return this.bytes.slice(0, this.pos);
  }
}

function corrupt(what: string): never {
  throw new CorruptDataError(`corrupt data: ${what}`);
}

/** A cursor over `bytes[pos, end)`; every read checks bounds and throws CorruptDataError. */
export class ByteReader {
  bytes: Uint8Array;
  pos: number;
  end: number;

  constructor(bytes: Uint8Array, pos: number, end: number) {
    this.bytes = bytes;
    this.pos = pos;
    this.end = end;
  }

  u8(): number {
    if (this.pos >= this.end) corrupt("truncated");
    return this.bytes[this.pos++]!;
  }

  uvarint(): number {
    const b = this.bytes;
    let x = 0;
    let scale = 1;
    for (let i = 0; i < 8; i++) {
      if (this.pos >= this.end) corrupt("truncated varint");
      const byte = b[this.pos++]!;
      x += (byte & 127) * scale;
      if (byte < 128) {
        if (x > MAX_SAFE) corrupt("varint out of range");
        return x;
      }
      scale *= 128;
    }
    return corrupt("varint too long");
  }

  svarint(): number {
    if (this.pos >= this.end) corrupt("truncated varint");
    const b = this.bytes;
    const first = b[this.pos++]!;
    const negative = (first & 0x40) !== 0;
    let m = first & 0x3f;
    if (first >= 128) {
      let scale = 64;
      let done = false;
      for (let i = 0; i < 8; i++) {
        if (this.pos >= this.end) corrupt("truncated varint");
        const byte = b[this.pos++]!;
        m += (byte & 127) * scale;
        if (byte < 128) {
          done = true;
          break;
        }
        scale *= 128;
      }
      if (!done) corrupt("varint too long");
      if (m > 2 ** 53) corrupt("varint out of range");
    }
    if (negative) {
      if (m === 0) corrupt("negative zero varint");
      return -m;
    }
    return m;
  }

  f64(): number {
    if (this.end - this.pos < 8) corrupt("truncated");
    f64Bytes.set(this.bytes.subarray(this.pos, this.pos + 8));
    this.pos += 8;
    return f64Scratch[0]!;
  }

  /** Copies `count` little-endian words into `into` (aligned scratch). */
  words(count: number, into: Int32Array): void {
    const n = count * 4;
    if (this.end - this.pos < n) corrupt("truncated");
    new Uint8Array(into.buffer, into.byteOffset, n).set(
      this.bytes.subarray(this.pos, this.pos + n),
    );
    this.pos += n;
  }
}

// ---------------------------------------------------------------------------
// Scratch buffers

let wordScratch = new Int32Array(4 * 3600 + 64);

function wordsFor(count: number): Int32Array {
  // One spare word: the unpacker may read one word past the data.
  if (wordScratch.length < count + 1)
    wordScratch = new Int32Array(Math.max(count + 1, wordScratch.length * 2));
  return wordScratch;
}

/** Per-block plan of a stream: widths and refs, plus its total size. */
class StreamPlan {
  widths = new Uint8Array(64);
  refs = new Float64Array(64);
  blocks = 0;
  words = 0;
  /** Encoded size in bytes (Infinity when some block's range exceeds 53 bits). */
  bytes = 0;
  constant = false;

  ensure(blocks: number): void {
    if (this.widths.length < blocks) {
      const size = Math.max(blocks, this.widths.length * 2);
      this.widths = new Uint8Array(size);
      this.refs = new Float64Array(size);
    }
  }
}

function svarintSize(x: number): number {
  let m = x < 0 ? -x : x;
  if (m < 64) return 1;
  m = Math.floor(m / 64);
  let n = 2;
  while (m >= 128) {
    m = Math.floor(m / 128);
    n++;
  }
  return n;
}

/** Bits needed for an integer 0 ≤ r < 2^53. */
function bitWidth(r: number): number {
  if (r < TWO32) return 32 - Math.clz32(r);
  return 64 - Math.clz32(Math.floor(r / TWO32));
}

/** Number of 32-bit words a block of m values of `width` bits occupies. */
function blockWords(m: number, width: number): number {
  if (width <= 32) return (m * width + 31) >>> 5;
  return m + ((m * (width - 32) + 31) >>> 5);
}

/**
 * Plans a block stream over src[from, from+len): block widths and refs, total
 * size. Returns plan.bytes (Infinity if not encodable).
 */
function planStream(src: Float64Array, from: number, len: number, plan: StreamPlan): number {
  const blocks = (len + BLOCK_SIZE - 1) >>> BLOCK_SHIFT;
  plan.ensure(blocks);
  plan.blocks = blocks;
  const widths = plan.widths;
  const refs = plan.refs;
  let words = 0;
  let headerBytes = 1;
  let allSame = true;
  const first = src[from]!;
  const end = from + len;
  for (let b = 0, i = from; b < blocks; b++) {
    const stop = Math.min(i + BLOCK_SIZE, end);
    const m = stop - i;
    let min = src[i]!;
    let max = min;
    for (let j = i + 1; j < stop; j++) {
      const v = src[j]!;
      if (v < min) min = v;
      else if (v > max) max = v;
    }
    const range = max - min;
    if (!(range <= MAX_SAFE) || !(min >= -MAX_SAFE) || !(max <= MAX_SAFE)) {
      plan.bytes = Number.POSITIVE_INFINITY;
      return plan.bytes;
    }
    const w = bitWidth(range);
    if (w !== 0 || min !== first) allSame = false;
    // A zero ref costs one header byte; use it when it does not widen the block.
    const ref = min > 0 && w !== 0 && bitWidth(max) === w ? 0 : min;
    widths[b] = w;
    refs[b] = ref;
    words += blockWords(m, w);
    headerBytes += 1 + svarintSize(ref);
    i = stop;
  }
  plan.words = words;
  plan.constant = allSame;
  plan.bytes = allSame ? 1 + svarintSize(first) : headerBytes + 4 * words;
  return plan.bytes;
}

/** Packs `m` values (minus ref) of width w ≤ 32 into words from wi; returns the next word index. */
function packNarrow(
  src: Float64Array,
  i: number,
  m: number,
  ref: number,
  w: number,
  words: Int32Array,
  wi: number,
): number {
  let acc = 0;
  let bits = 0;
  const stop = i + m;
  for (; i < stop; i++) {
    const u = src[i]! - ref;
    acc |= u << bits;
    bits += w;
    if (bits >= 32) {
      words[wi++] = acc;
      bits -= 32;
      acc = bits > 0 ? u >>> (w - bits) : 0;
    }
  }
  if (bits > 0) words[wi++] = acc;
  return wi;
}

function writeStream(
  w: ByteWriter,
  src: Float64Array,
  from: number,
  len: number,
  plan: StreamPlan,
): void {
  if (plan.constant) {
    w.u8(STREAM_CONSTANT);
    w.svarint(src[from]!);
    return;
  }
  w.u8(STREAM_BLOCKS);
  const { widths, refs, blocks } = plan;
  for (let b = 0; b < blocks; b++) {
    w.u8(widths[b]!);
    w.svarint(refs[b]!);
  }
  const words = wordsFor(plan.words);
  let wi = 0;
  const end = from + len;
  for (let b = 0, i = from; b < blocks; b++) {
    const m = Math.min(BLOCK_SIZE, end - i);
    const width = widths[b]!;
    const ref = refs[b]!;
    if (width <= 32) {
      if (width > 0) wi = packNarrow(src, i, m, ref, width, words, wi);
    } else {
      // Wide block: low words verbatim, then the high parts packed.
      const hi = hiBuffer;
      for (let j = 0; j < m; j++) {
        const u = src[i + j]! - ref;
        const h = Math.floor(u / TWO32);
        words[wi++] = u - h * TWO32;
        hi[j] = h;
      }
      wi = packNarrow(hi, 0, m, 0, width - 32, words, wi);
    }
    i += m;
  }
  w.words(words, wi);
}

const hiBuffer = new Float64Array(BLOCK_SIZE);

/** Unpacks m values of width 1..32 from words[wi…] into out[o…] adding ref; returns the next word index. */
function unpackNarrow(
  words: Int32Array,
  wi: number,
  m: number,
  w: number,
  ref: number,
  out: Float64Array,
  o: number,
): number {
  const mask = w === 32 ? -1 : (1 << w) - 1;
  let cur = words[wi]!;
  let bits = 0;
  const stop = o + m;
  for (; o < stop; o++) {
    let u = cur >>> bits;
    bits += w;
    if (bits >= 32) {
      cur = words[++wi]!;
      bits -= 32;
      if (bits > 0) u |= cur << (w - bits);
    }
    out[o] = ((u & mask) >>> 0) + ref;
  }
  return bits > 0 ? wi + 1 : wi;
}

/** Reads a block stream of `len` values into out[o, o+len). */
function readStream(r: ByteReader, len: number, out: Float64Array, o: number): void {
  const kind = r.u8();
  if (kind === STREAM_CONSTANT) {
    const c = r.svarint();
    out.fill(c, o, o + len);
    return;
  }
  if (kind !== STREAM_BLOCKS) corrupt("unknown stream kind");
  const blocks = (len + BLOCK_SIZE - 1) >>> BLOCK_SHIFT;
  const plan = readPlan;
  plan.ensure(blocks);
  const { widths, refs } = plan;
  let total = 0;
  for (let b = 0; b < blocks; b++) {
    const width = r.u8();
    if (width > 53) corrupt("bad block width");
    widths[b] = width;
    refs[b] = r.svarint();
    total += blockWords(Math.min(BLOCK_SIZE, len - b * BLOCK_SIZE), width);
  }
  if (total * 4 > r.end - r.pos) corrupt("truncated");
  const words = wordsFor(total);
  r.words(total, words);
  words[total] = 0;
  let wi = 0;
  for (let b = 0; b < blocks; b++) {
    const m = Math.min(BLOCK_SIZE, len - b * BLOCK_SIZE);
    const width = widths[b]!;
    const ref = refs[b]!;
    if (width === 0) {
      out.fill(ref, o, o + m);
    } else if (width <= 32) {
      wi = unpackNarrow(words, wi, m, width, ref, out, o);
    } else {
      const hi = hiBuffer;
      const lo = wi;
      wi = unpackNarrow(words, wi + m, m, width - 32, 0, hi, 0);
      for (let j = 0; j < m; j++) {
        const v = hi[j]! * TWO32 + (words[lo + j]! >>> 0) + ref;
        if (!(v <= MAX_SAFE && v >= -MAX_SAFE)) corrupt("value out of range");
        out[o + j] = v;
      }
    }
    o += m;
  }
}

const readPlan = new StreamPlan();

/**
 * Reads a block stream of `len` XOR words (0 ≤ x < 2^32) and rebuilds the
 * 32-bit words they chain: qᵢ = qᵢ₋₁ XOR xᵢ from q₀ = `seed`, each stored
 * rotated right by `rot` (0 or 1) into out[o + stride·i], i = 1..len.
 * Unpacking, the XOR chain and the rotation are fused in one pass.
 */
function readXorStream(
  r: ByteReader,
  len: number,
  out: Int32Array,
  o: number,
  stride: number,
  seed: number,
  rot: number,
): void {
  const back = 32 - rot;
  let q = seed | 0;
  const kind = r.u8();
  if (kind === STREAM_CONSTANT) {
    const c = r.svarint();
    if (!(c >= 0 && c < TWO32)) corrupt("word out of range");
    const x = c | 0;
    for (let i = 0; i < len; i++) {
      q ^= x;
      o += stride;
      out[o] = (q >>> rot) | (q << back);
    }
    return;
  }
  if (kind !== STREAM_BLOCKS) corrupt("unknown stream kind");
  const blocks = (len + BLOCK_SIZE - 1) >>> BLOCK_SHIFT;
  const plan = readPlan;
  plan.ensure(blocks);
  const { widths, refs } = plan;
  let total = 0;
  for (let b = 0; b < blocks; b++) {
    const width = r.u8();
    const ref = r.svarint();
    if (width > 32 || ref < 0 || ref >= TWO32) corrupt("bad block of words");
    widths[b] = width;
    refs[b] = ref;
    total += blockWords(Math.min(BLOCK_SIZE, len - b * BLOCK_SIZE), width);
  }
  if (total * 4 > r.end - r.pos) corrupt("truncated");
  const words = wordsFor(total);
  r.words(total, words);
  words[total] = 0;
  let wi = 0;
  for (let b = 0, done = 0; b < blocks; b++) {
    const m = Math.min(BLOCK_SIZE, len - done);
    done += m;
    const w = widths[b]!;
    const ref = refs[b]! | 0;
    if (w === 0) {
      for (let i = 0; i < m; i++) {
        q ^= ref;
        o += stride;
        out[o] = (q >>> rot) | (q << back);
      }
    } else if (w === 32) {
      for (let i = 0; i < m; i++) {
        q ^= words[wi++]! + ref;
        o += stride;
        out[o] = (q >>> rot) | (q << back);
      }
    } else {
      const mask = (1 << w) - 1;
      let cur = words[wi]!;
      let bits = 0;
      for (let i = 0; i < m; i++) {
        let u = cur >>> bits;
        bits += w;
        if (bits >= 32) {
          cur = words[++wi]!;
          bits -= 32;
          if (bits > 0) u |= cur << (w - bits);
        }
        q ^= (u & mask) + ref;
        o += stride;
        out[o] = (q >>> rot) | (q << back);
      }
      if (bits > 0) wi++;
    }
  }
}

// ---------------------------------------------------------------------------
// Integer columns

/** Bit mask of the orders an integer column may use. */
export const ORDER_0 = 1;
export const ORDER_1 = 2;
export const ORDER_2 = 4;

let residuals = [new Float64Array(4096), new Float64Array(4096)] as const;
const plans = [new StreamPlan(), new StreamPlan(), new StreamPlan()] as const;

function residualScratch(n: number): readonly [Float64Array, Float64Array] {
  if (residuals[0].length < n) {
    const size = Math.max(n, residuals[0].length * 2);
    residuals = [new Float64Array(size), new Float64Array(size)];
  }
  return residuals;
}

/** Estimated sizes in bits of orders 0, 1, 2 (Infinity: not encodable), set by estimateOrders. */
const estimates = new Float64Array(3);

function blockEstimate(min: number, max: number, m: number): number {
  const range = max - min;
  if (!(range <= MAX_SAFE && min >= -MAX_SAFE && max <= MAX_SAFE)) return Number.POSITIVE_INFINITY;
  return bitWidth(range) * m + 8 * (1 + svarintSize(min));
}

/**
 * One pass over src[0, n) (n ≥ 3) that writes the deltas into r1 and the
 * deltas of deltas into r2 and prices the three orders on 128-value blocks
 * aligned on src (the residual streams' own blocks are shifted by one or two
 * values, close enough to choose).
 */
function estimateOrders(src: Float64Array, n: number, r1: Float64Array, r2: Float64Array): void {
  const x0 = src[0]!;
  const x1 = src[1]!;
  const d1 = x1 - x0;
  r1[0] = d1;
  let e0 = 0;
  let e1 = 0;
  let e2 = 0;
  let min0 = Math.min(x0, x1);
  let max0 = Math.max(x0, x1);
  let min1 = d1;
  let max1 = d1;
  let min2 = Number.POSITIVE_INFINITY;
  let max2 = Number.NEGATIVE_INFINITY;
  let prev = x1;
  let pd = d1;
  let start = 0;
  for (let i = 2; i < n; ) {
    const stop = Math.min(start + BLOCK_SIZE, n);
    for (; i < stop; i++) {
      const x = src[i]!;
      const d = x - prev;
      const dd = d - pd;
      r1[i - 1] = d;
      r2[i - 2] = dd;
      if (x < min0) min0 = x;
      if (x > max0) max0 = x;
      if (d < min1) min1 = d;
      if (d > max1) max1 = d;
      if (dd < min2) min2 = dd;
      if (dd > max2) max2 = dd;
      prev = x;
      pd = d;
    }
    const m = stop - start;
    e0 += blockEstimate(min0, max0, m);
    e1 += blockEstimate(min1, max1, m);
    // Order 2 decodes through the running deltas: a delta outside the safe
    // range was rounded when taken, so its deltas of deltas cannot rebuild it.
    if (min1 < -MAX_SAFE || max1 > MAX_SAFE) e2 = Number.POSITIVE_INFINITY;
    else e2 += min2 <= max2 ? blockEstimate(min2, max2, m) : 0;
    start = stop;
    if (i < n) {
      const x = src[i]!;
      min0 = max0 = x;
      min1 = max1 = x - prev;
      min2 = max2 = x - prev - pd;
    }
  }
  estimates[0] = e0;
  estimates[1] = e1;
  estimates[2] = e2;
}

/**
 * Writes src[0, n) (safe integers, n ≥ 1) as an integer column using the
 * cheapest of the allowed orders. Returns false, writing nothing, when no
 * allowed order is encodable (some block range over 53 bits).
 */
export function encodeIntColumn(
  w: ByteWriter,
  src: Float64Array,
  n: number,
  orders: number,
): boolean {
  const [r1, r2] = residualScratch(n);
  const x0 = src[0]!;
  if (n < 3) {
    // Too short to estimate. One point: order 1 is x₀ alone. Two points:
    // order 2 is x₀ and the delta, order 1 the same plus a stream kind byte.
    const d = n === 2 ? src[1]! - x0 : 0;
    if (Math.abs(d) <= MAX_SAFE) {
      if (n === 2 && orders & ORDER_2) {
        w.u8(2);
        w.svarint(x0);
        w.svarint(d);
        return true;
      }
      if (orders & ORDER_1) {
        w.u8(1);
        w.svarint(x0);
        if (n === 2) {
          w.u8(STREAM_CONSTANT);
          w.svarint(d);
        }
        return true;
      }
    }
    return orders & ORDER_0 ? writeOrder0(w, src, n) : false;
  }
  // A constant delta (a full or regular split's offsets, a linear counter, a
  // constant) costs 4-5 bytes in all: no other order does better by more than a byte.
  const d1 = src[1]! - x0;
  if (orders & ORDER_1 && Math.abs(d1) <= MAX_SAFE) {
    let i = 2;
    for (let prev = src[1]!; i < n; i++) {
      const x = src[i]!;
      if (x - prev !== d1) break;
      prev = x;
    }
    if (i === n) {
      w.u8(1);
      w.svarint(x0);
      w.u8(STREAM_CONSTANT);
      w.svarint(d1);
      return true;
    }
  }
  estimateOrders(src, n, r1, r2);
  // Try the allowed orders from the cheapest estimate; the exact plan decides.
  for (let attempt = 0; attempt < 3; attempt++) {
    let best = -1;
    let bestBits = Number.POSITIVE_INFINITY;
    for (let o = 0; o < 3; o++) {
      if (orders & (1 << o) && estimates[o]! < bestBits) {
        bestBits = estimates[o]!;
        best = o;
      }
    }
    if (best < 0) return false;
    estimates[best] = Number.POSITIVE_INFINITY;
    if (best === 0) {
      if (writeOrder0(w, src, n)) return true;
    } else if (best === 1) {
      if (planStream(r1, 0, n - 1, plans[1]) < Number.POSITIVE_INFINITY) {
        w.u8(1);
        w.svarint(x0);
        writeStream(w, r1, 0, n - 1, plans[1]);
        return true;
      }
    } else if (
      Math.abs(r1[0]!) <= MAX_SAFE &&
      planStream(r2, 0, n - 2, plans[2]) < Number.POSITIVE_INFINITY
    ) {
      w.u8(2);
      w.svarint(x0);
      w.svarint(r1[0]!);
      writeStream(w, r2, 0, n - 2, plans[2]);
      return true;
    }
  }
  return false;
}

function writeOrder0(w: ByteWriter, src: Float64Array, n: number): boolean {
  if (planStream(src, 0, n, plans[0]) === Number.POSITIVE_INFINITY) return false;
  w.u8(0);
  writeStream(w, src, 0, n, plans[0]);
  return true;
}

/**
 * Reads an integer column of n ≥ 1 values into out[0, n), each divided by
 * `divisor` (1 for plain integers; 10^k rebuilds decimal values exactly).
 */
export function decodeIntColumn(r: ByteReader, n: number, out: Float64Array, divisor = 1): void {
  const order = r.u8();
  if (order === 0) {
    readStream(r, n, out, 0);
    if (divisor !== 1) for (let i = 0; i < n; i++) out[i] = out[i]! / divisor;
    return;
  }
  if (order === 1) {
    const x0 = r.svarint();
    out[0] = x0 / divisor;
    if (n === 1) return;
    // Regular series (constant delta): fill directly.
    if (r.pos < r.end && r.bytes[r.pos] === STREAM_CONSTANT) {
      r.pos++;
      const d = r.svarint();
      if (divisor === 1) for (let i = 1; i < n; i++) out[i] = x0 + i * d;
      else for (let i = 1; i < n; i++) out[i] = (x0 + i * d) / divisor;
      return;
    }
    readStream(r, n - 1, out, 1);
    let acc = x0;
    if (divisor === 1) {
      for (let i = 1; i < n; i++) {
        acc += out[i]!;
        out[i] = acc;
      }
    } else {
      for (let i = 1; i < n; i++) {
        acc += out[i]!;
        out[i] = acc / divisor;
      }
    }
    return;
  }
  if (order === 2) {
    if (n < 2) corrupt("bad column order");
    const x0 = r.svarint();
    const d1 = r.svarint();
    out[0] = x0 / divisor;
    out[1] = (x0 + d1) / divisor;
    if (n === 2) return;
    readStream(r, n - 2, out, 2);
    let acc = x0 + d1;
    let d = d1;
    for (let i = 2; i < n; i++) {
      d += out[i]!;
      acc += d;
      out[i] = acc / divisor;
    }
    return;
  }
  corrupt("bad column order");
}

// ---------------------------------------------------------------------------
// Value columns

let scaled = new Float64Array(4096);

/**
 * Smallest decimal exponent k such that every value is exactly s/10^k with
 * |s| ≤ 2^52 integer, writing the s into `into`; -1 if there is none.
 */
export function decimalExponent(values: Float64Array, n: number, into: Float64Array): number {
  let k = 0;
  let p = 1;
  // Values before `stale` were scaled with a smaller exponent than the final one.
  let stale = 0;
  for (let i = 0; i < n; i++) {
    const v = values[i]!;
    if (v === 0 && 1 / v < 0) return -1; // −0 would decode as +0
    for (;;) {
      const s = Math.round(v * p);
      // Also rejects NaN and ±Infinity; a larger k only makes |s| larger.
      if (!(Math.abs(s) <= MAX_DECIMAL_MAGNITUDE)) return -1;
      if (s / p === v) {
        into[i] = s;
        break;
      }
      if (++k > MAX_DECIMAL_EXPONENT) return -1;
      p = POW10[k]!;
      stale = i;
    }
  }
  // Rescale (and re-verify) the values scaled before the exponent last grew.
  for (let i = 0; i < stale; i++) {
    const v = values[i]!;
    const s = Math.round(v * p);
    if (s / p !== v || !(Math.abs(s) <= MAX_DECIMAL_MAGNITUDE)) return -1;
    into[i] = s;
  }
  return k;
}

let xorHi = new Int32Array(4096);
let xorLo = new Int32Array(4096);
const xorPlan = new StreamPlan();

/** Writes values[0, n) (n ≥ 1) as a value column. */
export function encodeValueColumn(w: ByteWriter, values: Float64Array, n: number): void {
  if (scaled.length < n) scaled = new Float64Array(Math.max(n, scaled.length * 2));
  const k = decimalExponent(values, n, scaled);
  const start = w.pos;
  if (k >= 0) {
    w.u8(k);
    if (encodeIntColumn(w, scaled, n, ORDER_0 | ORDER_1 | ORDER_2)) {
      const decimalBytes = w.pos - start;
      // Long decimals (e.g. 15 fractional digits) may pack worse than XOR: try both.
      if (decimalBytes <= 4 * n + 16) return;
      encodeXor(w, values, n);
      const xorBytes = w.pos - start - decimalBytes;
      if (xorBytes < decimalBytes) {
        w.bytes.copyWithin(start, start + decimalBytes, w.pos);
        w.pos = start + xorBytes;
      } else {
        w.pos = start + decimalBytes;
      }
      return;
    }
    w.pos = start;
  }
  encodeXor(w, values, n);
}

function encodeXor(w: ByteWriter, values: Float64Array, n: number): void {
  w.u8(KIND_XOR);
  w.f64(values[0]!);
  if (n === 1) return;
  if (xorHi.length < n) {
    xorHi = new Int32Array(Math.max(n, xorHi.length * 2));
    xorLo = new Int32Array(xorHi.length);
  }
  const xh = xorHi;
  const xl = xorLo;
  const bits = new Int32Array(values.buffer, values.byteOffset, 2 * n);
  let plo = bits[0]!;
  let phi = bits[1]!;
  for (let i = 1; i < n; i++) {
    const lo = bits[2 * i]!;
    const hi = bits[2 * i + 1]!;
    const x = hi ^ phi;
    xl[i - 1] = lo ^ plo;
    // Rotate the sign bit to the bottom so a sign change does not cost 32 bits.
    xh[i - 1] = (x << 1) | (x >>> 31);
    plo = lo;
    phi = hi;
  }
  writeWordStream(w, xh, n - 1);
  writeWordStream(w, xl, n - 1);
}

/**
 * Writes `len` 32-bit words (as uint32) as a block stream: a block of equal
 * words gets width 0 and the word as ref, any other block ref 0 and the width
 * of the OR of its words (XOR words share leading zeros, not an offset).
 */
function writeWordStream(w: ByteWriter, src: Int32Array, len: number): void {
  const plan = xorPlan;
  const blocks = (len + BLOCK_SIZE - 1) >>> BLOCK_SHIFT;
  plan.ensure(blocks);
  const { widths, refs } = plan;
  const first = src[0]!;
  let allSame = true;
  let total = 0;
  for (let b = 0, i = 0; b < blocks; b++) {
    const stop = Math.min(i + BLOCK_SIZE, len);
    const x0 = src[i]!;
    let or = 0;
    let same = true;
    for (let j = i; j < stop; j++) {
      const x = src[j]!;
      or |= x;
      if (x !== x0) same = false;
    }
    if (same) {
      widths[b] = 0;
      refs[b] = x0 >>> 0;
      if (x0 !== first) allSame = false;
    } else {
      const width = 32 - Math.clz32(or);
      widths[b] = width;
      refs[b] = 0;
      total += (width * (stop - i) + 31) >>> 5;
      allSame = false;
    }
    i = stop;
  }
  if (allSame) {
    w.u8(STREAM_CONSTANT);
    w.svarint(first >>> 0);
    return;
  }
  w.u8(STREAM_BLOCKS);
  for (let b = 0; b < blocks; b++) {
    w.u8(widths[b]!);
    w.svarint(refs[b]!);
  }
  const words = wordsFor(total);
  let wi = 0;
  for (let b = 0, i = 0; b < blocks; b++) {
    const stop = Math.min(i + BLOCK_SIZE, len);
    const width = widths[b]!;
    if (width === 32) {
      for (let j = i; j < stop; j++) words[wi++] = src[j]!;
    } else if (width > 0) {
      let acc = 0;
      let used = 0;
      for (let j = i; j < stop; j++) {
        const x = src[j]!;
        acc |= x << used;
        used += width;
        if (used >= 32) {
          words[wi++] = acc;
          used -= 32;
          acc = used > 0 ? x >>> (width - used) : 0;
        }
      }
      if (used > 0) words[wi++] = acc;
    }
    i = stop;
  }
  w.words(words, wi);
}

/** Reads a value column of n ≥ 1 values into out[0, n). */
export function decodeValueColumn(r: ByteReader, n: number, out: Float64Array): void {
  const kind = r.u8();
  if (kind <= MAX_DECIMAL_EXPONENT) {
    decodeIntColumn(r, n, out, POW10[kind]!);
    return;
  }
  if (kind !== KIND_XOR) corrupt("unknown value column kind");
  out[0] = r.f64();
  if (n === 1) return;
  // Rebuild the words in place through an Int32Array view of the output:
  // high words at odd indices (stored rotated left by one), low at even.
  const words = new Int32Array(out.buffer, out.byteOffset, n * 2);
  const hi0 = words[1]!;
  readXorStream(r, n - 1, words, 1, 2, (hi0 << 1) | (hi0 >>> 31), 1);
  readXorStream(r, n - 1, words, 0, 2, words[0]!, 0);
}
