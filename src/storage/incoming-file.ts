/**
 * File driver of the incoming store: one write-ahead log shared by all sacks,
 * with group commit, under `<dataDir>/incoming/`.
 *
 * LAYOUT
 * ------
 *   incoming/state.json              {"format":"gnocchi-ts-incoming/1","storeId":uuid,"sacks":N,
 *                                     "upTo":[N positions],"metricUpTo":{uuid:position},"logEnd":p}
 *                                    replaced with temp file + fsync + rename + fsync(dir)
 *   incoming/wal/<start>.log         log segments; <start> = 16 hex digits, the log position of the
 *                                    segment's first byte (positions run on across segments)
 *
 * A segment is a sequence of frames, each 8-byte aligned. One frame holds
 * everything one `appendColumns` call stored (`append` builds the columns
 * from its batches), all-or-nothing after a crash; incoming-frame.ts
 * encodes it, one entry per run:
 *
 *   u32 magic 0x314e4947 ("GIN1")   u32 frame length in bytes (header included, multiple of 8)
 *   u32 CRC-32 (zlib) of bytes [12, length)                  u32 entry count
 *   entries, sorted by sack, each 8-byte aligned:
 *     16 B metric UUID   u32 n   u32 sack   n × f64 timestamps (µs)   n × f64 values   (little-endian)
 *
 * A batch's position is the log position just past its frame. A sack's share
 * of a frame (its consecutive entries) is a "part".
 *
 * GROUP COMMIT: appends queue frames; one writer writes everything queued with
 * one writev at the end of the active segment, fdatasyncs once, then resolves
 * every request it covered. While it waits on the disk, new requests queue for
 * the next round, so concurrent writers share fsyncs. A new segment's file is
 * created and its directory fsynced before any data in it is acknowledged.
 *
 * RECOVERY: at open every segment is scanned. A frame with a bad magic, size
 * or CRC is never returned: if a valid frame follows it (searched 8 bytes at a
 * time) it is reported as corruption and skipped; otherwise it is the torn tail
 * of a write that was never acknowledged and is ignored. Writing resumes in a
 * new segment, so nothing is ever appended after garbage and nothing is
 * truncated. Only acknowledged (fsynced) frames are ever handed to readers.
 *
 * CONSUMPTION: `release` records in memory that sack s is consumed up to
 * position p (`upTo[s]`), or, for reads restricted to some metrics (refresh)
 * and for `drop`, that metric m is consumed up to p (`metricUpTo[m]`). A
 * checkpoint (soon after a release, and at close) writes state.json durably,
 * then deletes the segments in which no part is pending any more. Losing the
 * latest releases in a crash only means re-reading batches the aggregates'
 * markers already cover (see incoming.ts: they are skipped, not re-applied).
 * The active segment is rolled once fully consumed, so an idle system keeps no
 * consumed data. Segment files only grow by appends and are deleted whole.
 */
import { randomUUID } from "node:crypto";
import type { FileHandle } from "node:fs/promises";
import { open, readdir, readFile, stat, unlink } from "node:fs/promises";
import { join } from "node:path";
import { crc32 } from "node:zlib";
import {
  bytesToUuid,
  type CorruptionEvent,
  type CorruptionListener,
  canonicalMetricId,
  DEFAULT_SACKS,
  defaultCorruptionListener,
  defaultFsync,
  ensureDir,
  type FsyncHook,
  fsyncDir,
  hex16,
  LITTLE_ENDIAN_HOST,
  MAX_SACKS,
  StorageConfigError,
  StoreClosedError,
  sackOf,
  unwrittenBuffers,
  writeFileDurably,
} from "./common.js";
import {
  type Backlog,
  columnsOf,
  type IncomingStore,
  type MeasureBatch,
  type MeasureColumns,
  makeMarker,
  type PendingMeasures,
  type ReadOptions,
  type ReleaseHandle,
  type SackRead,
} from "./incoming.js";
import {
  ENTRY_HEADER,
  type EncodedFrame,
  encodeFrame,
  FRAME_HEADER,
  FRAME_MAGIC,
} from "./incoming-frame.js";

const STATE_FORMAT = "gnocchi-ts-incoming/1";

export interface FileIncomingOptions {
  /** The data directory; the store lives in `<dataDir>/incoming`. */
  readonly dataDir: string;
  /**
   * Sack count. A new store uses it (default 128); an existing store keeps its
   * own unless this differs and nothing is pending, in which case it changes.
   */
  readonly sacks?: number;
  /** A segment is closed once it holds this many bytes (default 64 MiB). */
  readonly segmentBytes?: number;
  /** Pending data kept in memory so readers need not go back to disk (default 64 MiB). */
  readonly cacheBytes?: number;
  /** How long after a release the consumption state is written (default 200 ms). */
  readonly checkpointDelayMs?: number;
  /** A fully consumed active segment at least this large is closed and deleted (default 1 MiB). */
  readonly idleRollBytes?: number;
  /** Replaces `FileHandle.datasync` (tests count calls). */
  readonly fsync?: FsyncHook;
  readonly onCorruption?: CorruptionListener;
}

export interface FileIncomingStats {
  /** fsyncs of log data (group commits), not counting directory or state syncs. */
  fsyncs: number;
  /** Append calls acknowledged. */
  appends: number;
  /** Frames skipped as corrupt (a valid frame followed them). */
  corruptFrames: number;
  /** Torn tails ignored at open. */
  tornTails: number;
  /** State checkpoints written. */
  checkpoints: number;
  /** Segment files deleted after full consumption. */
  segmentsDeleted: number;
}

interface Segment {
  readonly start: number;
  readonly path: string;
  /** Bytes written (the active segment) or the file size (older segments). */
  size: number;
  fh: FileHandle | undefined;
  /** Parts of this segment not yet consumed. */
  pendingParts: number;
}

interface Part {
  readonly sack: number;
  readonly position: number;
  readonly segment: Segment;
  /** Offset of the part's first entry in the segment file. */
  readonly offset: number;
  readonly length: number;
  /** The part's bytes while cached (8-byte aligned), else read from disk. */
  bytes: Uint8Array | undefined;
}

interface Queued {
  readonly frame: EncodedFrame;
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
}

interface FileHandleInternals extends ReleaseHandle {
  readonly metrics: ReadonlySet<string> | undefined;
  readonly pending: readonly PendingMeasures[];
  /** Number of parts at the head of the sack's list this read covered. */
  readonly parts: number;
  released: boolean;
}

interface StateFile {
  format: string;
  storeId: string;
  sacks: number;
  upTo: number[];
  metricUpTo: Record<string, number>;
  logEnd: number;
}

function roundUp8(n: number): number {
  return Math.ceil(n / 8) * 8;
}

function f64At(bytes: Uint8Array, offset: number, n: number): Float64Array {
  const at = bytes.byteOffset + offset;
  if (LITTLE_ENDIAN_HOST && at % 8 === 0) return new Float64Array(bytes.buffer, at, n);
  const out = new Float64Array(n);
  const view = new DataView(bytes.buffer, at, n * 8);
  for (let i = 0; i < n; i++) out[i] = view.getFloat64(i * 8, true);
  return out;
}

/** Result of checking the frame at `offset`: its length if valid, else 0. */
function validFrameAt(buf: Uint8Array, view: DataView, offset: number): number {
  if (offset + FRAME_HEADER > buf.length) return 0;
  if (view.getUint32(offset, true) !== FRAME_MAGIC) return 0;
  const length = view.getUint32(offset + 4, true);
  if (length < FRAME_HEADER || length % 8 !== 0 || offset + length > buf.length) return 0;
  const crc = crc32(buf.subarray(offset + 12, offset + length));
  return crc === view.getUint32(offset + 8, true) ? length : 0;
}

export class FileIncomingStore implements IncomingStore {
  readonly stats: FileIncomingStats = {
    fsyncs: 0,
    appends: 0,
    corruptFrames: 0,
    tornTails: 0,
    checkpoints: 0,
    segmentsDeleted: 0,
  };

  private readonly dir: string;
  private readonly walDir: string;
  private readonly fsync: FsyncHook;
  private readonly onCorruption: CorruptionListener;
  private readonly segmentBytes: number;
  private readonly cacheBytes: number;
  private readonly checkpointDelayMs: number;
  private readonly idleRollBytes: number;

  private storeId = "";
  private sackCount = DEFAULT_SACKS;
  private upTo: number[] = [];
  private readonly metricUpTo = new Map<string, number>();
  /** Pending parts per sack, ascending position. */
  private parts: Part[][] = [];
  private readonly segments: Segment[] = [];
  private active: Segment | undefined;
  /** Every frame up to here is durable (and registered). */
  private durableEnd = 0;
  private cached = 0;
  /** Pending batches and measures per metric. */
  private readonly pending = new Map<string, { batches: number; measures: number }>();
  private sackBatches: Uint32Array = new Uint32Array(0);
  private readonly listeners = new Set<(sack: number) => void>();

  private queue: Queued[] = [];
  private flushing = false;
  private brokenSegment = false;
  private checkpointTimer: NodeJS.Timeout | undefined;
  private checkpointChain: Promise<void> = Promise.resolve();
  private closed = false;

  private constructor(options: FileIncomingOptions) {
    this.dir = join(options.dataDir, "incoming");
    this.walDir = join(this.dir, "wal");
    this.fsync = options.fsync ?? defaultFsync;
    this.onCorruption = options.onCorruption ?? defaultCorruptionListener;
    this.segmentBytes = options.segmentBytes ?? 64 * 1024 * 1024;
    this.cacheBytes = options.cacheBytes ?? 64 * 1024 * 1024;
    this.checkpointDelayMs = options.checkpointDelayMs ?? 200;
    this.idleRollBytes = options.idleRollBytes ?? 1024 * 1024;
  }

  static async open(options: FileIncomingOptions): Promise<FileIncomingStore> {
    const requested = options.sacks;
    if (
      requested !== undefined &&
      !(Number.isInteger(requested) && requested >= 1 && requested <= MAX_SACKS)
    ) {
      throw new RangeError(`sack count must be an integer in 1..${MAX_SACKS}, got ${requested}`);
    }
    const store = new FileIncomingStore(options);
    await store.load(requested);
    return store;
  }

  get sacks(): number {
    return this.sackCount;
  }

  /** The id written into markers; a recreated store gets a new one. */
  get id(): string {
    return this.storeId;
  }

  sackOf(metricId: string): number {
    return sackOf(metricId, this.sackCount);
  }

  // ---------------------------------------------------------------- open

  private async load(requested: number | undefined): Promise<void> {
    await ensureDir(this.walDir);
    const statePath = join(this.dir, "state.json");
    let state: StateFile | undefined;
    try {
      state = JSON.parse(await readFile(statePath, "utf8")) as StateFile;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
    }
    if (state !== undefined && state.format !== STATE_FORMAT) {
      throw new StorageConfigError(`${statePath}: unknown format ${String(state.format)}`);
    }
    const fresh = state === undefined;
    state ??= {
      format: STATE_FORMAT,
      storeId: randomUUID(),
      sacks: requested ?? DEFAULT_SACKS,
      upTo: new Array<number>(requested ?? DEFAULT_SACKS).fill(0),
      metricUpTo: {},
      logEnd: 0,
    };
    this.storeId = state.storeId;
    this.sackCount = state.sacks;
    this.upTo = state.upTo.slice();
    for (const [id, p] of Object.entries(state.metricUpTo)) this.metricUpTo.set(id, p);
    this.parts = Array.from({ length: this.sackCount }, () => []);
    this.sackBatches = new Uint32Array(this.sackCount);

    let end = Math.max(state.logEnd, ...this.upTo, ...this.metricUpTo.values());
    const names = (await readdir(this.walDir)).sort();
    for (const name of names) {
      if (name.endsWith(".tmp")) {
        await unlink(join(this.walDir, name));
        continue;
      }
      const m = /^([0-9a-f]{16})\.log$/.exec(name);
      if (!m) continue;
      const segment: Segment = {
        start: Number.parseInt(m[1]!, 16),
        path: join(this.walDir, name),
        size: 0,
        fh: undefined,
        pendingParts: 0,
      };
      await this.scanSegment(segment);
      this.segments.push(segment);
      end = Math.max(end, segment.start + roundUp8(segment.size));
    }
    this.durableEnd = end;

    if (requested !== undefined && requested !== this.sackCount) {
      let batches = 0;
      for (const c of this.pending.values()) batches += c.batches;
      if (batches > 0) {
        throw new StorageConfigError(
          `the incoming store has ${this.sackCount} sacks and ${batches} pending batches: ` +
            `process them before changing the sack count to ${requested}`,
        );
      }
      this.sackCount = requested;
      this.upTo = new Array<number>(requested).fill(end);
      this.metricUpTo.clear();
      this.parts = Array.from({ length: requested }, () => []);
      this.sackBatches = new Uint32Array(requested);
      for (const s of this.segments) s.pendingParts = 0;
      this.cached = 0;
      await this.writeState();
      await this.deleteConsumedSegments(new Set(this.segments));
    } else {
      const doomed = new Set(this.segments.filter((s) => s.pendingParts === 0));
      if (fresh || doomed.size > 0) await this.writeState();
      await this.deleteConsumedSegments(doomed);
    }
  }

  private async scanSegment(segment: Segment): Promise<void> {
    const buf = new Uint8Array(await readFile(segment.path));
    segment.size = buf.length;
    const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    let offset = 0;
    while (offset < buf.length) {
      const length = validFrameAt(buf, view, offset);
      if (length === 0) {
        let next = offset + 8;
        while (next + FRAME_HEADER <= buf.length && validFrameAt(buf, view, next) === 0) next += 8;
        if (next + FRAME_HEADER > buf.length) {
          this.stats.tornTails++;
          break;
        }
        this.reportCorruption({
          store: "incoming",
          file: segment.path,
          offset,
          detail: `unreadable frame (bad magic, length or CRC); ${next - offset} bytes skipped`,
        });
        this.stats.corruptFrames++;
        offset = next;
        continue;
      }
      this.indexFrame(segment, buf, view, offset, length, true);
      offset += length;
    }
  }

  /** Registers a durable frame's parts and backlog counts. */
  private indexFrame(
    segment: Segment,
    buf: Uint8Array,
    view: DataView,
    offset: number,
    length: number,
    fromDisk: boolean,
  ): void {
    const position = segment.start + offset + length;
    const count = view.getUint32(offset + 12, true);
    let at = offset + FRAME_HEADER;
    let partSack = -1;
    let partFrom = at;
    const closePart = (to: number) => {
      if (partSack < 0 || partSack >= this.sackCount) return;
      if (position <= this.upTo[partSack]!) return;
      this.addPart(segment, partSack, position, partFrom, to - partFrom, buf, partFrom, fromDisk);
    };
    for (let e = 0; e < count; e++) {
      const n = view.getUint32(at + 16, true);
      const sack = view.getUint32(at + 20, true);
      if (sack !== partSack) {
        closePart(at);
        partSack = sack;
        partFrom = at;
      }
      if (sack < this.sackCount && position > this.upTo[sack]!) {
        const id = bytesToUuid(buf, at);
        if (position > (this.metricUpTo.get(id) ?? -1)) this.countBatch(id, sack, n, 1);
      }
      at += ENTRY_HEADER + 16 * n;
    }
    closePart(at);
  }

  /** `buf[from..from+length)` holds the part's bytes (copied when `copy`, else kept as a view). */
  private addPart(
    segment: Segment,
    sack: number,
    position: number,
    fileOffset: number,
    length: number,
    buf: Uint8Array,
    from: number,
    copy: boolean,
  ): void {
    let bytes: Uint8Array | undefined;
    if (this.cached + length <= this.cacheBytes) {
      bytes = copy ? buf.slice(from, from + length) : buf.subarray(from, from + length);
      this.cached += length;
    }
    this.parts[sack]!.push({ sack, position, segment, offset: fileOffset, length, bytes });
    segment.pendingParts++;
  }

  private countBatch(id: string, sack: number, n: number, sign: 1 | -1): void {
    const c = this.pending.get(id);
    if (c === undefined) {
      if (sign > 0) this.pending.set(id, { batches: 1, measures: n });
    } else {
      c.batches += sign;
      c.measures += sign * n;
      if (c.batches <= 0) this.pending.delete(id);
    }
    this.sackBatches[sack] = Math.max(this.sackBatches[sack]! + sign, 0);
  }

  private reportCorruption(event: CorruptionEvent): void {
    try {
      this.onCorruption(event);
    } catch {
      // a failing listener must not break recovery
    }
  }

  // ---------------------------------------------------------------- append

  appendColumns(columns: MeasureColumns): Promise<void> {
    if (this.closed) return Promise.reject(new StoreClosedError("incoming store"));
    let encoded: EncodedFrame | undefined;
    try {
      encoded = encodeFrame(columns, this.sackCount);
    } catch (error) {
      return Promise.reject(error);
    }
    if (encoded === undefined) return Promise.resolve();
    const frame = encoded;
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ frame, resolve, reject });
      if (!this.flushing) void this.flushLoop();
    });
  }

  append(batches: readonly MeasureBatch[]): Promise<void> {
    try {
      return this.appendColumns(columnsOf(batches));
    } catch (error) {
      return Promise.reject(error);
    }
  }

  private async flushLoop(): Promise<void> {
    this.flushing = true;
    try {
      while (this.queue.length > 0) {
        const round = this.queue;
        this.queue = [];
        try {
          await this.writeRound(round);
        } catch (error) {
          for (const q of round) q.reject(error);
        }
      }
    } finally {
      this.flushing = false;
    }
  }

  private async writeRound(round: Queued[]): Promise<void> {
    let segment = this.active;
    if (segment === undefined || this.brokenSegment || segment.size >= this.segmentBytes) {
      segment = await this.newSegment();
    }
    const fh = segment.fh!;
    const base = segment.size;
    const frames = round.map((q) => q.frame.frame);
    let total = 0;
    for (const f of frames) total += f.length;
    try {
      let written = 0;
      while (written < total) {
        const rest = written === 0 ? frames : unwrittenBuffers(frames, written);
        const { bytesWritten } = await fh.writev(rest, base + written);
        if (bytesWritten <= 0) throw new Error("short write to the incoming log");
        written += bytesWritten;
      }
      segment.size = base + total;
      await this.fsync(fh);
      this.stats.fsyncs++;
    } catch (error) {
      // The file's tail is unknown now: never append after it, start a new segment.
      this.brokenSegment = true;
      segment.size = base + total;
      throw error;
    }
    const touched = new Set<number>();
    let offset = base;
    for (const q of round) {
      const { frame, parts, ids, entrySack, entryCount } = q.frame;
      const position = segment.start + offset + frame.length;
      for (let i = 0; i < parts.length; i += 3) {
        const sack = parts[i]!;
        const from = parts[i + 1]!;
        const length = parts[i + 2]!;
        this.addPart(segment, sack, position, offset + from, length, frame, from, false);
        touched.add(sack);
      }
      for (let e = 0; e < ids.length; e++) {
        this.countBatch(ids[e]!, entrySack[e]!, entryCount[e]!, 1);
      }
      offset += frame.length;
      this.durableEnd = position;
      this.stats.appends++;
    }
    for (const q of round) q.resolve();
    for (const sack of touched) {
      for (const listener of this.listeners) {
        try {
          listener(sack);
        } catch {
          // listeners must not break the writer
        }
      }
    }
  }

  private async newSegment(): Promise<Segment> {
    const previous = this.active;
    const start = Math.max(
      this.durableEnd,
      previous ? previous.start + roundUp8(previous.size) : 0,
    );
    const path = join(this.walDir, `${hex16(start)}.log`);
    const fh = await open(path, "wx+");
    await fsyncDir(this.walDir);
    const segment: Segment = { start, path, size: 0, fh, pendingParts: 0 };
    this.segments.push(segment);
    this.active = segment;
    this.brokenSegment = false;
    this.durableEnd = start;
    if (previous && previous.pendingParts === 0) this.scheduleCheckpoint(0);
    return segment;
  }

  // ---------------------------------------------------------------- read

  async sacksWithPending(): Promise<number[]> {
    const out: number[] = [];
    for (let s = 0; s < this.sackCount; s++) if (this.sackBatches[s]! > 0) out.push(s);
    return out;
  }

  async read(sack: number, options: ReadOptions = {}): Promise<SackRead> {
    if (this.closed) throw new StoreClosedError("incoming store");
    if (!(Number.isInteger(sack) && sack >= 0 && sack < this.sackCount)) {
      throw new RangeError(`no sack ${sack} (the store has ${this.sackCount})`);
    }
    const only =
      options.metrics === undefined
        ? undefined
        : new Set([...options.metrics].map((m) => canonicalMetricId(m)));
    const maxBytes = options.maxBytes ?? Number.POSITIVE_INFINITY;
    const list = this.parts[sack]!;
    let count = 0;
    let bytes = 0;
    while (count < list.length && (count === 0 || bytes + list[count]!.length <= maxBytes)) {
      bytes += list[count]!.length;
      count++;
    }
    const taken = list.slice(0, count);
    const end = count > 0 ? taken[count - 1]!.position : Math.max(this.upTo[sack]!, 0);

    interface Chunk {
      bytes: Uint8Array;
      at: number;
      n: number;
      position: number;
    }
    const byMetric = new Map<string, Chunk[]>();
    for (const part of taken) {
      const data = part.bytes ?? (await this.readPart(part));
      const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
      let at = 0;
      while (at < data.length) {
        const n = view.getUint32(at + 16, true);
        const id = bytesToUuid(data, at);
        if (
          (only === undefined || only.has(id)) &&
          part.position > (this.metricUpTo.get(id) ?? -1)
        ) {
          let chunks = byMetric.get(id);
          if (chunks === undefined) {
            chunks = [];
            byMetric.set(id, chunks);
          }
          chunks.push({ bytes: data, at, n, position: part.position });
        }
        at += ENTRY_HEADER + 16 * n;
      }
    }
    const marker = makeMarker(this.storeId, end);
    const metrics: PendingMeasures[] = [];
    // One allocation for every metric's columns (typed arrays are costly to
    // allocate one by one; the views live only while the sack is processed).
    let points = 0;
    let batches = 0;
    for (const chunks of byMetric.values()) {
      for (const c of chunks) points += c.n;
      batches += chunks.length;
    }
    const columns = new Float64Array(2 * points + batches);
    const ends = new Uint32Array(batches);
    let free = 0;
    let freeEnd = 0;
    for (const [metricId, chunks] of byMetric) {
      let total = 0;
      for (const c of chunks) total += c.n;
      const timestamps = columns.subarray(free, free + total);
      const values = columns.subarray(free + total, free + 2 * total);
      const batchPositions = columns.subarray(free + 2 * total, free + 2 * total + chunks.length);
      const batchEnds = ends.subarray(freeEnd, freeEnd + chunks.length);
      free += 2 * total + chunks.length;
      freeEnd += chunks.length;
      let k = 0;
      chunks.forEach((c, i) => {
        timestamps.set(f64At(c.bytes, c.at + ENTRY_HEADER, c.n), k);
        values.set(f64At(c.bytes, c.at + ENTRY_HEADER + 8 * c.n, c.n), k);
        k += c.n;
        batchPositions[i] = c.position;
        batchEnds[i] = k;
      });
      metrics.push({
        metricId,
        timestamps,
        values,
        batches: chunks.length,
        batchPositions,
        batchEnds,
        marker,
      });
    }
    const handle: FileHandleInternals = {
      sack,
      end,
      metrics: only,
      pending: metrics,
      parts: count,
      released: false,
    };
    return { sack, metrics, handle };
  }

  private async readPart(part: Part): Promise<Uint8Array> {
    const segment = part.segment;
    segment.fh ??= await open(segment.path, "r");
    const out = new Uint8Array(part.length);
    let done = 0;
    while (done < part.length) {
      const { bytesRead } = await segment.fh.read(
        out,
        done,
        part.length - done,
        part.offset + done,
      );
      if (bytesRead <= 0) throw new Error(`${segment.path}: unexpected end of file`);
      done += bytesRead;
    }
    return out;
  }

  async release(handle: ReleaseHandle): Promise<void> {
    const h = handle as FileHandleInternals;
    if (h.released || h.pending === undefined) return;
    h.released = true;
    const sack = h.sack;
    for (const p of h.pending) {
      const consumed = this.metricUpTo.get(p.metricId) ?? -1;
      for (let b = 0; b < p.batches; b++) {
        const position = p.batchPositions[b]!;
        if (position <= consumed) continue;
        const n = p.batchEnds[b]! - (b === 0 ? 0 : p.batchEnds[b - 1]!);
        this.countBatch(p.metricId, sack, n, -1);
      }
    }
    if (h.metrics !== undefined) {
      for (const id of h.metrics) {
        if (h.end > (this.metricUpTo.get(id) ?? -1)) this.metricUpTo.set(id, h.end);
      }
    } else {
      const list = this.parts[sack]!;
      let k = 0;
      while (k < list.length && list[k]!.position <= h.end) {
        const part = list[k]!;
        part.segment.pendingParts--;
        if (part.bytes) this.cached -= part.length;
        part.bytes = undefined;
        k++;
      }
      list.splice(0, k);
      if (h.end > this.upTo[sack]!) this.upTo[sack] = h.end;
    }
    this.scheduleCheckpoint(this.checkpointDelayMs);
  }

  async drop(metricIds: readonly string[]): Promise<void> {
    if (this.closed) throw new StoreClosedError("incoming store");
    for (const raw of metricIds) {
      const id = canonicalMetricId(raw);
      const sack = sackOf(id, this.sackCount);
      const batches = this.pending.get(id)?.batches ?? 0;
      this.pending.delete(id);
      this.sackBatches[sack] = Math.max(0, this.sackBatches[sack]! - batches);
      if (this.durableEnd > (this.metricUpTo.get(id) ?? -1)) {
        this.metricUpTo.set(id, this.durableEnd);
      }
    }
    await this.checkpoint();
  }

  async backlog(metricIds?: readonly string[]): Promise<Backlog> {
    const perMetric = new Map<string, number>();
    let batches = 0;
    let measures = 0;
    const ids = metricIds ? metricIds.map((m) => canonicalMetricId(m)) : this.pending.keys();
    for (const id of ids) {
      const c = this.pending.get(id);
      if (c === undefined || perMetric.has(id)) continue;
      perMetric.set(id, c.batches);
      batches += c.batches;
      measures += c.measures;
    }
    return { metrics: perMetric.size, batches, measures, perMetric };
  }

  subscribe(listener: (sack: number) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  // ---------------------------------------------------------------- checkpoints

  private scheduleCheckpoint(delayMs: number): void {
    if (this.checkpointTimer !== undefined || this.closed) return;
    this.checkpointTimer = setTimeout(() => {
      this.checkpointTimer = undefined;
      this.checkpoint().catch((error: unknown) => {
        console.error("gnocchi-ts incoming: checkpoint failed:", error);
      });
    }, delayMs);
    this.checkpointTimer.unref();
  }

  /** Writes the consumption state durably, then deletes fully consumed segments. */
  checkpoint(): Promise<void> {
    const run = async () => {
      // Roll an idle, fully consumed active segment so its space can go too.
      const active = this.active;
      if (
        active &&
        !this.flushing &&
        this.queue.length === 0 &&
        active.pendingParts === 0 &&
        active.size >= Math.min(this.idleRollBytes, this.segmentBytes)
      ) {
        this.active = undefined;
        this.durableEnd = Math.max(this.durableEnd, active.start + roundUp8(active.size));
      }
      const doomed = new Set(
        this.segments.filter((s) => s !== this.active && s.pendingParts === 0),
      );
      for (const [id, p] of this.metricUpTo) {
        if (p <= this.upTo[sackOf(id, this.sackCount)]!) this.metricUpTo.delete(id);
      }
      await this.writeState();
      await this.deleteConsumedSegments(doomed);
    };
    const next = this.checkpointChain.then(run, run);
    this.checkpointChain = next.catch(() => {});
    return next;
  }

  private async writeState(): Promise<void> {
    const state: StateFile = {
      format: STATE_FORMAT,
      storeId: this.storeId,
      sacks: this.sackCount,
      upTo: this.upTo,
      metricUpTo: Object.fromEntries(this.metricUpTo),
      logEnd: this.durableEnd,
    };
    await writeFileDurably(join(this.dir, "state.json"), JSON.stringify(state), this.fsync);
    this.stats.checkpoints++;
  }

  private async deleteConsumedSegments(doomed: Set<Segment>): Promise<void> {
    if (doomed.size === 0) return;
    for (const segment of doomed) {
      if (segment.pendingParts !== 0 || segment === this.active) continue;
      const i = this.segments.indexOf(segment);
      if (i >= 0) this.segments.splice(i, 1);
      const fh = segment.fh;
      segment.fh = undefined;
      await fh?.close();
      await unlink(segment.path).catch((error: NodeJS.ErrnoException) => {
        if (error.code !== "ENOENT") throw error;
      });
      this.stats.segmentsDeleted++;
    }
  }

  /** Bytes of log currently on disk (apparent size), for tests and status. */
  async diskBytes(): Promise<number> {
    let total = 0;
    for (const s of this.segments) total += (await stat(s.path)).size;
    return total;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    while (this.flushing || this.queue.length > 0) {
      await new Promise((r) => setTimeout(r, 1));
    }
    if (this.checkpointTimer !== undefined) {
      clearTimeout(this.checkpointTimer);
      this.checkpointTimer = undefined;
    }
    await this.checkpoint();
    this.closed = true;
    for (const s of this.segments) {
      const fh = s.fh;
      s.fh = undefined;
      await fh?.close();
    }
  }
}
