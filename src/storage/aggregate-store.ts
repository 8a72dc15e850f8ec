/**
 * The aggregate store: per metric, one raw buffer (spec carbonara §4.2) and
 * the splits of each (aggregation method, granularity) (§4.6, §6.1), all as
 * opaque bytes (encoding belongs to src/carbonara), plus the incoming marker
 * that makes processing exactly-once (see incoming.ts).
 *
 * Every change goes through `commit`, which is atomic per metric: after a
 * crash either every put, delete, the raw buffer and the marker of a commit are
 * visible, or none of them. Reads never return bytes whose checksum fails: the
 * driver reports the damage (`onCorruption`, counter) and answers as if the
 * object did not exist (spec §6.6 then treats it as empty).
 */
import type { Micros } from "../carbonara/time.js";
import type { IncomingMarker } from "./incoming.js";

/** One aggregation of a metric: method (e.g. "mean", "rate:max") and granularity in µs. */
export interface AggregationId {
  readonly method: string;
  readonly granularity: Micros;
}

/** One split of an aggregation, by its key (µs, aligned on 3600 × granularity). */
export interface SplitId extends AggregationId {
  readonly key: Micros;
}

export interface SplitPut {
  readonly split: SplitId;
  readonly data: Uint8Array;
}

/**
 * A change to a split stored in format v2 (split-codec.ts), as SplitTail's
 * `appendChunks` answers it: its chunk stream (the bytes between point count
 * and CRC) becomes the first `keep` bytes of the stored one followed by
 * `chunks`, and it holds `count` points. `keep` = 0 replaces the split (and
 * needs no stored one); `keep` > 0 is only valid on a split whose
 * `splitChainLength` is > 0, i.e. stored by appends, and reads answer the
 * rebuilt v2 bytes.
 */
export interface SplitAppend {
  readonly split: SplitId;
  readonly keep: number;
  readonly chunks: Uint8Array;
  readonly count: number;
}

/**
 * Appends a split's chain may take before the processor rewrites it whole:
 * a read fetches every record of the chain, so this bounds a cold read's
 * preads, while a split sealing a chunk every cycle is rewritten only every
 * this many cycles.
 */
export const MAX_SPLIT_CHAIN = 4;

export interface MetricCommit {
  readonly puts?: readonly SplitPut[];
  readonly appends?: readonly SplitAppend[];
  readonly deletes?: readonly SplitId[];
  /** New raw buffer; `null` deletes it; absent leaves it unchanged. */
  readonly rawBuffer?: Uint8Array | null;
  /** Incoming position the aggregates now include; absent leaves it unchanged. */
  readonly incomingMarker?: IncomingMarker;
}

export interface AggregateStore {
  /** The raw buffer, or undefined if the metric has none (or it is corrupt, reported). */
  getRawBuffer(metricId: string): Promise<Uint8Array | undefined>;
  /** The marker stored by the latest commit that had one. */
  getIncomingMarker(metricId: string): Promise<IncomingMarker | undefined>;
  /** One split's bytes, or undefined if absent (or corrupt, reported). */
  getSplit(metricId: string, split: SplitId): Promise<Uint8Array | undefined>;
  /** Several splits of one metric at once, in the order asked. */
  getSplits(metricId: string, splits: readonly SplitId[]): Promise<(Uint8Array | undefined)[]>;
  /**
   * How many append records a read of the split gathers: 0 when it is absent
   * or was stored whole by a put (only a `keep` = 0 append may follow then).
   * The processor rewrites a split whole once its chain gets long.
   */
  splitChainLength(metricId: string, split: SplitId): number;
  /** Stored split keys of one aggregation, ascending (read-only: a driver may hand out its own list). */
  listSplitKeys(metricId: string, method: string, granularity: Micros): Promise<readonly Micros[]>;
  /** Aggregations with at least one stored split. */
  listAggregations(metricId: string): Promise<AggregationId[]>;
  /** Whether the metric has any storage (raw buffer, split or marker). */
  hasMetric(metricId: string): Promise<boolean>;
  /** Metrics with storage (janitor, fsck). */
  listMetrics(): Promise<string[]>;
  /** Applies the whole commit atomically and durably; resolves after the fsync. */
  commit(metricId: string, commit: MetricCommit): Promise<void>;
  /** Deletes all of a metric's storage (janitor, spec §10.6), durably. */
  deleteMetric(metricId: string): Promise<void>;
  close(): Promise<void>;
}

/** Convenience wrappers over `commit` for callers that change one object. */
export function putSplit(
  store: AggregateStore,
  metricId: string,
  split: SplitId,
  data: Uint8Array,
): Promise<void> {
  return store.commit(metricId, { puts: [{ split, data }] });
}

export function deleteSplit(
  store: AggregateStore,
  metricId: string,
  split: SplitId,
): Promise<void> {
  return store.commit(metricId, { deletes: [split] });
}

export function putRawBuffer(
  store: AggregateStore,
  metricId: string,
  data: Uint8Array,
): Promise<void> {
  return store.commit(metricId, { rawBuffer: data });
}
