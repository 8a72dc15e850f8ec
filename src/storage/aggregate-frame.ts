/**
 * The frame format of the aggregate store's segment files
 * (aggregate-file.ts): encoding a metric commit as one frame, decoding and
 * validating frames, scanning a segment image, and the hint files that index
 * a sealed segment without its data. Pure: no I/O.
 *
 * A segment is a sequence of frames; one frame holds one whole metric commit:
 *
 *   u32 magic 0x31474147 ("GAG1")   u32 frame length (header included)
 *   u32 CRC-32 (zlib) of bytes [12, length)
 *   f64 seq (commit sequence number, per partition)   16 B metric UUID   u32 entry count
 *   entries:
 *     u8 kind = 1 PUT_SPLIT | 2 DEL_SPLIT: u8 method length, method (UTF-8),
 *                                          f64 granularity (µs), f64 split key (µs)
 *               3 PUT_RAW   | 4 DEL_RAW
 *               5 MARKER    : u16 length, incoming marker (UTF-8)
 *               6 DEL_METRIC (every older record of the metric is dead)
 *               7 REPLACES  : u32 n, n × u32 segment numbers (compaction output only)
 *               8 APPEND_SPLIT: u8 method length, method (UTF-8), f64 granularity (µs),
 *                             f64 split key (µs), u32 keep, u32 point count
 *     PUT_SPLIT, PUT_RAW and APPEND_SPLIT then carry: u32 data length, u32 CRC-32 of the
 *     data, data
 *   (little-endian throughout)
 */
import { crc32 } from "node:zlib";
import { bytesToUuid, uuidToBytes } from "./common.js";

const MAGIC = 0x31474147;
const FRAME_HEADER = 40;
const HINT_FORMAT = "gnocchi-ts-hint/1";

export const PUT_SPLIT = 1;
export const DEL_SPLIT = 2;
export const PUT_RAW = 3;
export const DEL_RAW = 4;
export const MARKER = 5;
export const DEL_METRIC = 6;
export const REPLACES = 7;
export const APPEND_SPLIT = 8;

export interface ParsedEntry {
  kind: number;
  /** Offsets relative to the frame start (encoding) or to the file (parsing). */
  entryOff: number;
  entrySize: number;
  method?: string;
  granularity?: number;
  key?: number;
  dataOff?: number;
  dataLen?: number;
  dataCrc?: number;
  marker?: string;
  replaces?: number[];
  keep?: number;
  count?: number;
}

export interface ParsedFrame {
  off: number;
  len: number;
  seq: number;
  metricId: string;
  entries: ParsedEntry[];
}

const textEncoder = new TextEncoder();
const textDecoder = new TextDecoder();
/** UTF-8 of method names: a handful of distinct strings, encoded in every commit otherwise. */
const methodBytes = new Map<string, Uint8Array>();

function methodUtf8(method: string): Uint8Array {
  let bytes = methodBytes.get(method);
  if (bytes === undefined) {
    bytes = textEncoder.encode(method);
    if (methodBytes.size < 4096) methodBytes.set(method, bytes);
  }
  return bytes;
}

/** Entry kinds followed by u32 length, u32 CRC and data bytes. */
export function hasData(kind: number): boolean {
  return kind === PUT_SPLIT || kind === PUT_RAW || kind === APPEND_SPLIT;
}

class FrameWriter {
  buf: Uint8Array;
  view: DataView;
  at = 0;
  constructor(size: number) {
    this.buf = new Uint8Array(size);
    this.view = new DataView(this.buf.buffer);
  }
  ensure(n: number): void {
    if (this.at + n <= this.buf.length) return;
    const next = new Uint8Array(Math.max(this.buf.length * 2, this.at + n));
    next.set(this.buf.subarray(0, this.at));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }
  u8(v: number): void {
    this.ensure(1);
    this.view.setUint8(this.at, v);
    this.at += 1;
  }
  u16(v: number): void {
    this.ensure(2);
    this.view.setUint16(this.at, v, true);
    this.at += 2;
  }
  u32(v: number): void {
    this.ensure(4);
    this.view.setUint32(this.at, v >>> 0, true);
    this.at += 4;
  }
  f64(v: number): void {
    this.ensure(8);
    this.view.setFloat64(this.at, v, true);
    this.at += 8;
  }
  bytes(b: Uint8Array): void {
    this.ensure(b.length);
    this.buf.set(b, this.at);
    this.at += b.length;
  }
}

export function encodeFrame(
  seq: number,
  metricId: string,
  entries: ParsedEntry[],
  data: (Uint8Array | undefined)[],
): {
  bytes: Uint8Array;
  frame: ParsedFrame;
} {
  let estimate = FRAME_HEADER;
  for (const d of data) estimate += 64 + (d?.length ?? 0);
  const w = new FrameWriter(estimate + 512);
  w.at = 12;
  w.f64(seq);
  if (metricId === "") w.bytes(new Uint8Array(16));
  else {
    w.ensure(16);
    uuidToBytes(metricId, w.buf, w.at);
    w.at += 16;
  }
  w.u32(entries.length);
  entries.forEach((e, i) => {
    e.entryOff = w.at;
    w.u8(e.kind);
    if (e.kind === PUT_SPLIT || e.kind === DEL_SPLIT || e.kind === APPEND_SPLIT) {
      const m = methodUtf8(e.method!);
      if (m.length > 255) throw new RangeError(`aggregation method name too long: ${e.method}`);
      w.u8(m.length);
      w.bytes(m);
      w.f64(e.granularity!);
      w.f64(e.key!);
      if (e.kind === APPEND_SPLIT) {
        w.u32(e.keep!);
        w.u32(e.count!);
      }
    } else if (e.kind === MARKER) {
      const m = textEncoder.encode(e.marker!);
      if (m.length > 65535) throw new RangeError("incoming marker too long");
      w.u16(m.length);
      w.bytes(m);
    } else if (e.kind === REPLACES) {
      w.u32(e.replaces!.length);
      for (const r of e.replaces!) w.u32(r);
    }
    if (hasData(e.kind)) {
      const d = data[i]!;
      e.dataLen = d.length;
      e.dataCrc = crc32(d);
      w.u32(d.length);
      w.u32(e.dataCrc);
      e.dataOff = w.at;
      w.bytes(d);
    }
    e.entrySize = w.at - e.entryOff;
  });
  const len = w.at;
  w.view.setUint32(0, MAGIC, true);
  w.view.setUint32(4, len, true);
  w.view.setUint32(8, crc32(w.buf.subarray(12, len)), true);
  return { bytes: w.buf.subarray(0, len), frame: { off: 0, len, seq, metricId, entries } };
}

/** Length of a valid frame at `off`, or 0. */
function validFrameAt(buf: Uint8Array, view: DataView, off: number): number {
  if (off + FRAME_HEADER > buf.length) return 0;
  if (view.getUint32(off, true) !== MAGIC) return 0;
  const len = view.getUint32(off + 4, true);
  if (len < FRAME_HEADER || off + len > buf.length) return 0;
  return crc32(buf.subarray(off + 12, off + len)) === view.getUint32(off + 8, true) ? len : 0;
}

/** Decodes a frame already checked by `validFrameAt`; offsets become file offsets. */
export function decodeFrame(
  buf: Uint8Array,
  view: DataView,
  off: number,
  len: number,
): ParsedFrame {
  const seq = view.getFloat64(off + 12, true);
  const idBytes = buf.subarray(off + 20, off + 36);
  const metricId = idBytes.every((b) => b === 0) ? "" : bytesToUuid(buf, off + 20);
  const count = view.getUint32(off + 36, true);
  const entries: ParsedEntry[] = [];
  let at = off + FRAME_HEADER;
  const end = off + len;
  for (let i = 0; i < count; i++) {
    if (at >= end) throw new Error("entry past the frame end");
    const e: ParsedEntry = { kind: view.getUint8(at), entryOff: at, entrySize: 0 };
    at += 1;
    if (e.kind === PUT_SPLIT || e.kind === DEL_SPLIT || e.kind === APPEND_SPLIT) {
      const ml = view.getUint8(at);
      e.method = textDecoder.decode(buf.subarray(at + 1, at + 1 + ml));
      at += 1 + ml;
      e.granularity = view.getFloat64(at, true);
      e.key = view.getFloat64(at + 8, true);
      at += 16;
      if (e.kind === APPEND_SPLIT) {
        e.keep = view.getUint32(at, true);
        e.count = view.getUint32(at + 4, true);
        at += 8;
      }
    } else if (e.kind === MARKER) {
      const ml = view.getUint16(at, true);
      e.marker = textDecoder.decode(buf.subarray(at + 2, at + 2 + ml));
      at += 2 + ml;
    } else if (e.kind === REPLACES) {
      const n = view.getUint32(at, true);
      e.replaces = [];
      for (let k = 0; k < n; k++) e.replaces.push(view.getUint32(at + 4 + 4 * k, true));
      at += 4 + 4 * n;
    } else if (e.kind !== PUT_RAW && e.kind !== DEL_RAW && e.kind !== DEL_METRIC) {
      throw new Error(`unknown entry kind ${e.kind}`);
    }
    if (hasData(e.kind)) {
      e.dataLen = view.getUint32(at, true);
      e.dataCrc = view.getUint32(at + 4, true);
      e.dataOff = at + 8;
      at += 8 + e.dataLen;
    }
    if (at > end) throw new Error("entry past the frame end");
    e.entrySize = at - e.entryOff;
    entries.push(e);
  }
  return { off, len, seq, metricId, entries };
}

/**
 * Every valid frame of a segment image. Unreadable frames followed by a valid
 * one are reported via `onCorrupt`; an unreadable tail is reported via `onTorn`.
 */
export function parseSegment(
  buf: Uint8Array,
  onCorrupt: (off: number, skipped: number, detail: string) => void,
  onTorn: (off: number) => void,
): ParsedFrame[] {
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const frames: ParsedFrame[] = [];
  let off = 0;
  while (off < buf.length) {
    const len = validFrameAt(buf, view, off);
    let frame: ParsedFrame | undefined;
    if (len > 0) {
      try {
        frame = decodeFrame(buf, view, off, len);
      } catch {
        frame = undefined;
      }
    }
    if (frame === undefined) {
      let next = off + 1;
      while (next + FRAME_HEADER <= buf.length && validFrameAt(buf, view, next) === 0) next++;
      if (next + FRAME_HEADER > buf.length) {
        onTorn(off);
        break;
      }
      onCorrupt(off, next - off, "unreadable frame (bad magic, length, CRC or entries)");
      off = next;
      continue;
    }
    frames.push(frame);
    off += len;
  }
  return frames;
}

// Hints: the decoded frames of a sealed segment without data, as JSON behind a CRC line.
type HintEntry = (number | string | number[])[];

export function hintOf(frames: ParsedFrame[], size: number): string {
  const json = JSON.stringify({
    format: HINT_FORMAT,
    size,
    frames: frames.map((f) => [
      f.off,
      f.len,
      f.seq,
      f.metricId,
      f.entries.map((e): HintEntry => {
        const base: HintEntry = [e.kind, e.entryOff, e.entrySize];
        if (e.kind === PUT_SPLIT || e.kind === DEL_SPLIT || e.kind === APPEND_SPLIT)
          base.push(e.method!, e.granularity!, e.key!);
        if (e.kind === APPEND_SPLIT) base.push(e.keep!, e.count!);
        if (e.kind === MARKER) base.push(e.marker!);
        if (e.kind === REPLACES) base.push(e.replaces!);
        if (hasData(e.kind)) base.push(e.dataOff!, e.dataLen!, e.dataCrc!);
        return base;
      }),
    ]),
  });
  return `${crc32(json).toString(16)}\n${json}`;
}

export function parseHint(text: string, size: number): ParsedFrame[] | undefined {
  const nl = text.indexOf("\n");
  if (nl < 0) return undefined;
  const json = text.slice(nl + 1);
  if (crc32(json).toString(16) !== text.slice(0, nl)) return undefined;
  const hint = JSON.parse(json) as {
    format: string;
    size: number;
    frames: [number, number, number, string, HintEntry[]][];
  };
  if (hint.format !== HINT_FORMAT || hint.size !== size) return undefined;
  return hint.frames.map(([off, len, seq, metricId, entries]) => ({
    off,
    len,
    seq,
    metricId,
    entries: entries.map((h) => {
      const e: ParsedEntry = {
        kind: h[0] as number,
        entryOff: h[1] as number,
        entrySize: h[2] as number,
      };
      let i = 3;
      if (e.kind === PUT_SPLIT || e.kind === DEL_SPLIT || e.kind === APPEND_SPLIT) {
        e.method = h[i++] as string;
        e.granularity = h[i++] as number;
        e.key = h[i++] as number;
      }
      if (e.kind === APPEND_SPLIT) {
        e.keep = h[i++] as number;
        e.count = h[i++] as number;
      }
      if (e.kind === MARKER) e.marker = h[i++] as string;
      if (e.kind === REPLACES) e.replaces = h[i++] as number[];
      if (hasData(e.kind)) {
        e.dataOff = h[i++] as number;
        e.dataLen = h[i++] as number;
        e.dataCrc = h[i++] as number;
      }
      return e;
    }),
  }));
}
