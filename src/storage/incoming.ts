/**
 * The incoming store: measures accepted by the API and not yet aggregated
 * (spec carbonara §10.1–§10.3, §10.7).
 *
 * A driver must provide:
 *
 * - `appendColumns(columns)`: durable before it resolves. All the runs of one
 *   call become visible to readers together (the file driver writes them as
 *   one checksummed frame, so after a crash either all of a call's measures
 *   are there or none). Each run is one *batch* of its metric. The columnar
 *   form is how an adapter hands over a whole request (remote write: 2,000
 *   series) without an object or an array per metric; `append(batches)`, the
 *   per-metric form, is `appendColumns(columnsOf(batches))`.
 * - positions: every stored batch has a *position*, a number strictly
 *   increasing in append order within the store (file driver: the log offset
 *   just past its frame), never reused, not even after every batch was
 *   released. Readers only ever see batches whose position is at or below the
 *   durable end, and see all of them.
 * - `read(sack)` hands back every pending batch of the sack up to some
 *   position `end`, grouped by metric; `release(handle)` deletes exactly
 *   those (appends made after the read are untouched).
 *
 * EXACTLY-ONCE (the argument the processor relies on)
 * ----------------------------------------------------
 * The processor, for each metric of a read, computes the new aggregates and
 * calls `AggregateStore.commit(metric, {puts, deletes, rawBuffer,
 * incomingMarker: pending.marker})`. That commit is atomic: after a crash
 * either all of it (splits, raw buffer AND marker) is there, or none of it.
 * The marker names the store and the read's end position. Only after the
 * commits does the processor call `release`.
 *
 * Crash before the commit: nothing of this cycle is visible, the batches are
 * still pending, the next read returns them again: applied once.
 * Crash after the commit, before (or during) the release: the batches come
 * back on the next read, but `unappliedMeasures(pending, storedMarker)`
 * drops every batch whose position is at or below the marker committed with
 * the aggregates, i.e. exactly the batches already folded into them: they are
 * skipped (then released), never applied twice.
 * Batches of the same metric appended after the read have positions above the
 * read's end, so the marker never hides them. A release that is lost (the file
 * driver records releases lazily) only costs re-reading, for the same reason.
 *
 * Obligations of the processor: commit the marker for *every* metric it
 * consumes that has aggregate storage, even when nothing else changed (all
 * measures late, §4.2); measures of deleted or unknown metrics are simply
 * released (re-reading them after a crash discards them again). The store id
 * inside the marker protects against an incoming store that was wiped and
 * recreated (its positions start again from 0): a marker from another store
 * hides nothing.
 */
import type { Micros } from "../carbonara/time.js";

/** Measures for one metric: parallel arrays, timestamps in µs (any order, duplicates allowed). */
export interface MeasureBatch {
  readonly metricId: string;
  readonly timestamps: Float64Array;
  readonly values: Float64Array;
}

/**
 * The measures of one append in columns: run `r` gives metric `metricIds[r]`
 * the samples `[runEnds[r - 1], runEnds[r])` (from 0 for the first run) of
 * `timestamps` (µs, any order, duplicates allowed) and `values`. `runEnds`
 * ascends and has at least one entry per id; empty runs are skipped. A run
 * is one batch: a metric named by two runs of one call gets two batches.
 */
export interface MeasureColumns {
  readonly metricIds: readonly string[];
  /**
   * The same ids as 16 bytes each (run r at 16·r), from a caller that keeps
   * them parsed (the remote-write cache): the store then neither parses the
   * ids nor checks them, so they must be canonical (lowercase, dashed) and
   * match these bytes.
   */
  readonly metricUuids?: Uint8Array;
  readonly runEnds: Uint32Array;
  readonly timestamps: Float64Array;
  readonly values: Float64Array;
}

/** The per-metric form in columns (one copy of the samples). */
export function columnsOf(batches: readonly MeasureBatch[]): MeasureColumns {
  const metricIds: string[] = [];
  const runEnds = new Uint32Array(batches.length);
  let total = 0;
  for (const batch of batches) {
    if (batch.timestamps.length !== batch.values.length) {
      throw new RangeError("timestamps and values differ in length");
    }
    total += batch.timestamps.length;
  }
  const timestamps = new Float64Array(total);
  const values = new Float64Array(total);
  let end = 0;
  for (const batch of batches) {
    timestamps.set(batch.timestamps, end);
    values.set(batch.values, end);
    end += batch.timestamps.length;
    runEnds[metricIds.length] = end;
    metricIds.push(batch.metricId);
  }
  return { metricIds, runEnds, timestamps, values };
}

/** Opaque to callers; stored with the aggregates (see the exactly-once argument above). */
export type IncomingMarker = string;

/** One metric's pending measures from one `read`, concatenated in append order. */
export interface PendingMeasures {
  readonly metricId: string;
  readonly timestamps: Float64Array;
  readonly values: Float64Array;
  /** Number of batches (one per append call that carried this metric). */
  readonly batches: number;
  /** Position of each batch, ascending. */
  readonly batchPositions: Float64Array;
  /** `timestamps.length` after each batch (cumulative sample counts). */
  readonly batchEnds: Uint32Array;
  /** To commit with this metric's aggregates once these measures are applied. */
  readonly marker: IncomingMarker;
}

/** What `read` returns; give `handle` back to `release` once processed. */
export interface SackRead {
  readonly sack: number;
  readonly metrics: readonly PendingMeasures[];
  readonly handle: ReleaseHandle;
}

/** Opaque token naming exactly what a `read` returned. */
export interface ReleaseHandle {
  readonly sack: number;
  /** The read's end position. */
  readonly end: number;
}

export interface ReadOptions {
  /** Only these metrics (API `refresh`); the others' batches stay pending. */
  readonly metrics?: ReadonlySet<string>;
  /** Stop after about this many bytes of batches (the rest stays for the next read). */
  readonly maxBytes?: number;
}

/** Backlog figures for `/v1/status` (spec §10.7); a batch is one append of one metric. */
export interface Backlog {
  /** Metrics with pending batches. */
  readonly metrics: number;
  /** Pending batches. */
  readonly batches: number;
  /** Pending measures (samples). */
  readonly measures: number;
  /** Pending batch count per metric. */
  readonly perMetric: ReadonlyMap<string, number>;
}

export interface IncomingStore {
  /** Sack count, fixed when the store was created. */
  readonly sacks: number;
  sackOf(metricId: string): number;
  /** Durably stores the runs (all of them or, after a crash, none); resolves after the fsync. */
  appendColumns(columns: MeasureColumns): Promise<void>;
  /** The per-metric form of `appendColumns`. */
  append(batches: readonly MeasureBatch[]): Promise<void>;
  /** Sacks with pending batches, ascending. */
  sacksWithPending(): Promise<number[]>;
  /** Pending measures of one sack grouped by metric, plus the handle to release them. */
  read(sack: number, options?: ReadOptions): Promise<SackRead>;
  /** Deletes exactly what the read returned (idempotent; appends made since are kept). */
  release(handle: ReleaseHandle): Promise<void>;
  /** Discards every pending measure of these metrics (janitor, spec §10.6). */
  drop(metricIds: readonly string[]): Promise<void>;
  /** Backlog figures; with `metricIds`, only those metrics are counted and listed. */
  backlog(metricIds?: readonly string[]): Promise<Backlog>;
  /** Calls `listener(sack)` after an append to that sack became durable (metricd's greedy wake-up). */
  subscribe(listener: (sack: number) => void): () => void;
  close(): Promise<void>;
}

/**
 * The measures of `pending` not yet folded into the aggregates whose commit
 * stored `applied` (undefined: never processed). Returns views, no copy.
 */
export function unappliedMeasures(
  pending: PendingMeasures,
  applied: IncomingMarker | undefined,
): { timestamps: Float64Array; values: Float64Array } {
  const upTo = markerPositionFor(pending.marker, applied);
  if (upTo === undefined) return { timestamps: pending.timestamps, values: pending.values };
  const positions = pending.batchPositions;
  let b = 0;
  while (b < positions.length && positions[b]! <= upTo) b++;
  const from = b === 0 ? 0 : pending.batchEnds[b - 1]!;
  return {
    timestamps: pending.timestamps.subarray(from),
    values: pending.values.subarray(from),
  };
}

/** Marker format shared by drivers: `<store id>@<position>`. */
export function makeMarker(storeId: string, position: number): IncomingMarker {
  return `${storeId}@${position}`;
}

/** The position of `applied` if it comes from the same store as `current`, else undefined. */
export function markerPositionFor(
  current: IncomingMarker,
  applied: IncomingMarker | undefined,
): number | undefined {
  if (applied === undefined) return undefined;
  const a = applied.lastIndexOf("@");
  const c = current.lastIndexOf("@");
  if (a < 0 || c < 0 || applied.slice(0, a) !== current.slice(0, c)) return undefined;
  const position = Number(applied.slice(a + 1));
  return Number.isFinite(position) ? position : undefined;
}

/** Convenience for callers building batches from seconds or from arrays of numbers. */
export function measureBatch(
  metricId: string,
  timestamps: ArrayLike<Micros>,
  values: ArrayLike<number>,
): MeasureBatch {
  if (timestamps.length !== values.length) {
    throw new RangeError("timestamps and values differ in length");
  }
  return {
    metricId,
    timestamps: Float64Array.from(timestamps),
    values: Float64Array.from(values),
  };
}
