/**
 * Encoder of the incoming log's frame (layout in incoming-file.ts): one
 * append call's runs, grouped by sack, in one buffer.
 *
 * This is the per-sample hot path of every ingest adapter (a remote-write
 * request is 2,000 one-sample runs), so it allocates per call, never per
 * run: UUIDs are parsed into one scratch buffer, runs are ordered by sack
 * with a counting sort (stable: a sack's runs keep the caller's order), and
 * samples are copied as 32-bit words so that every double, a signalling NaN
 * such as Prometheus' staleness marker included, is stored bit for bit.
 */
import { crc32 } from "node:zlib";
import {
  bytesToUuid,
  isCanonicalUuid,
  LITTLE_ENDIAN_HOST,
  sackOfBytes,
  uuidToBytes,
} from "./common.js";
import type { MeasureColumns } from "./incoming.js";

export const FRAME_MAGIC = 0x314e4947;
export const FRAME_HEADER = 16;
export const ENTRY_HEADER = 24;
export const MAX_FRAME = 0x7fff_fff8;

/** One encoded append: its frame and what the store indexes once it is durable. */
export interface EncodedFrame {
  readonly frame: Uint8Array;
  /** [sack, offset in frame, length] per sack the frame touches, ascending sack. */
  readonly parts: number[];
  /** Canonical metric id of each entry, in frame order. */
  readonly ids: string[];
  /** Sack and sample count of each entry, in frame order. */
  readonly entrySack: Uint32Array;
  readonly entryCount: Uint32Array;
}

/** The sack of the UUID at `bytes[at..at+16)`: its low 16 bits suffice for a power-of-two count. */
function sackAt(bytes: Uint8Array, at: number, sacks: number): number {
  if ((sacks & (sacks - 1)) === 0 && sacks <= 0x10000) {
    return ((bytes[at + 14]! << 8) | bytes[at + 15]!) & (sacks - 1);
  }
  return sackOfBytes(bytes, at, sacks);
}

/**
 * Encodes `columns` for a store of `sacks` sacks, or undefined when no run
 * has samples.
 * @throws RangeError (runEnds not ascending or past the samples, frame too
 *   large), InvalidMetricIdError (an id that is not a UUID)
 */
export function encodeFrame(columns: MeasureColumns, sacks: number): EncodedFrame | undefined {
  const { metricIds, runEnds, timestamps, values } = columns;
  const runs = metricIds.length;
  if (runEnds.length < runs) throw new RangeError("fewer runEnds than metricIds");
  const samples = Math.min(timestamps.length, values.length);

  // Pass 1: parse ids, sack of each run, entries per sack, frame size.
  const given = columns.metricUuids;
  if (given !== undefined && given.length < 16 * runs) {
    throw new RangeError("fewer metricUuids than metricIds");
  }
  // Read below as 32-bit words: an unaligned view is copied first.
  const uuids =
    given === undefined
      ? new Uint8Array(16 * runs)
      : given.byteOffset % 4 === 0
        ? given
        : given.slice(0, 16 * runs);
  const runSack = new Int32Array(runs);
  const perSack = new Int32Array(sacks + 1);
  let size = FRAME_HEADER;
  let entries = 0;
  let from = 0;
  for (let r = 0; r < runs; r++) {
    const end = runEnds[r]!;
    if (end < from || end > samples) {
      throw new RangeError(`run ${r} ends at ${end}: runEnds must ascend within the samples`);
    }
    const n = end - from;
    from = end;
    if (n === 0) {
      runSack[r] = -1;
      continue;
    }
    if (given === undefined) uuidToBytes(metricIds[r]!, uuids, 16 * r);
    const sack = sackAt(uuids, 16 * r, sacks);
    runSack[r] = sack;
    perSack[sack + 1]!++;
    entries++;
    size += ENTRY_HEADER + 16 * n;
  }
  if (entries === 0) return undefined;
  if (size > MAX_FRAME) throw new RangeError("append too large for one frame");

  // Pass 2: stable counting sort of the runs by sack.
  for (let s = 0; s < sacks; s++) perSack[s + 1]! += perSack[s]!;
  const order = new Int32Array(entries);
  for (let r = 0; r < runs; r++) {
    const sack = runSack[r]!;
    if (sack >= 0) order[perSack[sack]!++] = r;
  }

  // Pass 3: the frame.
  const frame = new Uint8Array(size);
  const view = new DataView(frame.buffer);
  view.setUint32(0, FRAME_MAGIC, true);
  view.setUint32(4, size, true);
  view.setUint32(12, entries, true);
  const ids = new Array<string>(entries);
  const entrySack = new Uint32Array(entries);
  const entryCount = new Uint32Array(entries);
  const parts: number[] = [];
  const words = new Uint32Array(frame.buffer);
  const uuidWords = new Uint32Array(uuids.buffer, uuids.byteOffset, 4 * runs);
  const tsWords = new Uint32Array(timestamps.buffer, timestamps.byteOffset, 2 * timestamps.length);
  const valueWords = new Uint32Array(values.buffer, values.byteOffset, 2 * values.length);
  let at = FRAME_HEADER;
  let partSack = -1;
  let partFrom = at;
  for (let e = 0; e < entries; e++) {
    const r = order[e]!;
    const sack = runSack[r]!;
    if (sack !== partSack) {
      if (partSack >= 0) parts.push(partSack, partFrom, at - partFrom);
      partSack = sack;
      partFrom = at;
    }
    const first = r === 0 ? 0 : runEnds[r - 1]!;
    const n = runEnds[r]! - first;
    const id = metricIds[r]!;
    ids[e] = given !== undefined || isCanonicalUuid(id) ? id : bytesToUuid(uuids, 16 * r);
    entrySack[e] = sack;
    entryCount[e] = n;
    if (LITTLE_ENDIAN_HOST) {
      const w = at >>> 2;
      const u = 4 * r;
      words[w] = uuidWords[u]!;
      words[w + 1] = uuidWords[u + 1]!;
      words[w + 2] = uuidWords[u + 2]!;
      words[w + 3] = uuidWords[u + 3]!;
      words[w + 4] = n;
      words[w + 5] = sack;
      copyWords(tsWords, 2 * first, words, w + 6, 2 * n);
      copyWords(valueWords, 2 * first, words, w + 6 + 2 * n, 2 * n);
    } else {
      frame.set(uuids.subarray(16 * r, 16 * r + 16), at);
      view.setUint32(at + 16, n, true);
      view.setUint32(at + 20, sack, true);
      for (let k = 0; k < n; k++) {
        view.setFloat64(at + ENTRY_HEADER + 8 * k, timestamps[first + k]!, true);
        view.setFloat64(at + ENTRY_HEADER + 8 * (n + k), values[first + k]!, true);
      }
    }
    at += ENTRY_HEADER + 16 * n;
  }
  parts.push(partSack, partFrom, at - partFrom);
  view.setUint32(8, crc32(frame.subarray(12)), true);
  return { frame, parts, ids, entrySack, entryCount };
}

/** `to[at, at + n) = from[start, start + n)`: a loop for the usual few words, a memmove beyond. */
function copyWords(from: Uint32Array, start: number, to: Uint32Array, at: number, n: number): void {
  if (n <= 16) {
    for (let k = 0; k < n; k++) to[at + k] = from[start + k]!;
  } else {
    to.set(from.subarray(start, start + n), at);
  }
}
