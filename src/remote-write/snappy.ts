/**
 * Snappy block format (what Prometheus' remote write sends, not the framed
 * stream format) through snappyjs, with the checks it leaves out: the
 * declared length is bounded BEFORE the output is allocated (a 5-byte header
 * could otherwise ask for 4 GiB), and any failure is a 400, not a crash.
 */
import { uncompress } from "snappyjs";
import { InvalidWriteError, WriteTooLargeError } from "./errors.js";

/** The uncompressed length a snappy block declares and the header's size, or undefined when invalid. */
export function snappyHeader(block: Uint8Array): { length: number; size: number } | undefined {
  let value = 0;
  for (let i = 0; i < 5 && i < block.length; i++) {
    const b = block[i]!;
    value += (b & 0x7f) * 2 ** (7 * i);
    if (b < 0x80) return value > 0xffff_ffff ? undefined : { length: value, size: i + 1 };
  }
  return undefined;
}

/**
 * The number of bytes the elements after the header produce, or -1 when an
 * element is cut short or copies from before the start. snappyjs checks
 * neither that the output is filled exactly nor that it is not overrun (a
 * typed array drops writes past its end), so a truncated block would
 * otherwise decode to a zero-padded body.
 */
export function snappyOutputLength(block: Uint8Array, from: number): number {
  const n = block.length;
  let p = from;
  let out = 0;
  while (p < n) {
    const c = block[p++]!;
    const kind = c & 3;
    if (kind === 0) {
      let len = (c >>> 2) + 1;
      if (len > 60) {
        const extra = len - 60;
        if (p + extra > n) return -1;
        len = 0;
        for (let i = extra - 1; i >= 0; i--) len = len * 256 + block[p + i]!;
        len += 1;
        p += extra;
      }
      if (p + len > n) return -1;
      p += len;
      out += len;
      continue;
    }
    let len: number;
    let offset: number;
    if (kind === 1) {
      if (p + 1 > n) return -1;
      len = ((c >>> 2) & 7) + 4;
      offset = ((c >>> 5) << 8) | block[p]!;
      p += 1;
    } else if (kind === 2) {
      if (p + 2 > n) return -1;
      len = (c >>> 2) + 1;
      offset = block[p]! | (block[p + 1]! << 8);
      p += 2;
    } else {
      if (p + 4 > n) return -1;
      len = (c >>> 2) + 1;
      offset = (block[p]! | (block[p + 1]! << 8) | (block[p + 2]! << 16)) + block[p + 3]! * 2 ** 24;
      p += 4;
    }
    if (offset === 0 || offset > out) return -1;
    out += len;
  }
  return out;
}

/**
 * Decompresses a snappy block of at most `maxBytes` uncompressed bytes.
 * @throws InvalidWriteError, WriteTooLargeError
 */
export function snappyUncompress(block: Uint8Array, maxBytes: number): Uint8Array {
  const header = snappyHeader(block);
  if (header === undefined) throw new InvalidWriteError("invalid snappy block: bad length header");
  const declared = header.length;
  if (declared > maxBytes) {
    throw new WriteTooLargeError(
      `decompressed body of ${declared} bytes exceeds the limit of ${maxBytes} bytes`,
    );
  }
  if (snappyOutputLength(block, header.size) !== declared) {
    throw new InvalidWriteError("invalid snappy block: corrupt or truncated data");
  }
  // snappyjs returns a Buffer for a Buffer: hand it a plain Uint8Array view.
  const input =
    block.constructor === Uint8Array
      ? block
      : new Uint8Array(block.buffer, block.byteOffset, block.byteLength);
  try {
    return uncompress(input, maxBytes);
  } catch (error) {
    throw new InvalidWriteError(
      `invalid snappy block: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
}
