/**
 * File driver of the aggregate store: a log-structured store (Bitcask-like)
 * per partition under `<dataDir>/aggregates/`, so that thousands of small
 * splits share file-system blocks instead of spending one each.
 *
 * LAYOUT
 * ------
 *   aggregates/config.json        {"format":"gnocchi-ts-aggregates/1","partitions":P}
 *   aggregates/p<hhhh>/           one directory per partition (hex), partition = metric UUID
 *                                 as a 128-bit integer mod P (same rule as sacks, so with
 *                                 P = sack count one sack's processing writes one partition)
 *   aggregates/p<hhhh>/<n>.seg    append-only segment files, <n> = 8 hex digits, increasing
 *   aggregates/p<hhhh>/<n>.hint   index of a sealed segment (no data), CRC-protected JSON
 *
 * A segment is a sequence of frames, one per metric commit; the frame format
 * is described and implemented in aggregate-frame.ts.
 *
 * APPEND_SPLIT (issue 4) stores a split of format v2 (split-codec.ts) as a chain of
 * records instead of whole: the split's chunk stream (the bytes between its point count
 * and its CRC) becomes the first `keep` bytes of the stream so far followed by the
 * record's data, and the split holds `point count` points. `keep` = 0 starts a chain
 * (whatever was stored before). metricd appends, per cycle, the chunk it sealed and its
 * re-encoded open tail (split-tail.ts) instead of rewriting the whole newest split; it
 * starts a new chain with the whole stream once a chain has MAX_SPLIT_CHAIN records. The index
 * keeps, per split, the pieces of the chain still in use (record location and how many
 * of its data bytes the stream uses); a read fetches them, checks each record's CRC,
 * and rebuilds the v2 bytes (tag, count, pieces, split CRC). Bytes a later `keep` cut
 * off are garbage: compaction copies an APPEND_SPLIT with only the bytes still used.
 * Because a chain depends on the order of its records, loading replays each
 * partition's frames in seq order (compaction outputs hold older seqs than the
 * segments after them); a `keep` beyond the bytes replayed so far (a record that
 * depended on one compaction dropped as dead) leaves a gap that a later `keep`
 * must cut off: a split whose chain still has a gap is reported corrupt on read.
 *
 * ATOMICITY: a commit is one frame, written with group commit (concurrent
 * commits of a partition share one write + fdatasync; each resolves after the
 * fsync covering it) and checked by its CRC when a segment is scanned: a torn
 * frame is ignored whole, so after a crash a commit is all there or absent.
 *
 * INDEX: in memory, (metric, method, granularity, key) → (segment, offset,
 * length, data CRC, seq), rebuilt at open from the hint files of sealed
 * segments and by scanning segments without a valid hint (the one that was
 * active when the process stopped). The newest seq wins, whatever the segment
 * order; tombstones (DEL_*) hide older records. Reads go through the index and
 * pread exactly the data bytes, then check the data CRC: a mismatch is
 * reported and answered as "absent", never returned. Frames that fail their
 * CRC in the middle of a segment are reported and skipped (the scan resyncs
 * on the next valid frame); a bad tail is a torn, unacknowledged write.
 *
 * SEGMENTS: writes go to the partition's active segment; at `segmentBytes` it
 * is sealed (never written again), its hint written, and a new one started.
 * Every open starts a fresh active segment, so nothing is appended after a
 * torn tail.
 *
 * COMPACTION: per segment the store tracks live bytes (records the index
 * points to, plus tombstones). When the partition's garbage passes
 * `garbageRatio` of its bytes, sealed segments with the most garbage are
 * rewritten into one new segment: live records are copied frame by frame with
 * their original seq (so the newest-seq rule still resolves them), tombstones
 * are dropped when no segment left out of the merge holds anything older.
 * Crash safety: the output is written as `<n>.seg.compact`, starts with a
 * REPLACES frame naming the segments it supersedes, is fsynced, gets its hint,
 * and only then is renamed to `<n>.seg` (+ directory fsync); the old segments
 * are deleted after that. At open, a segment named in a present REPLACES frame
 * is deleted before anything is loaded, so a crash half-way through deleting
 * cannot resurrect records whose tombstones were dropped. Leftover
 * `.compact`/`.tmp` files are removed at open. Commits continue during
 * compaction; the index is switched to the copies only for records it still
 * points to in the old segments.
 */
import type { FileHandle } from "node:fs/promises";
import { mkdir, open, readdir, readFile, rename, stat, unlink } from "node:fs/promises";
import { join } from "node:path";
import { crc32 } from "node:zlib";
import { assembleSplit } from "../carbonara/split-codec.js";
import type { Micros } from "../carbonara/time.js";
import {
  APPEND_SPLIT,
  DEL_METRIC,
  DEL_RAW,
  DEL_SPLIT,
  encodeFrame,
  hintOf,
  MARKER,
  type ParsedEntry,
  type ParsedFrame,
  PUT_RAW,
  PUT_SPLIT,
  parseHint,
  parseSegment,
  REPLACES,
} from "./aggregate-frame.js";
import type {
  AggregateStore,
  AggregationId,
  MetricCommit,
  SplitAppend,
  SplitId,
  SplitPut,
} from "./aggregate-store.js";
import {
  type CorruptionEvent,
  type CorruptionListener,
  canonicalMetricId,
  DEFAULT_SACKS,
  defaultCorruptionListener,
  defaultFsync,
  ensureDir,
  type FsyncHook,
  fsyncDir,
  MAX_SACKS,
  StorageConfigError,
  StoreClosedError,
  sackOf,
  unwrittenBuffers,
  writeFileDurably,
} from "./common.js";
import type { IncomingMarker } from "./incoming.js";

export interface FileAggregateOptions {
  /** The data directory; the store lives in `<dataDir>/aggregates`. */
  readonly dataDir: string;
  /** Partition count of a new store (default 128); an existing store keeps its own. */
  readonly partitions?: number;
  /** Seal a segment once it holds this many bytes (default 32 MiB). */
  readonly segmentBytes?: number;
  /** Compact a partition when garbage exceeds this share of its bytes (default 0.2). */
  readonly garbageRatio?: number;
  /** Do not bother compacting partitions holding less garbage than this (default 1 MiB). */
  readonly minCompactBytes?: number;
  /** Replaces `FileHandle.datasync` (tests count calls). */
  readonly fsync?: FsyncHook;
  readonly onCorruption?: CorruptionListener;
}

export interface FileAggregateStats {
  /** fsyncs of segment data by commits (group commits). */
  fsyncs: number;
  commits: number;
  compactions: number;
  segmentsDeleted: number;
  /** Frames skipped at open because their CRC failed with valid frames after them. */
  corruptFrames: number;
  /** Reads whose data CRC failed. */
  corruptReads: number;
  tornTails: number;
  /** Segments loaded from their hint / by scanning. */
  hintsLoaded: number;
  segmentsScanned: number;
}

const CONFIG_FORMAT = "gnocchi-ts-aggregates/1";

interface Segment {
  readonly no: number;
  readonly path: string;
  readonly partition: Partition;
  size: number;
  live: number;
  minSeq: number;
  sealed: boolean;
  /** Write handle of the active segment. */
  writer: FileHandle | undefined;
  reader: FileHandle | undefined;
  readerOpening: Promise<FileHandle> | undefined;
  readers: number;
  retired: boolean;
}

/** Where some data bytes are: read, then checked against `crc`. */
interface DataLoc {
  readonly seg: Segment;
  readonly off: number;
  readonly len: number;
  readonly crc: number;
}

interface Loc {
  readonly seg: Segment;
  /** File offset of the data (PUT) or of the entry (others). */
  readonly off: number;
  readonly len: number;
  readonly crc: number;
  readonly seq: number;
  /** Bytes the entry occupies, for live accounting. */
  readonly size: number;
  /** Load-time tombstone (purged once the load is done). */
  readonly tomb: boolean;
}

interface MarkerLoc extends Loc {
  readonly value: string;
}

/** One APPEND_SPLIT record of a chain: the first `used` bytes of its data are in the stream. */
interface Piece {
  /** Undefined: a gap (bytes a record depended on that are gone). */
  readonly seg: Segment | undefined;
  /** File offset of the data. */
  readonly off: number;
  readonly len: number;
  readonly crc: number;
  used: number;
  /** Bytes of the whole entry, for live accounting (live = size − (len − used)). */
  readonly size: number;
}

/** A split stored as a chain of APPEND_SPLIT records. */
interface Chain {
  readonly pieces: Piece[];
  /** Point count, from the newest record. */
  count: number;
  /** Seq of the newest record. */
  seq: number;
  /** Sum of the pieces' `used`. */
  streamBytes: number;
  readonly tomb: false;
}

type SplitLoc = Loc | Chain;

function isChain(loc: SplitLoc): loc is Chain {
  return (loc as Chain).pieces !== undefined;
}

function unaccountPiece(piece: Piece): void {
  if (piece.seg) piece.seg.live -= piece.size - (piece.len - piece.used);
}

/**
 * Where each split of one aggregation lives, by key, with the keys in order
 * kept until the key set changes: every read lists them, and sorting them
 * each time was a few µs per series of a query.
 */
class SplitIndex extends Map<Micros, SplitLoc> {
  #sorted: readonly Micros[] | undefined;

  override set(key: Micros, loc: SplitLoc): this {
    if (!this.has(key)) this.#sorted = undefined;
    return super.set(key, loc);
  }

  override delete(key: Micros): boolean {
    const had = super.delete(key);
    if (had) this.#sorted = undefined;
    return had;
  }

  sortedKeys(): readonly Micros[] {
    this.#sorted ??= [...this.keys()].sort((a, b) => a - b);
    return this.#sorted;
  }
}

interface AggIndex {
  readonly method: string;
  readonly granularity: Micros;
  readonly splits: SplitIndex;
}

interface MetricIndex {
  raw: Loc | undefined;
  marker: MarkerLoc | undefined;
  readonly aggs: Map<string, AggIndex>;
}

interface QueuedCommit {
  readonly bytes: Uint8Array;
  readonly frame: ParsedFrame;
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
}

interface Partition {
  readonly no: number;
  readonly dir: string;
  readonly segments: Map<number, Segment>;
  active: Segment | undefined;
  nextSegNo: number;
  nextSeq: number;
  queue: QueuedCommit[];
  flushing: boolean;
  compacting: Promise<unknown> | undefined;
  dirReady: boolean;
}

const aggKey = (method: string, granularity: number) => `${method}\u0000${granularity}`;
function segName(no: number): string {
  return no.toString(16).padStart(8, "0");
}

// ------------------------------------------------------------------ the store

export class FileAggregateStore implements AggregateStore {
  readonly stats: FileAggregateStats = {
    fsyncs: 0,
    commits: 0,
    compactions: 0,
    segmentsDeleted: 0,
    corruptFrames: 0,
    corruptReads: 0,
    tornTails: 0,
    hintsLoaded: 0,
    segmentsScanned: 0,
  };

  private readonly dir: string;
  private readonly fsync: FsyncHook;
  private readonly onCorruption: CorruptionListener;
  private readonly segmentBytes: number;
  private readonly garbageRatio: number;
  private readonly minCompactBytes: number;
  private partitionCount = DEFAULT_SACKS;
  private partitions: Partition[] = [];
  private readonly index = new Map<string, MetricIndex>();
  /** Load-time only: seq of the newest DEL_METRIC seen per metric. */
  private killed: Map<string, number> | undefined = new Map();
  private readonly background = new Set<Promise<unknown>>();
  private closed = false;
  /** Set by tests to stop a compaction between its steps (crash simulation). */
  compactionHook: ((step: "written" | "renamed") => Promise<void>) | undefined;

  private constructor(options: FileAggregateOptions) {
    this.dir = join(options.dataDir, "aggregates");
    this.fsync = options.fsync ?? defaultFsync;
    this.onCorruption = options.onCorruption ?? defaultCorruptionListener;
    this.segmentBytes = options.segmentBytes ?? 32 * 1024 * 1024;
    this.garbageRatio = options.garbageRatio ?? 0.2;
    this.minCompactBytes = options.minCompactBytes ?? 1024 * 1024;
  }

  static async open(options: FileAggregateOptions): Promise<FileAggregateStore> {
    const store = new FileAggregateStore(options);
    await store.load(options.partitions);
    return store;
  }

  get partitionsCount(): number {
    return this.partitionCount;
  }

  partitionOf(metricId: string): number {
    return sackOf(metricId, this.partitionCount);
  }

  // ---------------------------------------------------------------- open

  private async load(requested: number | undefined): Promise<void> {
    if (
      requested !== undefined &&
      !(Number.isInteger(requested) && requested >= 1 && requested <= MAX_SACKS)
    ) {
      throw new RangeError(`partition count must be an integer in 1..${MAX_SACKS}`);
    }
    await ensureDir(this.dir);
    const configPath = join(this.dir, "config.json");
    let config: { format: string; partitions: number } | undefined;
    try {
      config = JSON.parse(await readFile(configPath, "utf8")) as typeof config;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
    }
    if (config === undefined) {
      config = { format: CONFIG_FORMAT, partitions: requested ?? DEFAULT_SACKS };
      await writeFileDurably(configPath, JSON.stringify(config), this.fsync);
    } else if (config.format !== CONFIG_FORMAT) {
      throw new StorageConfigError(`${configPath}: unknown format ${String(config.format)}`);
    }
    this.partitionCount = config.partitions;
    this.partitions = Array.from({ length: this.partitionCount }, (_, no) => ({
      no,
      dir: join(this.dir, `p${no.toString(16).padStart(4, "0")}`),
      segments: new Map<number, Segment>(),
      active: undefined,
      nextSegNo: 1,
      nextSeq: 1,
      queue: [],
      flushing: false,
      compacting: undefined,
      dirReady: false,
    }));
    const pending: Promise<void>[] = [];
    for (const p of this.partitions) pending.push(this.loadPartition(p));
    await Promise.all(pending);
    // Purge load-time tombstones.
    for (const [id, m] of this.index) {
      if (m.raw?.tomb) m.raw = undefined;
      for (const [k, agg] of m.aggs) {
        for (const [key, loc] of agg.splits) if (loc.tomb) agg.splits.delete(key);
        if (agg.splits.size === 0) m.aggs.delete(k);
      }
      if (m.raw === undefined && m.marker === undefined && m.aggs.size === 0) this.index.delete(id);
    }
    this.killed = undefined;
  }

  private async loadPartition(p: Partition): Promise<void> {
    let names: string[];
    try {
      names = await readdir(p.dir);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return;
      throw error;
    }
    p.dirReady = true;
    const segNos: number[] = [];
    const hints = new Set<number>();
    for (const name of names) {
      if (name.endsWith(".tmp") || name.endsWith(".compact")) {
        await unlink(join(p.dir, name));
        continue;
      }
      const m = /^([0-9a-f]{8})\.(seg|hint)$/.exec(name);
      if (!m) continue;
      const no = Number.parseInt(m[1]!, 16);
      if (m[2] === "seg") segNos.push(no);
      else hints.add(no);
      p.nextSegNo = Math.max(p.nextSegNo, no + 1);
    }
    segNos.sort((a, b) => a - b);
    // Orphan hints (their segment is gone) go first.
    for (const no of hints) {
      if (!segNos.includes(no)) await unlink(join(p.dir, `${segName(no)}.hint`));
    }
    // Read every segment's frames (from its hint when valid, else by scanning).
    const loaded = new Map<number, { seg: Segment; frames: ParsedFrame[] }>();
    for (const no of segNos) {
      const path = join(p.dir, `${segName(no)}.seg`);
      const size = (await stat(path)).size;
      const seg = this.newSegmentObject(p, no, path, size);
      let frames: ParsedFrame[] | undefined;
      if (hints.has(no)) {
        try {
          frames = parseHint(await readFile(join(p.dir, `${segName(no)}.hint`), "utf8"), size);
        } catch {
          frames = undefined;
        }
      }
      if (frames !== undefined) this.stats.hintsLoaded++;
      else {
        frames = await this.scanSegment(seg);
        this.stats.segmentsScanned++;
        this.track(this.writeHint(seg, frames));
      }
      loaded.set(no, { seg, frames });
    }
    // Segments superseded by a compaction output that exists are deleted first.
    const superseded = new Set<number>();
    for (const { frames } of loaded.values()) {
      for (const f of frames) {
        for (const e of f.entries)
          if (e.kind === REPLACES) for (const r of e.replaces!) superseded.add(r);
      }
    }
    for (const no of superseded) {
      const entry = loaded.get(no);
      if (!entry) continue;
      loaded.delete(no);
      await unlink(entry.seg.path);
      await unlink(join(p.dir, `${segName(no)}.hint`)).catch(() => {});
      this.stats.segmentsDeleted++;
    }
    if (superseded.size > 0) await fsyncDir(p.dir);
    // Replayed in seq order: split chains depend on the order of their records, and a
    // compaction output (a newer segment) holds older seqs than the segments after it.
    const replay: { frame: ParsedFrame; seg: Segment }[] = [];
    for (const { seg, frames } of loaded.values()) {
      p.segments.set(seg.no, seg);
      for (const frame of frames) replay.push({ frame, seg });
    }
    replay.sort((a, b) => a.frame.seq - b.frame.seq);
    for (const { frame, seg } of replay) {
      p.nextSeq = Math.max(p.nextSeq, frame.seq + 1);
      this.applyFrame(frame, seg, 0);
    }
  }

  private newSegmentObject(p: Partition, no: number, path: string, size: number): Segment {
    return {
      no,
      path,
      partition: p,
      size,
      live: 0,
      minSeq: Number.POSITIVE_INFINITY,
      sealed: true,
      writer: undefined,
      reader: undefined,
      readerOpening: undefined,
      readers: 0,
      retired: false,
    };
  }

  private async scanSegment(seg: Segment): Promise<ParsedFrame[]> {
    const buf = new Uint8Array(await readFile(seg.path));
    return parseSegment(
      buf,
      (off, skipped, detail) => {
        this.stats.corruptFrames++;
        this.report({
          store: "aggregates",
          file: seg.path,
          offset: off,
          detail: `${detail}; ${skipped} bytes skipped`,
        });
      },
      () => {
        this.stats.tornTails++;
      },
    );
  }

  private async writeHint(seg: Segment, frames: ParsedFrame[]): Promise<void> {
    const path = join(seg.partition.dir, `${segName(seg.no)}.hint`);
    await writeFileDurably(path, hintOf(frames, seg.size), this.fsync);
  }

  private track(task: Promise<unknown>): void {
    const t = task.catch((error: unknown) => {
      console.error("gnocchi-ts aggregates: background task failed:", error);
    });
    this.background.add(t);
    void t.finally(() => this.background.delete(t));
  }

  private report(event: CorruptionEvent): void {
    try {
      this.onCorruption(event);
    } catch {
      // a failing listener must not break reads
    }
  }

  // ---------------------------------------------------------------- index

  private metricIndex(id: string, create: boolean): MetricIndex | undefined {
    let m = this.index.get(id);
    if (m === undefined && create) {
      m = { raw: undefined, marker: undefined, aggs: new Map() };
      this.index.set(id, m);
    }
    return m;
  }

  private unaccount(loc: SplitLoc | undefined): void {
    if (loc === undefined || loc.tomb) return;
    if (!isChain(loc)) {
      loc.seg.live -= loc.size;
      return;
    }
    for (const piece of loc.pieces) unaccountPiece(piece);
  }

  /**
   * Applies an APPEND_SPLIT record at `piece` to the split's chain: the
   * stream keeps its first `keep` bytes (later pieces are dropped, the piece
   * holding the cut shrinks), then gets the record's data.
   */
  private appendToChain(
    old: SplitLoc | undefined,
    keep: number,
    count: number,
    seq: number,
    piece: Piece,
  ): Chain {
    let chain: Chain;
    if (old !== undefined && !old.tomb && isChain(old) && keep > 0) chain = old;
    else {
      this.unaccount(old);
      chain = { pieces: [], count: 0, seq, streamBytes: 0, tomb: false };
    }
    const pieces = chain.pieces;
    if (keep > chain.streamBytes) {
      // Bytes this record depended on are gone (see the header): a gap.
      pieces.push({
        seg: undefined,
        off: 0,
        len: 0,
        crc: 0,
        used: keep - chain.streamBytes,
        size: 0,
      });
    } else {
      let at = chain.streamBytes;
      while (pieces.length > 0 && at > keep) {
        const last = pieces[pieces.length - 1]!;
        const cut = Math.min(last.used, at - keep);
        at -= cut;
        if (cut === last.used) {
          unaccountPiece(last);
          pieces.pop();
        } else {
          if (last.seg) last.seg.live -= cut;
          last.used -= cut;
        }
      }
    }
    pieces.push(piece);
    if (piece.seg) piece.seg.live += piece.size - (piece.len - piece.used);
    chain.streamBytes = keep + piece.used;
    chain.count = count;
    chain.seq = seq;
    return chain;
  }

  /** Applies a durable frame to the index; `base` turns frame-relative offsets into file offsets. */
  private applyFrame(f: ParsedFrame, seg: Segment, base: number): void {
    if (f.metricId === "") return;
    const seq = f.seq;
    if (seq < seg.minSeq) seg.minSeq = seq;
    const loading = this.killed !== undefined;
    const killedAt = this.killed?.get(f.metricId) ?? Number.NEGATIVE_INFINITY;
    for (const e of f.entries) {
      const mk = (off: number, len: number, crc: number, tomb: boolean): Loc => ({
        seg,
        off: base + off,
        len,
        crc,
        seq,
        size: e.entrySize,
        tomb,
      });
      if (e.kind === DEL_METRIC) {
        seg.live += e.entrySize;
        if (loading) this.killed!.set(f.metricId, Math.max(killedAt, seq));
        const m = this.index.get(f.metricId);
        if (m === undefined) continue;
        if (m.raw && m.raw.seq < seq) {
          this.unaccount(m.raw);
          m.raw = undefined;
        }
        if (m.marker && m.marker.seq < seq) {
          this.unaccount(m.marker);
          m.marker = undefined;
        }
        for (const [k, agg] of m.aggs) {
          for (const [key, loc] of agg.splits) {
            if (loc.seq < seq) {
              this.unaccount(loc);
              agg.splits.delete(key);
            }
          }
          if (agg.splits.size === 0) m.aggs.delete(k);
        }
        if (m.raw === undefined && m.marker === undefined && m.aggs.size === 0) {
          this.index.delete(f.metricId);
        }
        continue;
      }
      if (seq < killedAt) {
        if (e.kind === DEL_SPLIT || e.kind === DEL_RAW) seg.live += e.entrySize;
        continue;
      }
      if (e.kind === PUT_SPLIT || e.kind === DEL_SPLIT || e.kind === APPEND_SPLIT) {
        const tomb = e.kind === DEL_SPLIT;
        if (tomb) seg.live += e.entrySize;
        const m = this.metricIndex(f.metricId, !tomb || loading);
        if (m === undefined) continue;
        const k = aggKey(e.method!, e.granularity!);
        let agg = m.aggs.get(k);
        if (agg === undefined) {
          if (tomb && !loading) continue;
          agg = { method: e.method!, granularity: e.granularity!, splits: new SplitIndex() };
          m.aggs.set(k, agg);
        }
        const old = agg.splits.get(e.key!);
        if (old && old.seq >= seq) continue;
        if (e.kind === APPEND_SPLIT) {
          const piece: Piece = {
            seg,
            off: base + e.dataOff!,
            len: e.dataLen!,
            crc: e.dataCrc!,
            used: e.dataLen!,
            size: e.entrySize,
          };
          agg.splits.set(e.key!, this.appendToChain(old, e.keep!, e.count!, seq, piece));
          continue;
        }
        this.unaccount(old);
        if (tomb) {
          if (loading) agg.splits.set(e.key!, mk(e.entryOff, 0, 0, true));
          else {
            agg.splits.delete(e.key!);
            if (agg.splits.size === 0) m.aggs.delete(k);
          }
        } else {
          agg.splits.set(e.key!, mk(e.dataOff!, e.dataLen!, e.dataCrc!, false));
          seg.live += e.entrySize;
        }
      } else if (e.kind === PUT_RAW || e.kind === DEL_RAW) {
        const tomb = e.kind === DEL_RAW;
        if (tomb) seg.live += e.entrySize;
        const m = this.metricIndex(f.metricId, !tomb || loading);
        if (m === undefined) continue;
        const old = m.raw;
        if (old && old.seq >= seq) continue;
        this.unaccount(old);
        if (tomb) m.raw = loading ? mk(e.entryOff, 0, 0, true) : undefined;
        else {
          m.raw = mk(e.dataOff!, e.dataLen!, e.dataCrc!, false);
          seg.live += e.entrySize;
        }
      } else if (e.kind === MARKER) {
        const m = this.metricIndex(f.metricId, true)!;
        const old = m.marker;
        if (old && old.seq >= seq) continue;
        this.unaccount(old);
        m.marker = { ...mk(e.entryOff, 0, 0, false), value: e.marker! };
        seg.live += e.entrySize;
      }
    }
    if (!loading) {
      const m = this.index.get(f.metricId);
      if (m && m.raw === undefined && m.marker === undefined && m.aggs.size === 0) {
        this.index.delete(f.metricId);
      }
    }
  }

  // ---------------------------------------------------------------- reads

  /** A split's bytes: one record, or a chain rebuilt into v2 bytes. */
  private readSplitLoc(
    metricId: string,
    split: SplitId,
    loc: SplitLoc,
  ): Promise<Uint8Array | undefined> {
    if (!isChain(loc)) return this.readLoc(metricId, loc);
    // Snapshot: a commit may change the chain while the reads are in flight.
    const pieces = loc.pieces.map((p) => ({
      loc: p.seg ? (p as DataLoc) : undefined,
      used: p.used,
    }));
    const count = loc.count;
    if (pieces.some((p) => p.loc === undefined)) {
      this.stats.corruptReads++;
      this.report({
        store: "aggregates",
        file: this.dir,
        offset: 0,
        metricId,
        detail: `split ${split.method}/${split.granularity}/${split.key}: its append chain misses records`,
      });
      return Promise.resolve(undefined);
    }
    return Promise.all(pieces.map((p) => this.readLoc(metricId, p.loc!))).then((datas) => {
      const parts: Uint8Array[] = [];
      for (let i = 0; i < datas.length; i++) {
        const d = datas[i];
        if (d === undefined) return undefined;
        parts.push(d.subarray(0, pieces[i]!.used));
      }
      return assembleSplit(split.key, split.granularity, count, parts);
    });
  }

  private async readLoc(metricId: string, loc: DataLoc): Promise<Uint8Array | undefined> {
    const seg = loc.seg;
    seg.readers++;
    try {
      if (seg.reader === undefined) {
        seg.readerOpening ??= open(seg.path, "r");
        seg.reader = await seg.readerOpening;
      }
      const out = new Uint8Array(loc.len);
      let done = 0;
      while (done < loc.len) {
        const { bytesRead } = await seg.reader.read(out, done, loc.len - done, loc.off + done);
        if (bytesRead <= 0) break;
        done += bytesRead;
      }
      if (done < loc.len || crc32(out) !== loc.crc) {
        this.stats.corruptReads++;
        this.report({
          store: "aggregates",
          file: seg.path,
          offset: loc.off,
          metricId,
          detail: done < loc.len ? "record past the end of its segment" : "data CRC mismatch",
        });
        return undefined;
      }
      return out;
    } finally {
      seg.readers--;
      if (seg.retired && seg.readers === 0) this.closeSegmentFiles(seg);
    }
  }

  private closeSegmentFiles(seg: Segment): void {
    const reader = seg.reader;
    const opening = seg.readerOpening;
    seg.reader = undefined;
    seg.readerOpening = undefined;
    if (reader) void reader.close().catch(() => {});
    else if (opening) void opening.then((fh) => fh.close()).catch(() => {});
  }

  async getRawBuffer(metricId: string): Promise<Uint8Array | undefined> {
    const id = canonicalMetricId(metricId);
    const loc = this.index.get(id)?.raw;
    return loc ? this.readLoc(id, loc) : undefined;
  }

  async getIncomingMarker(metricId: string): Promise<IncomingMarker | undefined> {
    return this.index.get(canonicalMetricId(metricId))?.marker?.value;
  }

  async getSplit(metricId: string, split: SplitId): Promise<Uint8Array | undefined> {
    const id = canonicalMetricId(metricId);
    const loc = this.index
      .get(id)
      ?.aggs.get(aggKey(split.method, split.granularity))
      ?.splits.get(split.key);
    return loc ? this.readSplitLoc(id, split, loc) : undefined;
  }

  splitChainLength(metricId: string, split: SplitId): number {
    // The processor asks for every split it writes, with canonical ids: skip the parse then.
    const loc = (this.index.get(metricId) ?? this.index.get(canonicalMetricId(metricId)))?.aggs
      .get(aggKey(split.method, split.granularity))
      ?.splits.get(split.key);
    if (loc === undefined || !isChain(loc)) return 0;
    // A chain with a gap is unreadable: only a whole rewrite (keep = 0) repairs it.
    for (const p of loc.pieces) if (p.seg === undefined) return 0;
    return loc.pieces.length;
  }

  async getSplits(
    metricId: string,
    splits: readonly SplitId[],
  ): Promise<(Uint8Array | undefined)[]> {
    const id = canonicalMetricId(metricId);
    const m = this.index.get(id);
    return Promise.all(
      splits.map((s) => {
        const loc = m?.aggs.get(aggKey(s.method, s.granularity))?.splits.get(s.key);
        return loc ? this.readSplitLoc(id, s, loc) : Promise.resolve(undefined);
      }),
    );
  }

  async listSplitKeys(
    metricId: string,
    method: string,
    granularity: Micros,
  ): Promise<readonly Micros[]> {
    const agg = this.index.get(canonicalMetricId(metricId))?.aggs.get(aggKey(method, granularity));
    return agg === undefined ? [] : agg.splits.sortedKeys();
  }

  async listAggregations(metricId: string): Promise<AggregationId[]> {
    const m = this.index.get(canonicalMetricId(metricId));
    if (m === undefined) return [];
    return [...m.aggs.values()].map((a) => ({ method: a.method, granularity: a.granularity }));
  }

  async hasMetric(metricId: string): Promise<boolean> {
    return this.index.has(canonicalMetricId(metricId));
  }

  async listMetrics(): Promise<string[]> {
    return [...this.index.keys()];
  }

  // ---------------------------------------------------------------- writes

  commit(metricId: string, commit: MetricCommit): Promise<void> {
    let id: string;
    try {
      id = canonicalMetricId(metricId);
    } catch (error) {
      return Promise.reject(error);
    }
    const entries: ParsedEntry[] = [];
    const data: (Uint8Array | undefined)[] = [];
    const puts = new Map<string, SplitPut>();
    for (const put of commit.puts ?? []) {
      puts.set(`${aggKey(put.split.method, put.split.granularity)}\u0000${put.split.key}`, put);
    }
    const appends = new Map<string, SplitAppend>();
    for (const a of commit.appends ?? []) {
      const k = `${aggKey(a.split.method, a.split.granularity)}\u0000${a.split.key}`;
      if (puts.has(k) || appends.has(k)) {
        return Promise.reject(new RangeError(`split ${k} changed twice in one commit`));
      }
      if (!(Number.isInteger(a.keep) && a.keep >= 0 && a.keep <= 0xffffffff)) {
        return Promise.reject(new RangeError(`append keep must be a u32, got ${a.keep}`));
      }
      if (!(Number.isInteger(a.count) && a.count >= 0 && a.count <= 0xffffffff)) {
        return Promise.reject(new RangeError(`append count must be a u32, got ${a.count}`));
      }
      appends.set(k, a);
    }
    const deleted = new Set<string>();
    for (const d of commit.deletes ?? []) {
      const k = `${aggKey(d.method, d.granularity)}\u0000${d.key}`;
      if (puts.has(k) || appends.has(k) || deleted.has(k)) continue;
      deleted.add(k);
      entries.push({
        kind: DEL_SPLIT,
        entryOff: 0,
        entrySize: 0,
        method: d.method,
        granularity: d.granularity,
        key: d.key,
      });
      data.push(undefined);
    }
    for (const put of puts.values()) {
      const s = put.split;
      entries.push({
        kind: PUT_SPLIT,
        entryOff: 0,
        entrySize: 0,
        method: s.method,
        granularity: s.granularity,
        key: s.key,
      });
      data.push(put.data);
    }
    for (const a of appends.values()) {
      const s = a.split;
      entries.push({
        kind: APPEND_SPLIT,
        entryOff: 0,
        entrySize: 0,
        method: s.method,
        granularity: s.granularity,
        key: s.key,
        keep: a.keep,
        count: a.count,
      });
      data.push(a.chunks);
    }
    if (commit.rawBuffer === null) {
      entries.push({ kind: DEL_RAW, entryOff: 0, entrySize: 0 });
      data.push(undefined);
    } else if (commit.rawBuffer !== undefined) {
      entries.push({ kind: PUT_RAW, entryOff: 0, entrySize: 0 });
      data.push(commit.rawBuffer);
    }
    if (commit.incomingMarker !== undefined) {
      entries.push({ kind: MARKER, entryOff: 0, entrySize: 0, marker: commit.incomingMarker });
      data.push(undefined);
    }
    if (entries.length === 0) return Promise.resolve();
    return this.enqueue(id, entries, data);
  }

  deleteMetric(metricId: string): Promise<void> {
    let id: string;
    try {
      id = canonicalMetricId(metricId);
    } catch (error) {
      return Promise.reject(error);
    }
    if (!this.index.has(id)) return Promise.resolve();
    return this.enqueue(id, [{ kind: DEL_METRIC, entryOff: 0, entrySize: 0 }], [undefined]);
  }

  private enqueue(
    id: string,
    entries: ParsedEntry[],
    data: (Uint8Array | undefined)[],
  ): Promise<void> {
    if (this.closed) return Promise.reject(new StoreClosedError("aggregate store"));
    const p = this.partitions[sackOf(id, this.partitionCount)]!;
    let encoded: ReturnType<typeof encodeFrame>;
    try {
      encoded = encodeFrame(p.nextSeq, id, entries, data);
    } catch (error) {
      return Promise.reject(error);
    }
    p.nextSeq++;
    return new Promise<void>((resolve, reject) => {
      p.queue.push({ bytes: encoded.bytes, frame: encoded.frame, resolve, reject });
      if (!p.flushing) void this.flushLoop(p);
    });
  }

  private async flushLoop(p: Partition): Promise<void> {
    p.flushing = true;
    try {
      while (p.queue.length > 0) {
        const round = p.queue;
        p.queue = [];
        try {
          await this.writeRound(p, round);
        } catch (error) {
          for (const q of round) q.reject(error);
        }
      }
    } finally {
      p.flushing = false;
    }
    this.maybeCompact(p);
  }

  private async ensureActive(p: Partition): Promise<Segment> {
    const current = p.active;
    if (current && current.size < this.segmentBytes) return current;
    if (current) this.seal(p, current);
    if (!p.dirReady) {
      await mkdir(p.dir, { recursive: true });
      await fsyncDir(this.dir);
      p.dirReady = true;
    }
    const no = p.nextSegNo++;
    const path = join(p.dir, `${segName(no)}.seg`);
    const writer = await open(path, "wx");
    await fsyncDir(p.dir);
    const seg = this.newSegmentObject(p, no, path, 0);
    seg.sealed = false;
    seg.writer = writer;
    p.segments.set(no, seg);
    p.active = seg;
    return seg;
  }

  /** Stops writing to `seg`; its hint is written in the background. */
  private seal(p: Partition, seg: Segment): void {
    if (p.active === seg) p.active = undefined;
    seg.sealed = true;
    const writer = seg.writer;
    seg.writer = undefined;
    this.track(
      (async () => {
        await writer?.close();
        if (seg.retired) return;
        try {
          const frames = await this.scanSegment(seg);
          if (!seg.retired) await this.writeHint(seg, frames);
        } catch (error) {
          // A compaction may have deleted the segment meanwhile; its hint is moot then.
          if (!seg.retired) throw error;
        }
      })(),
    );
  }

  private async writeRound(p: Partition, round: QueuedCommit[]): Promise<void> {
    const seg = await this.ensureActive(p);
    const base = seg.size;
    const buffers = round.map((q) => q.bytes);
    let total = 0;
    for (const b of buffers) total += b.length;
    try {
      let written = 0;
      let rest: Uint8Array[] = buffers;
      while (written < total) {
        const { bytesWritten } = await seg.writer!.writev(rest, base + written);
        if (bytesWritten <= 0) throw new Error("short write to an aggregate segment");
        written += bytesWritten;
        rest = unwrittenBuffers(buffers, written);
      }
      seg.size = base + total;
      await this.fsync(seg.writer!);
      this.stats.fsyncs++;
    } catch (error) {
      // Unknown tail: never append after it again.
      seg.size = base + total;
      this.seal(p, seg);
      throw error;
    }
    let off = base;
    for (const q of round) {
      this.applyFrame(q.frame, seg, off);
      off += q.bytes.length;
      this.stats.commits++;
    }
    for (const q of round) q.resolve();
  }

  // ---------------------------------------------------------------- compaction

  /** Bytes on disk (apparent) and live bytes of a partition, or of the whole store. */
  usage(partition?: number): { bytes: number; live: number; segments: number } {
    let bytes = 0;
    let live = 0;
    let segments = 0;
    const parts = partition === undefined ? this.partitions : [this.partitions[partition]!];
    for (const p of parts) {
      for (const s of p.segments.values()) {
        bytes += s.size;
        live += s.live;
        segments++;
      }
    }
    return { bytes, live, segments };
  }

  private maybeCompact(p: Partition): void {
    if (p.compacting || this.closed) return;
    const { bytes, live } = this.usage(p.no);
    const garbage = bytes - live;
    if (garbage < this.minCompactBytes || garbage <= this.garbageRatio * bytes) return;
    p.compacting = this.compact(p)
      .then(
        (progressed) => progressed,
        (error: unknown) => {
          console.error(`gnocchi-ts aggregates: compaction of partition ${p.no} failed:`, error);
          return false;
        },
      )
      .then((progressed) => {
        p.compacting = undefined;
        // Keep going while the partition is still over the threshold and progress is made.
        if (progressed && !p.flushing) this.maybeCompact(p);
      });
    this.track(p.compacting);
  }

  /** Compacts a partition now (tests, maintenance); resolves when done. */
  async compactPartition(partition: number, all = false): Promise<void> {
    const p = this.partitions[partition]!;
    while (p.compacting || p.flushing) {
      if (p.compacting) await p.compacting;
      else await new Promise((r) => setImmediate(r));
    }
    const run = this.compact(p, all).finally(() => {
      p.compacting = undefined;
    });
    p.compacting = run.then(
      () => {},
      () => {},
    );
    await run;
  }

  private pickCandidates(p: Partition, all: boolean): Segment[] {
    const active = p.active;
    // Garbage in the active segment can only be reclaimed once it is sealed.
    const activeGarbage = active ? active.size - active.live : 0;
    if (
      active &&
      !p.flushing &&
      active.size > 0 &&
      (all ||
        (activeGarbage >= this.minCompactBytes / 2 &&
          activeGarbage > this.garbageRatio * active.size))
    ) {
      this.seal(p, active);
    }
    const sealed = [...p.segments.values()].filter((s) => s.sealed && !s.retired);
    if (all) return sealed;
    sealed.sort(
      (a, b) => (b.size - b.live) / Math.max(1, b.size) - (a.size - a.live) / Math.max(1, a.size),
    );
    const chosen: Segment[] = [];
    let liveSum = 0;
    let { bytes } = this.usage(p.no);
    const { live } = this.usage(p.no);
    for (const s of sealed) {
      const garbage = s.size - s.live;
      if (garbage < 4096 && s.size >= this.segmentBytes / 8) continue;
      if (liveSum + s.live > 2 * this.segmentBytes && chosen.length > 0) break;
      chosen.push(s);
      liveSum += s.live;
      bytes -= garbage;
      if (bytes - live <= (this.garbageRatio / 2) * bytes) break;
    }
    // Merging a single segment without garbage gains nothing.
    if (chosen.length === 1 && chosen[0]!.size - chosen[0]!.live < 4096) return [];
    return chosen;
  }

  /** Returns whether anything was compacted. */
  private async compact(p: Partition, all = false): Promise<boolean> {
    const chosen = this.pickCandidates(p, all);
    if (chosen.length === 0) return false;
    const chosenSet = new Set(chosen);
    let minSeqOutside = Number.POSITIVE_INFINITY;
    for (const s of p.segments.values()) {
      if (!chosenSet.has(s) && s.minSeq < minSeqOutside) minSeqOutside = s.minSeq;
    }
    if (p.active && !chosenSet.has(p.active)) {
      // Commits may be landing in the active segment right now: their seqs are newer than any chosen record.
      minSeqOutside = Math.min(minSeqOutside, p.nextSeq);
    }

    const no = p.nextSegNo++;
    const finalPath = join(p.dir, `${segName(no)}.seg`);
    const tmpPath = `${finalPath}.compact`;
    const out = await open(tmpPath, "wx");
    const moves: { frame: ParsedFrame; entryIdx: number; from: ParsedEntry; seg: Segment }[] = [];
    const outFrames: ParsedFrame[] = [];
    let size = 0;
    const pendingWrites: Uint8Array[] = [];
    let pendingBytes = 0;
    const flushOut = async () => {
      if (pendingBytes === 0) return;
      let written = 0;
      let rest = pendingWrites.slice();
      const total = pendingBytes;
      const base = size - total;
      while (written < total) {
        const { bytesWritten } = await out.writev(rest, base + written);
        if (bytesWritten <= 0) throw new Error("short write during compaction");
        written += bytesWritten;
        rest = unwrittenBuffers(pendingWrites, written);
      }
      pendingWrites.length = 0;
      pendingBytes = 0;
    };
    const emit = async (frameBytes: Uint8Array, frame: ParsedFrame) => {
      frame.off = size;
      outFrames.push(frame);
      pendingWrites.push(frameBytes);
      pendingBytes += frameBytes.length;
      size += frameBytes.length;
      if (pendingBytes >= 4 * 1024 * 1024) await flushOut();
    };
    try {
      const header = encodeFrame(
        0,
        "",
        [{ kind: REPLACES, entryOff: 0, entrySize: 0, replaces: chosen.map((s) => s.no) }],
        [undefined],
      );
      await emit(header.bytes, header.frame);
      for (const seg of chosen.sort((a, b) => a.no - b.no)) {
        const buf = new Uint8Array(await readFile(seg.path));
        const frames = parseSegment(
          buf,
          () => {},
          () => {},
        );
        for (const f of frames) {
          if (f.metricId === "") continue;
          const keep: ParsedEntry[] = [];
          const data: (Uint8Array | undefined)[] = [];
          const sources: ParsedEntry[] = [];
          for (const e of f.entries) {
            let dataLen = e.dataLen;
            if (e.kind === APPEND_SPLIT) {
              // Only the bytes the chain still uses are copied.
              const piece = this.chainPiece(f.metricId, e, seg);
              if (piece === undefined) continue;
              dataLen = piece.used;
            } else if (!this.isLive(f.metricId, e, seg, f.seq, minSeqOutside)) continue;
            keep.push({ ...e, entryOff: 0, entrySize: 0 });
            sources.push(e);
            data.push(
              e.dataOff !== undefined ? buf.subarray(e.dataOff, e.dataOff + dataLen!) : undefined,
            );
          }
          if (keep.length === 0) continue;
          const encoded = encodeFrame(f.seq, f.metricId, keep, data);
          await emit(encoded.bytes, encoded.frame);
          sources.forEach((from, entryIdx) => {
            moves.push({ frame: encoded.frame, entryIdx, from, seg });
          });
        }
      }
      await flushOut();
      await this.fsync(out);
    } finally {
      await out.close();
    }
    const seg = this.newSegmentObject(p, no, finalPath, size);
    const hintFrames = outFrames.map((f) => ({
      ...f,
      entries: f.entries.map((e) => {
        const c: ParsedEntry = { ...e, entryOff: e.entryOff + f.off };
        if (e.dataOff !== undefined) c.dataOff = e.dataOff + f.off;
        return c;
      }),
    }));
    await writeFileDurably(
      join(p.dir, `${segName(no)}.hint`),
      hintOf(hintFrames, size),
      this.fsync,
    );
    let renamed = false;
    try {
      await this.compactionHook?.("written");
      await rename(tmpPath, finalPath);
      renamed = true;
      await fsyncDir(p.dir);
      await this.compactionHook?.("renamed");
    } catch (error) {
      // Undo, so no half-registered output can shadow later compactions' work.
      await unlink(renamed ? finalPath : tmpPath).catch(() => {});
      await unlink(join(p.dir, `${segName(no)}.hint`)).catch(() => {});
      await fsyncDir(p.dir).catch(() => {});
      throw error;
    }

    // Switch the index to the copies the index still points at.
    p.segments.set(no, seg);
    for (const f of outFrames) if (f.metricId !== "" && f.seq < seg.minSeq) seg.minSeq = f.seq;
    for (const mv of moves) {
      const copy = mv.frame.entries[mv.entryIdx]!;
      this.relocate(mv.frame.metricId, mv.from, mv.seg, seg, copy, mv.frame.off, mv.frame.seq);
    }
    for (const old of chosen) {
      old.retired = true;
      p.segments.delete(old.no);
      await unlink(old.path).catch(() => {});
      await unlink(join(p.dir, `${segName(old.no)}.hint`)).catch(() => {});
      if (old.readers === 0) this.closeSegmentFiles(old);
      this.stats.segmentsDeleted++;
    }
    await fsyncDir(p.dir);
    this.stats.compactions++;
    return true;
  }

  /** Whether a record of `seg` must survive compaction. */
  private isLive(
    metricId: string,
    e: ParsedEntry,
    seg: Segment,
    seq: number,
    minSeqOutside: number,
  ): boolean {
    if (e.kind === DEL_SPLIT || e.kind === DEL_RAW || e.kind === DEL_METRIC)
      return seq >= minSeqOutside;
    const m = this.index.get(metricId);
    if (m === undefined) return false;
    if (e.kind === PUT_RAW) return m.raw?.seg === seg && m.raw.off === e.dataOff;
    if (e.kind === MARKER) return m.marker?.seg === seg && m.marker.off === e.entryOff;
    if (e.kind === PUT_SPLIT) {
      const loc = m.aggs.get(aggKey(e.method!, e.granularity!))?.splits.get(e.key!);
      return loc !== undefined && !isChain(loc) && loc.seg === seg && loc.off === e.dataOff;
    }
    return false;
  }

  /** The chain piece an APPEND_SPLIT record of `seg` still is, if any. */
  private chainPiece(metricId: string, e: ParsedEntry, seg: Segment): Piece | undefined {
    const loc = this.index
      .get(metricId)
      ?.aggs.get(aggKey(e.method!, e.granularity!))
      ?.splits.get(e.key!);
    if (loc === undefined || !isChain(loc)) return undefined;
    for (const piece of loc.pieces) {
      if (piece.seg === seg && piece.off === e.dataOff) return piece;
    }
    return undefined;
  }

  /** Points the index at the compacted copy if it still points at the original. */
  private relocate(
    metricId: string,
    from: ParsedEntry,
    oldSeg: Segment,
    seg: Segment,
    copy: ParsedEntry,
    frameOff: number,
    seq: number,
  ): void {
    const size = copy.entrySize;
    if (from.kind === DEL_SPLIT || from.kind === DEL_RAW || from.kind === DEL_METRIC) {
      seg.live += size;
      return;
    }
    const m = this.index.get(metricId);
    if (m === undefined) return;
    const newLoc = (off: number): Loc => ({
      seg,
      off: frameOff + off,
      len: copy.dataLen ?? 0,
      crc: copy.dataCrc ?? 0,
      seq,
      size,
      tomb: false,
    });
    if (from.kind === PUT_RAW) {
      if (m.raw?.seg === oldSeg && m.raw.off === from.dataOff) {
        m.raw = newLoc(copy.dataOff!);
        seg.live += size;
      }
    } else if (from.kind === MARKER) {
      if (m.marker?.seg === oldSeg && m.marker.off === from.entryOff) {
        m.marker = { ...newLoc(copy.entryOff), value: m.marker.value };
        seg.live += size;
      }
    } else if (from.kind === PUT_SPLIT) {
      const agg = m.aggs.get(aggKey(from.method!, from.granularity!));
      const loc = agg?.splits.get(from.key!);
      if (agg && loc && !isChain(loc) && loc.seg === oldSeg && loc.off === from.dataOff) {
        agg.splits.set(from.key!, newLoc(copy.dataOff!));
        seg.live += size;
      }
    } else if (from.kind === APPEND_SPLIT) {
      const loc = m.aggs.get(aggKey(from.method!, from.granularity!))?.splits.get(from.key!);
      if (loc === undefined || !isChain(loc)) return;
      const at = loc.pieces.findIndex((p) => p.seg === oldSeg && p.off === from.dataOff);
      if (at < 0) return;
      // A commit since the copy may have cut the piece shorter, never longer.
      const used = Math.min(loc.pieces[at]!.used, copy.dataLen!);
      loc.pieces[at] = {
        seg,
        off: frameOff + copy.dataOff!,
        len: copy.dataLen!,
        crc: copy.dataCrc!,
        used,
        size,
      };
      seg.live += size - (copy.dataLen! - used);
    }
  }

  // ---------------------------------------------------------------- close

  async close(): Promise<void> {
    if (this.closed) return;
    for (const p of this.partitions) {
      while (p.flushing || p.queue.length > 0) await new Promise((r) => setTimeout(r, 1));
      while (p.compacting) await p.compacting;
    }
    this.closed = true;
    for (const p of this.partitions) if (p.active) this.seal(p, p.active);
    while (this.background.size > 0) await Promise.all([...this.background]);
    for (const p of this.partitions) {
      for (const s of p.segments.values()) {
        s.retired = true;
        this.closeSegmentFiles(s);
      }
    }
  }
}
