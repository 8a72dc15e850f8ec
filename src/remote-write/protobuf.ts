/**
 * The few protobuf wire-format primitives the remote-write decoder needs,
 * over a Uint8Array with an explicit cursor: varints, lengths checked against
 * the enclosing message, and skipping of fields the decoder does not know
 * (so metadata, exemplars and native histograms pass through untouched).
 * Every malformed input throws {@link InvalidWriteError}, never reads past
 * the message it is in.
 */
import { InvalidWriteError } from "./errors.js";

export const WIRE_VARINT = 0;
export const WIRE_I64 = 1;
export const WIRE_LEN = 2;
export const WIRE_I32 = 5;

export class ProtoCursor {
  pos = 0;
  constructor(readonly buf: Uint8Array) {}

  /** A varint that must fit in 32 bits unsigned (tags, lengths). */
  uint32(end: number): number {
    const buf = this.buf;
    let p = this.pos;
    if (p >= end) throw truncated();
    let b = buf[p++]!;
    if (b < 0x80) {
      this.pos = p;
      return b;
    }
    let value = b & 0x7f;
    for (let shift = 7; shift < 35; shift += 7) {
      if (p >= end) throw truncated();
      b = buf[p++]!;
      value += (b & 0x7f) * 2 ** shift;
      if (b < 0x80) {
        if (value > 0xffff_ffff) break;
        this.pos = p;
        return value;
      }
    }
    throw new InvalidWriteError("invalid protobuf: varint too long for a tag or length");
  }

  /**
   * A uint64 varint as a JS number: exact up to 2^53, rounded above (callers
   * only compare such values against limits far below).
   */
  uint64(end: number): number {
    const buf = this.buf;
    let p = this.pos;
    let value = 0;
    let scale = 1;
    for (let i = 0; i < 10; i++) {
      if (p >= end) throw truncated();
      const b = buf[p++]!;
      value += (b & 0x7f) * scale;
      if (b < 0x80) {
        this.pos = p;
        return value;
      }
      scale *= 128;
    }
    throw new InvalidWriteError("invalid protobuf: varint longer than 10 bytes");
  }

  /** The length of a LEN field; the payload must end at or before `end`. */
  length(end: number): number {
    const n = this.uint32(end);
    if (n > end - this.pos) throw truncated();
    return n;
  }

  /** Skips the value of a field of wire type `wire`. */
  skip(wire: number, end: number): void {
    switch (wire) {
      case WIRE_VARINT:
        this.uint64(end);
        return;
      case WIRE_I64:
        if (end - this.pos < 8) throw truncated();
        this.pos += 8;
        return;
      case WIRE_LEN: {
        const n = this.length(end); // before reading `pos`: length() moves it past the varint
        this.pos += n;
        return;
      }
      case WIRE_I32:
        if (end - this.pos < 4) throw truncated();
        this.pos += 4;
        return;
      default:
        // 3/4 are the deprecated groups, which no remote-write message uses; 6/7 do not exist.
        throw new InvalidWriteError(`invalid protobuf: unsupported wire type ${wire}`);
    }
  }
}

/** A field tag: field number 0 is invalid in every message. */
export function checkTag(tag: number): void {
  if (tag >>> 3 === 0) throw new InvalidWriteError("invalid protobuf: field number 0");
}

function truncated(): InvalidWriteError {
  return new InvalidWriteError("invalid protobuf: message truncated");
}
