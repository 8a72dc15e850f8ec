/**
 * Pieces shared by the storage drivers: metric UUIDs as bytes, sack mapping
 * (spec carbonara §10.2), crash-safe small-file writes, the fsync hook the
 * tests count, and corruption reporting.
 */
import { randomUUID } from "node:crypto";
import type { FileHandle } from "node:fs/promises";
import { mkdir, open, rename, rm } from "node:fs/promises";
import { endianness } from "node:os";
import { dirname } from "node:path";

/** Typed-array views over stored bytes assume a little-endian host (x86-64, arm64). */
export const LITTLE_ENDIAN_HOST = endianness() === "LE";

/** Default number of sacks (spec §10.2). */
export const DEFAULT_SACKS = 128;
export const MAX_SACKS = 65535;

const HEX = "0123456789abcdef";
const HEX_VALUE = new Int8Array(128).fill(-1);
for (let i = 0; i < 16; i++) {
  HEX_VALUE[HEX.charCodeAt(i)] = i;
  HEX_VALUE[HEX.toUpperCase().charCodeAt(i)] = i;
}

export class InvalidMetricIdError extends Error {
  constructor(id: string) {
    super(`not a UUID: ${JSON.stringify(id)}`);
    this.name = "InvalidMetricIdError";
  }
}

/** Writes the 16 bytes of a UUID (with or without dashes, any case) at `out[at..at+16)`. */
export function uuidToBytes(id: string, out: Uint8Array, at = 0): void {
  let j = 0;
  let hi = -1;
  for (let i = 0; i < id.length; i++) {
    const c = id.charCodeAt(i);
    if (c === 45 /* - */) continue;
    const v = c < 128 ? HEX_VALUE[c]! : -1;
    if (v < 0 || j >= 16) throw new InvalidMetricIdError(id);
    if (hi < 0) hi = v;
    else {
      out[at + j++] = (hi << 4) | v;
      hi = -1;
    }
  }
  if (j !== 16 || hi >= 0) throw new InvalidMetricIdError(id);
}

/** The canonical lowercase dashed form of the UUID stored at `bytes[at..at+16)`. */
export function bytesToUuid(bytes: Uint8Array, at = 0): string {
  let s = "";
  for (let i = 0; i < 16; i++) {
    const b = bytes[at + i]!;
    s += HEX[b >> 4]! + HEX[b & 15]!;
    if (i === 3 || i === 5 || i === 7 || i === 9) s += "-";
  }
  return s;
}

/** Whether `id` is already lowercase hex in the dashed 8-4-4-4-12 form bytesToUuid writes. */
export function isCanonicalUuid(id: string): boolean {
  if (id.length !== 36) return false;
  for (let i = 0; i < 36; i++) {
    const c = id.charCodeAt(i);
    if (i === 8 || i === 13 || i === 18 || i === 23) {
      if (c !== 45) return false;
    } else if (!((c >= 48 && c <= 57) || (c >= 97 && c <= 102))) return false;
  }
  return true;
}

/**
 * Canonical form of a metric id (lowercase, dashed); throws on anything but a
 * UUID. Ids are nearly always canonical already (the indexer's, the
 * caches'), and every storage call asks: those are given back unparsed.
 */
export function canonicalMetricId(id: string): string {
  if (isCanonicalUuid(id)) return id;
  const b = new Uint8Array(16);
  uuidToBytes(id, b);
  return bytesToUuid(b);
}

/**
 * Spec §10.2: the metric UUID read as a 128-bit unsigned integer, modulo the
 * sack count. Computed 16 bits at a time so it stays in exact integer range.
 */
export function sackOf(metricId: string, sacks: number): number {
  if (!(Number.isInteger(sacks) && sacks >= 1 && sacks <= MAX_SACKS)) {
    throw new RangeError(`sack count must be an integer in 1..${MAX_SACKS}, got ${sacks}`);
  }
  let r = 0;
  let digits = 0;
  for (let i = 0; i < metricId.length; i++) {
    const c = metricId.charCodeAt(i);
    if (c === 45) continue;
    const v = c < 128 ? HEX_VALUE[c]! : -1;
    if (v < 0) throw new InvalidMetricIdError(metricId);
    r = (r * 16 + v) % sacks;
    digits++;
  }
  if (digits !== 32) throw new InvalidMetricIdError(metricId);
  return r;
}

/** Same as `sackOf` on the 16 stored bytes of a UUID. */
export function sackOfBytes(bytes: Uint8Array, at: number, sacks: number): number {
  let r = 0;
  for (let i = 0; i < 16; i++) r = (r * 256 + bytes[at + i]!) % sacks;
  return r;
}

/** Forces a file's data (and the size needed to read it back) to stable storage. */
export type FsyncHook = (file: FileHandle) => Promise<void>;

export const defaultFsync: FsyncHook = (file) => file.datasync();

/** fsyncs a directory so a created, renamed or deleted entry in it is durable. */
export async function fsyncDir(path: string): Promise<void> {
  const fh = await open(path, "r");
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/**
 * Replaces `path` with `data` crash-safely: write a temp file, fsync it,
 * rename it over `path`, fsync the directory. After a crash either the old
 * or the new content is there, never a mix.
 */
export async function writeFileDurably(
  path: string,
  data: Uint8Array | string,
  fsync: FsyncHook = defaultFsync,
): Promise<void> {
  const tmp = `${path}.${randomUUID().slice(0, 8)}.tmp`;
  const fh = await open(tmp, "w");
  try {
    await fh.writeFile(data);
    await fsync(fh);
  } catch (error) {
    await fh.close();
    await rm(tmp, { force: true });
    throw error;
  }
  await fh.close();
  await rename(tmp, path);
  await fsyncDir(dirname(path));
}

export async function ensureDir(path: string): Promise<void> {
  await mkdir(path, { recursive: true });
}

/** What a driver found damaged: reported through `onCorruption` and counted, never returned as data. */
export interface CorruptionEvent {
  readonly store: "incoming" | "aggregates";
  readonly file: string;
  readonly offset: number;
  readonly detail: string;
  /** The metric concerned, when the damaged record could still be attributed. */
  readonly metricId?: string;
}

export type CorruptionListener = (event: CorruptionEvent) => void;

export function defaultCorruptionListener(event: CorruptionEvent): void {
  const who = event.metricId ? ` (metric ${event.metricId})` : "";
  console.error(
    `gnocchi-ts storage: corrupt ${event.store} data in ${event.file} at byte ${event.offset}${who}: ${event.detail}`,
  );
}

/** Thrown when a store's on-disk configuration conflicts with the requested one. */
export class StorageConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "StorageConfigError";
  }
}

/** Thrown by operations on a closed store. */
export class StoreClosedError extends Error {
  constructor(what: string) {
    super(`${what} is closed`);
    this.name = "StoreClosedError";
  }
}

/** Fixed-width lowercase hex of a non-negative safe integer (file names that sort numerically). */
export function hex16(n: number): string {
  return n.toString(16).padStart(16, "0");
}

/** The buffers still to write after a partial `writev` wrote `skip` bytes of them. */
export function unwrittenBuffers(buffers: readonly Uint8Array[], skip: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (const b of buffers) {
    if (skip >= b.length) {
      skip -= b.length;
      continue;
    }
    out.push(skip > 0 ? b.subarray(skip) : b);
    skip = 0;
  }
  return out;
}
