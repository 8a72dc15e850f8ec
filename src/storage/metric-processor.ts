/**
 * The metric processor (spec carbonara §4, §10.3): turns one sack's pending
 * measures into stored aggregates. The caller holds the sack's lock.
 *
 * PROCESSING ORDER (and why every acknowledged measure is applied exactly once)
 * ------------------------------------------------------------------------------
 * 1. `incoming.read(sack)` returns the pending batches of every metric of the
 *    sack up to a position `end`, and a marker naming (store id, end).
 * 2. The catalog says which of those metrics are active, and their policies.
 * 3. For each active metric, in memory only:
 *    a. the stored incoming marker is read; `unappliedMeasures` drops every
 *       batch at or below it (already folded into the aggregates by an earlier
 *       commit whose release was lost in a crash). Nothing left: skip.
 *    b. the raw buffer is taken from the cache (else read from the store and
 *       decoded; damaged → reported, start empty, §6.6) and `applyMeasures`
 *       merges the measures into it in place (late ones dropped, §4.2) and
 *       recomputes the touched buckets (§4.3);
 *    c. each fresh aggregate is truncated to its timespan (§4.4) and cut into
 *       splits; each is merged into the stored split, held as a SplitTail
 *       (cache, else store) so only its open tail is re-encoded (fresh
 *       buckets win), and written as an append to the stored split's chain
 *       (the newly sealed chunk and the new tail, not the whole split; see
 *       aggregate-store.ts); when the oldest mutable split key moved, splits
 *       older than the one holding `newest − timespan` are deleted;
 *    d. ONE commit is issued: every split append and delete, the new raw
 *       buffer and the read's marker. The aggregate store applies it atomically: after
 *       a crash either all of it is there or none of it. A metric whose
 *       measures were all late still commits its marker.
 * 4. Once every commit of the sack is durable, `incoming.release(handle)`
 *    deletes exactly the batches read (appends made meanwhile are kept).
 *    Measures of unknown or deleted metrics are released without effect.
 *
 * A crash before a metric's commit leaves its batches pending and its stored
 * state as before: the next read applies them, once. A crash after the commit
 * but before (or during) the release brings the batches back, but the marker
 * committed with the aggregates covers them, so step 3a skips them: never
 * applied twice. Batches appended after the read have positions above the
 * marker, so the marker never hides them. Because the buffer, the splits and
 * the marker move together, a state "aggregates include batch B but the
 * marker does not" (or the reverse) cannot be observed.
 */
import type { ArchivePolicy } from "../carbonara/archive-policy.js";
import {
  applyMeasures,
  firstBlockTimestamp,
  type ProcessingPlan,
  processingPlan,
  RawSeries,
} from "../carbonara/bound-timeserie.js";
import { encodeRawBuffer } from "../carbonara/raw-codec.js";
import { truncateToTimespan } from "../carbonara/series-ops.js";
import { oldestRetainedSplitKey, splitKey, splitSerie } from "../carbonara/split-key.js";
import { type SplitChunksChange, SplitTail } from "../carbonara/split-tail.js";
import type { Micros } from "../carbonara/time.js";
import { EMPTY_SERIE, type TimeSerie } from "../carbonara/timeserie.js";
import {
  type AggregateStore,
  MAX_SPLIT_CHAIN,
  type MetricCommit,
  type SplitAppend,
  type SplitId,
} from "./aggregate-store.js";
import { type IncomingStore, type PendingMeasures, unappliedMeasures } from "./incoming.js";
import type { MetricCatalog } from "./metric-catalog.js";
import { rawKey, SeriesCache, splitCacheKey, tailKey } from "./series-cache.js";
import { CorruptionReporter } from "./series-corruption.js";

export interface MetricProcessorOptions {
  readonly incoming: IncomingStore;
  readonly aggregates: AggregateStore;
  readonly catalog: MetricCatalog;
  /** Shared with the reader; default: a private 256 MiB cache. */
  readonly cache?: SeriesCache;
  /** Shared with the reader; default: reports to stderr. */
  readonly corruption?: CorruptionReporter;
  /** One read takes about this many bytes of batches at most (default 64 MiB); the rest waits. */
  readonly readMaxBytes?: number;
  /** A metric whose measures the engine rejected (they are discarded); default: stderr. */
  readonly onMetricError?: (metricId: string, error: unknown) => void;
}

export interface SackProcessing {
  readonly sack: number;
  /** Active metrics whose measures were processed. */
  readonly metrics: number;
  /** Measures read for active metrics (including already-applied and late ones). */
  readonly measures: number;
  /** Measures merged into raw buffers. */
  readonly accepted: number;
  /** Measures older than the mutable window (§4.2). */
  readonly late: number;
  /** Measures skipped because an earlier commit's marker covers them (crash recovery). */
  readonly alreadyApplied: number;
  /** Measures of unknown or deleted metrics, discarded. */
  readonly discarded: number;
}

export interface ProcessorStats {
  sacks: number;
  commits: number;
  measures: number;
  accepted: number;
  late: number;
  alreadyApplied: number;
  discarded: number;
  metricErrors: number;
}

/** Per-policy data computed once. */
interface PolicyInfo {
  readonly plan: ProcessingPlan;
  readonly timespans: Map<Micros, Micros | null>;
}

interface SplitWork {
  readonly id: SplitId;
  readonly fresh: TimeSerie;
  /** Keep the merged split in the cache (the newest split of its aggregation). */
  readonly newest: boolean;
  /** The stored split opened for appending (from the cache or the store); none: a new split. */
  tail: SplitTail | undefined;
  /** Write the whole split (a new chain) rather than append to the stored one. */
  readonly whole: boolean;
  readonly cacheKey: string;
}

/** After the commit: drop `key`, or store `tail` under it. */
interface CacheUpdate {
  readonly key: string;
  readonly tail?: SplitTail;
}

/** A commit in flight (wrapped: awaiting a bare promise would wait for the commit). */
interface Issued {
  readonly done: Promise<void>;
}

const policyInfos = new WeakMap<ArchivePolicy, PolicyInfo>();

/** The same points for sure: views of the same bytes (aggregates are never changed in place). */
function sameArrays(a: TimeSerie, b: TimeSerie): boolean {
  return sameView(a.timestamps, b.timestamps) && sameView(a.values, b.values);
}

function sameView(a: Float64Array, b: Float64Array): boolean {
  return a.buffer === b.buffer && a.byteOffset === b.byteOffset && a.length === b.length;
}

function policyInfo(policy: ArchivePolicy): PolicyInfo {
  let info = policyInfos.get(policy);
  if (info === undefined) {
    info = {
      plan: processingPlan(policy),
      timespans: new Map(policy.definition.map((item) => [item.granularity, item.timespan])),
    };
    policyInfos.set(policy, info);
  }
  return info;
}

export class MetricProcessor {
  readonly stats: ProcessorStats = {
    sacks: 0,
    commits: 0,
    measures: 0,
    accepted: 0,
    late: 0,
    alreadyApplied: 0,
    discarded: 0,
    metricErrors: 0,
  };
  readonly incoming: IncomingStore;
  readonly aggregates: AggregateStore;
  readonly catalog: MetricCatalog;
  readonly cache: SeriesCache;
  readonly corruption: CorruptionReporter;
  private readonly readMaxBytes: number;
  private readonly onMetricError: (metricId: string, error: unknown) => void;

  constructor(options: MetricProcessorOptions) {
    this.incoming = options.incoming;
    this.aggregates = options.aggregates;
    this.catalog = options.catalog;
    this.cache = options.cache ?? new SeriesCache();
    this.corruption = options.corruption ?? new CorruptionReporter();
    this.readMaxBytes = options.readMaxBytes ?? 64 * 1024 * 1024;
    this.onMetricError =
      options.onMetricError ??
      ((metricId, error) => {
        console.error(`gnocchi-ts metricd: measures of metric ${metricId} rejected:`, error);
      });
  }

  /**
   * Processes the sack's pending measures (only those of `metrics` when given:
   * API refresh). The caller must hold the sack's lock. Throws on storage
   * failure, after every commit already issued has settled; nothing is
   * released then, and the next run resumes safely (see the note above).
   */
  async processSack(sack: number, metrics?: ReadonlySet<string>): Promise<SackProcessing> {
    const read = await this.incoming.read(sack, {
      ...(metrics ? { metrics } : {}),
      maxBytes: this.readMaxBytes,
    });
    const result = {
      sack,
      metrics: 0,
      measures: 0,
      accepted: 0,
      late: 0,
      alreadyApplied: 0,
      discarded: 0,
    };
    if (read.metrics.length === 0) {
      await this.incoming.release(read.handle);
      return result;
    }
    const policies = await this.catalog.activeMetrics(read.metrics.map((p) => p.metricId));
    const commits: Promise<unknown>[] = [];
    let failure: unknown;
    for (const pending of read.metrics) {
      const policy = policies.get(pending.metricId);
      if (policy === undefined) {
        result.discarded += pending.timestamps.length;
        continue;
      }
      result.metrics++;
      result.measures += pending.timestamps.length;
      try {
        const issued = await this.processMetric(pending, policy, result);
        if (issued !== undefined) commits.push(issued.done);
      } catch (error) {
        failure = error;
        break;
      }
    }
    const settled = await Promise.allSettled(commits);
    for (const s of settled) if (s.status === "rejected") failure ??= s.reason;
    this.stats.sacks++;
    this.stats.measures += result.measures;
    this.stats.accepted += result.accepted;
    this.stats.late += result.late;
    this.stats.alreadyApplied += result.alreadyApplied;
    this.stats.discarded += result.discarded;
    if (failure !== undefined) throw failure;
    await this.incoming.release(read.handle);
    return result;
  }

  /**
   * Computes one metric's commit and issues it without waiting for it;
   * undefined when there was nothing to write.
   */
  private async processMetric(
    pending: PendingMeasures,
    policy: ArchivePolicy,
    result: { accepted: number; late: number; alreadyApplied: number },
  ): Promise<Issued | undefined> {
    const id = pending.metricId;
    const applied = await this.aggregates.getIncomingMarker(id);
    const measures = unappliedMeasures(pending, applied);
    result.alreadyApplied += pending.timestamps.length - measures.timestamps.length;
    if (measures.timestamps.length === 0) return undefined;

    const { plan, timespans } = policyInfo(policy);
    // Taken out of the cache: changed in place, put back once the commit is durable.
    const raw = await this.loadRawSeries(id);
    // Measures the engine cannot take (the API should have refused them) are
    // reported and consumed, so one bad batch cannot block its sack forever.
    const rejectMeasures = (error: unknown) => {
      this.stats.metricErrors++;
      this.onMetricError(id, error);
      return this.issue(id, { incomingMarker: pending.marker }, undefined, []);
    };
    const previousFirstBlock = raw.length > 0 ? firstBlockTimestamp(raw.view(), plan) : undefined;
    let processed: ReturnType<typeof applyMeasures>;
    try {
      for (let i = 0; i < measures.timestamps.length; i++) {
        if (!Number.isSafeInteger(measures.timestamps[i]!)) {
          throw new RangeError(`timestamp ${measures.timestamps[i]} is not an integer of µs`);
        }
      }
      processed = applyMeasures(plan, raw, measures);
    } catch (error) {
      return rejectMeasures(error);
    }
    result.accepted += processed.accepted;
    result.late += processed.dropped;
    if (processed.accepted === 0) {
      return this.issue(id, { incomingMarker: pending.marker }, raw, []);
    }

    const firstBlock = firstBlockTimestamp(raw.view(), plan);
    const deletes: SplitId[] = [];
    const work: SplitWork[] = [];
    const unused: { key: string; tail: SplitTail }[] = [];
    for (const aggregate of processed.aggregates) {
      const { method, granularity } = aggregate;
      const timespan = timespans.get(granularity) ?? null;
      const fresh = truncateToTimespan(aggregate, timespan);
      const n = fresh.timestamps.length;
      if (n === 0) continue;
      const newest = fresh.timestamps[n - 1]!;
      let oldestKept = Number.NEGATIVE_INFINITY;
      if (timespan !== null) {
        oldestKept = oldestRetainedSplitKey(newest, timespan, granularity);
        // Lazily (§4.4): only when time moved the oldest mutable split key.
        if (
          previousFirstBlock !== undefined &&
          splitKey(previousFirstBlock, granularity) !== splitKey(firstBlock, granularity)
        ) {
          for (const key of await this.aggregates.listSplitKeys(id, method, granularity)) {
            if (key >= oldestKept) break;
            deletes.push({ method, granularity, key });
          }
        }
      }
      const cacheKey = tailKey(id, method, granularity);
      let cached = this.cache.take<SplitTail>(cacheKey);
      const splits = splitSerie(fresh, granularity);
      splits.forEach((s, i) => {
        if (s.key < oldestKept) return;
        let tail: SplitTail | undefined;
        if (cached !== undefined && cached.key === s.key) {
          tail = cached;
          cached = undefined;
        }
        const split = { method, granularity, key: s.key };
        work.push({
          id: split,
          fresh: s.serie,
          newest: i === splits.length - 1,
          tail,
          whole: this.writesWhole(id, split),
          cacheKey,
        });
      });
      // The cached tail was not touched (late data for an older split): it stays valid.
      if (cached !== undefined) unused.push({ key: cacheKey, tail: cached });
    }
    for (const u of unused) this.cache.putMutable(id, u.key, u.tail);

    // Stored splits not in the cache: one batched read, opened for appending.
    const missing: SplitWork[] = [];
    for (const w of work) if (w.tail === undefined) missing.push(w);
    if (missing.length > 0) {
      const bytes = await this.aggregates.getSplits(
        id,
        missing.map((w) => w.id),
      );
      missing.forEach((w, i) => {
        const b = bytes[i];
        if (b !== undefined) w.tail = this.corruption.decodeSplitTail(id, w.id, b);
      });
    }

    const appends: SplitAppend[] = [];
    const toCache: CacheUpdate[] = [];
    let rawBuffer: Uint8Array;
    try {
      const leaders = MetricProcessor.leaders(work);
      const tails: SplitTail[] = new Array(work.length);
      const changes: SplitChunksChange[] = new Array(work.length);
      work.forEach((w, i) => {
        const tail = w.tail ?? new SplitTail(w.id.key, w.id.granularity);
        const leader = leaders[i]!;
        if (leader >= 0) {
          tail.copyFrom(tails[leader]!);
          changes[i] = changes[leader]!;
        } else {
          changes[i] = tail.appendChunks(w.fresh, w.whole);
        }
        tails[i] = tail;
        const change = changes[i]!;
        appends.push({
          split: w.id,
          keep: change.keep,
          chunks: change.chunks,
          count: change.count,
        });
        // Decoded copies a reader cached are stale now; the newest split's tail is kept.
        toCache.push({ key: splitCacheKey(id, w.id.method, w.id.granularity, w.id.key) });
        if (w.newest) toCache.push({ key: w.cacheKey, tail });
      });
      rawBuffer = encodeRawBuffer(raw.view());
    } catch (error) {
      return rejectMeasures(error);
    }
    return this.issue(
      id,
      { appends, deletes, rawBuffer, incomingMarker: pending.marker },
      raw,
      toCache,
      deletes,
    );
  }

  /** Whether the split is written whole: absent, stored whole by a put, or with a long chain. */
  private writesWhole(id: string, split: SplitId): boolean {
    const chain = this.aggregates.splitChainLength(id, split);
    return chain === 0 || chain >= MAX_SPLIT_CHAIN;
  }

  /**
   * Per split work, the index of an earlier one making the very same change
   * (else −1): the same fresh arrays (at the finest granularity, mean and sum,
   * or min, max and last, share their buckets), a split alike bit for bit and
   * the same whole-or-append choice.
   */
  private static leaders(work: readonly SplitWork[]): Int32Array {
    const leaders = new Int32Array(work.length).fill(-1);
    for (let i = 0; i < work.length; i++) {
      const w = work[i]!;
      for (let j = 0; j < i; j++) {
        const l = work[j]!;
        if (
          leaders[j] === -1 &&
          l.whole === w.whole &&
          l.id.key === w.id.key &&
          sameArrays(l.fresh, w.fresh) &&
          (l.tail === undefined
            ? w.tail === undefined
            : w.tail !== undefined && l.tail.sameAs(w.tail))
        ) {
          leaders[i] = j;
          break;
        }
      }
    }
    return leaders;
  }

  /** Issues the commit; on success refreshes the cache, on failure forgets the metric. */
  private issue(
    id: string,
    commit: MetricCommit,
    raw: RawSeries | undefined,
    toCache: readonly CacheUpdate[],
    deletes: readonly SplitId[] = [],
  ): Issued {
    this.stats.commits++;
    const done = this.aggregates.commit(id, commit).then(
      () => {
        this.cache.bump(id);
        if (raw !== undefined) this.cache.putMutable(id, rawKey(id), raw);
        for (const d of deletes) {
          this.cache.delete(splitCacheKey(id, d.method, d.granularity, d.key));
        }
        for (const c of toCache) {
          if (c.tail === undefined) this.cache.delete(c.key);
          else this.cache.putMutable(id, c.key, c.tail);
        }
      },
      (error: unknown) => {
        this.cache.invalidateMetric(id);
        throw error;
      },
    );
    // Settled later by processSack; mark it handled so an early failure is not "unhandled".
    done.catch(() => {});
    return { done };
  }

  /** The raw buffer, taken out of the cache (else loaded from the store; empty when none). */
  private async loadRawSeries(id: string): Promise<RawSeries> {
    const cached = this.cache.take<RawSeries>(rawKey(id));
    if (cached !== undefined) return cached;
    const bytes = await this.aggregates.getRawBuffer(id);
    const serie = bytes === undefined ? undefined : this.corruption.decodeRawBuffer(id, bytes);
    return RawSeries.copyOf(serie ?? EMPTY_SERIE);
  }
}
