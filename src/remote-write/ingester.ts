/**
 * Prometheus remote_write ingestion, the service behind `POST /api/v1/write`
 * and `POST /v1/prometheus/write`: snappy block → WriteRequest scan →
 * series → metrics → ONE durable `incoming.append` for the whole request.
 *
 * Per request, for each series (write-request.ts gives its encoded label
 * bytes and hash, and its samples in shared Float64Arrays):
 * 1. hit: the creator's {@link SeriesCache} knows the bytes → a slot (one per
 *    metric); the first time a request meets a slot it becomes a *group*
 *    (one per metric per request), through per-slot stamp arrays, no Map;
 * 2. miss: labels decoded and checked (labels.ts), all misses of the request
 *    resolved in one batch (series-resolver.ts), then cached;
 * 3. cached slots older than the cache TTL are re-checked in one query (a
 *    metric deleted through the API is forgotten and its series recreated).
 * Samples are then laid out per group (views on the decoded arrays when each
 * metric has one series in the request, else one copy into two new arrays)
 * and appended in one call: the request is stored whole or not at all, and
 * acknowledged only once durable. Everything that can reject a request
 * (decoding, timestamps, labels, policy, conflicts) happens before it.
 *
 * At most `maxInFlight` requests are processed at once; more get a 503 with
 * `Retry-After` instead of piling up in memory.
 */
import type { Logger } from "pino";
import type { SqlDriver } from "../indexer/driver.js";
import { sqlState } from "../indexer/driver.js";
import type { IncomingStore, MeasureBatch } from "../storage/incoming.js";
import { WriteUnavailableError } from "./errors.js";
import { decodeLabels } from "./labels.js";
import { SeriesCache } from "./series-cache.js";
import { type Caller, type NewSeries, SeriesResolver } from "./series-resolver.js";
import { Sightings } from "./sightings.js";
import { snappyUncompress } from "./snappy.js";
import { type DecodedWrite, decodeWriteRequest } from "./write-request.js";

export type { Caller } from "./series-resolver.js";

export interface RemoteWriteOptions {
  readonly db: SqlDriver;
  readonly incoming: Pick<IncomingStore, "append">;
  /** Archive policy of new metrics (default `prometheus`); "" or a missing policy: the rules. */
  readonly archivePolicy?: string;
  /** Largest decompressed body (default 64 MiB): larger is a 413. */
  readonly maxDecodedBytes?: number;
  /** Requests processed at once (default 64); more get 503. */
  readonly maxInFlight?: number;
  /** How long a cached series is trusted before its metric is checked again (default 60 s). */
  readonly cacheTtlMs?: number;
  /** Key bytes cached per creator before the cache starts over (default 256 MiB). */
  readonly cacheBytes?: number;
  /** How often label sets' `last_seen` is updated (default 30 s; 0: only on close). */
  readonly sightingsIntervalMs?: number;
  readonly logger?: Logger;
}

export interface WriteSummary {
  /** TimeSeries entries with samples. */
  readonly series: number;
  readonly samples: number;
  /** Series that were not cached. */
  readonly resolved: number;
}

export const DEFAULT_REMOTE_WRITE_POLICY = "prometheus";

/** Per creator: resource ids (hence metrics) depend on who writes. */
class Tenant {
  readonly cache: SeriesCache;
  stamp = new Int32Array(1024);
  group = new Int32Array(1024);

  constructor(ttlMs: number, bytes: number) {
    this.cache = new SeriesCache(ttlMs, bytes);
  }

  ensureSlots(slot: number): void {
    if (slot < this.stamp.length) return;
    const n = Math.max(slot + 1, this.stamp.length * 2);
    const stamp = new Int32Array(n);
    stamp.set(this.stamp);
    const group = new Int32Array(n);
    group.set(this.group);
    this.stamp = stamp;
    this.group = group;
  }
}

/** What one request's series map to. */
interface Grouping {
  /** Group of each series; -1 while unresolved. */
  readonly seriesGroup: Int32Array;
  /** Metric id of each group ("" for a group emptied by eviction). */
  readonly groupMetric: string[];
}

export class RemoteWriteIngester {
  readonly #tenants = new Map<string, Tenant>();
  readonly #resolver: SeriesResolver;
  readonly #sightings: Sightings;
  readonly #incoming: Pick<IncomingStore, "append">;
  readonly #db: SqlDriver;
  readonly #maxDecodedBytes: number;
  readonly #maxInFlight: number;
  readonly #ttlMs: number;
  readonly #cacheBytes: number;
  readonly #logger: Logger | undefined;
  #inFlight = 0;
  #stamp = 0;

  constructor(options: RemoteWriteOptions) {
    this.#db = options.db;
    this.#incoming = options.incoming;
    this.#resolver = new SeriesResolver(
      options.db,
      options.archivePolicy ?? DEFAULT_REMOTE_WRITE_POLICY,
    );
    this.#maxDecodedBytes = options.maxDecodedBytes ?? 64 * 1024 * 1024;
    this.#maxInFlight = options.maxInFlight ?? 64;
    this.#ttlMs = options.cacheTtlMs ?? 60_000;
    this.#cacheBytes = options.cacheBytes ?? 256 * 1024 * 1024;
    this.#logger = options.logger;
    this.#sightings = new Sightings(options.db, options.sightingsIntervalMs ?? 30_000, (error) =>
      this.#logger?.warn({ err: error }, "remote write: updating label sets' last_seen failed"),
    );
  }

  /**
   * Stores a snappy-compressed WriteRequest; resolves once durable.
   * @throws RemoteWriteError (status 400, 403, 409, 413, 503), or an internal error
   */
  async write(body: Uint8Array, caller: Caller): Promise<WriteSummary> {
    if (this.#inFlight >= this.#maxInFlight) {
      throw new WriteUnavailableError(`more than ${this.#maxInFlight} remote writes in flight`);
    }
    this.#inFlight++;
    try {
      return await this.#write(body, caller);
    } finally {
      this.#inFlight--;
    }
  }

  /** Stops the background `last_seen` updates after a last one. */
  close(): Promise<void> {
    return this.#sightings.close();
  }

  async #write(body: Uint8Array, caller: Caller): Promise<WriteSummary> {
    const d = decodeWriteRequest(snappyUncompress(body, this.#maxDecodedBytes));
    if (d.seriesCount === 0) return { series: 0, samples: 0, resolved: 0 };
    const tenant = this.#tenant(caller.creator);
    const now = Date.now();
    const { grouping, misses, stale } = this.#lookup(d, tenant, now);
    if (stale.length > 0) await this.#revalidate(tenant, grouping, stale, misses);
    if (misses.length > 0) await this.#resolve(d, tenant, grouping, misses, caller, now);
    const batches = layOut(d, grouping);
    try {
      await this.#incoming.append(batches);
    } catch (error) {
      throw new WriteUnavailableError("storage unavailable: the samples were not stored", 5, {
        cause: error,
      });
    }
    for (const b of batches) this.#sightings.add(b.metricId);
    return { series: d.seriesCount, samples: d.sampleTotal, resolved: misses.length };
  }

  #tenant(creator: string): Tenant {
    let t = this.#tenants.get(creator);
    if (t === undefined) {
      t = new Tenant(this.#ttlMs, this.#cacheBytes);
      this.#tenants.set(creator, t);
    }
    return t;
  }

  /** Step 1, synchronous: cached series → groups; the rest → misses. */
  #lookup(
    d: DecodedWrite,
    tenant: Tenant,
    now: number,
  ): { grouping: Grouping; misses: number[]; stale: number[] } {
    this.#stamp = (this.#stamp + 1) | 0;
    if (this.#stamp === 0) {
      // Wrapped after 2^32 requests: old stamps could match again, forget them all.
      for (const t of this.#tenants.values()) t.stamp.fill(0);
      this.#stamp = 1;
    }
    const stamp = this.#stamp;
    const cache = tenant.cache;
    const seriesGroup = new Int32Array(d.seriesCount);
    const groupMetric: string[] = [];
    const misses: number[] = [];
    const stale: number[] = [];
    const { buf, bufView, gathered, gatheredView, keyStart, keyEnd, keyHash } = d;
    for (let i = 0; i < d.seriesCount; i++) {
      const s = keyStart[i]!;
      const slot =
        s >= 0
          ? cache.lookup(buf, s, keyEnd[i]!, keyHash[i]!, bufView)
          : cache.lookup(gathered, ~s, keyEnd[i]!, keyHash[i]!, gatheredView);
      if (slot < 0) {
        seriesGroup[i] = -1;
        misses.push(i);
        continue;
      }
      tenant.ensureSlots(slot);
      if (tenant.stamp[slot] === stamp) {
        seriesGroup[i] = tenant.group[slot]!;
        continue;
      }
      const g = groupMetric.length;
      tenant.stamp[slot] = stamp;
      tenant.group[slot] = g;
      groupMetric.push(cache.metricId(slot));
      seriesGroup[i] = g;
      if (cache.isStale(slot, now)) {
        // Confirmed optimistically so concurrent requests do not check it too.
        cache.confirm(slot, now);
        stale.push(slot);
      }
    }
    return { grouping: { seriesGroup, groupMetric }, misses, stale };
  }

  /** Step 3: cached metrics past their TTL still exist? Those that do not become misses. */
  async #revalidate(
    tenant: Tenant,
    grouping: Grouping,
    slots: number[],
    misses: number[],
  ): Promise<void> {
    const cache = tenant.cache;
    const ids = slots.map((s) => cache.metricId(s));
    let alive: Set<string>;
    try {
      const r = await this.#db.query<{ id: string }>(
        `SELECT id::text FROM metric
          WHERE id = ANY($1::uuid[]) AND status = 'active' AND resource_id IS NOT NULL`,
        [ids],
      );
      alive = new Set(r.rows.map((row) => row.id));
    } catch (error) {
      // The indexer is down: keep trusting the cache, the samples are safe in incoming.
      this.#logger?.warn({ err: error }, "remote write: cannot re-check cached series");
      return;
    }
    const gone = new Set<string>();
    slots.forEach((slot, k) => {
      if (alive.has(ids[k]!)) return;
      gone.add(ids[k]!);
      cache.evict(slot);
    });
    if (gone.size === 0) return;
    const { seriesGroup, groupMetric } = grouping;
    for (let i = 0; i < seriesGroup.length; i++) {
      const g = seriesGroup[i]!;
      if (g >= 0 && gone.has(groupMetric[g]!)) {
        seriesGroup[i] = -1;
        misses.push(i);
      }
    }
    groupMetric.forEach((id, g) => {
      if (gone.has(id)) groupMetric[g] = "";
    });
    misses.sort((a, b) => a - b);
  }

  /** Step 2: every miss decoded and checked first, then resolved in one batch and cached. */
  async #resolve(
    d: DecodedWrite,
    tenant: Tenant,
    grouping: Grouping,
    misses: readonly number[],
    caller: Caller,
    now: number,
  ): Promise<void> {
    const unique = new Map<string, NewSeries & { series: number[] }>();
    for (const i of misses) {
      const s = d.keyStart[i]!;
      const labels =
        s >= 0 ? decodeLabels(d.buf, s, d.keyEnd[i]!) : decodeLabels(d.gathered, ~s, d.keyEnd[i]!);
      let seenAt = Number.POSITIVE_INFINITY;
      const first = d.sampleStart[i]!;
      for (let k = first; k < first + d.sampleCount[i]!; k++) {
        seenAt = Math.min(seenAt, d.timestamps[k]!);
      }
      const canonical = JSON.stringify(labels.pairs);
      const known = unique.get(canonical);
      if (known === undefined) unique.set(canonical, { labels, seenAt, series: [i] });
      else known.series.push(i);
    }
    const news = [...unique.values()];
    let ids: string[];
    try {
      ids = await this.#resolver.resolve(news, caller);
    } catch (error) {
      throw retryable(error)
        ? new WriteUnavailableError("indexer unavailable", 5, { cause: error })
        : error;
    }
    const { seriesGroup, groupMetric } = grouping;
    const groupOf = new Map<string, number>();
    groupMetric.forEach((id, g) => {
      if (id !== "") groupOf.set(id, g);
    });
    news.forEach((n, k) => {
      const id = ids[k]!;
      let g = groupOf.get(id);
      if (g === undefined) {
        g = groupMetric.length;
        groupMetric.push(id);
        groupOf.set(id, g);
      }
      for (const i of n.series) {
        seriesGroup[i] = g;
        const s = d.keyStart[i]!;
        if (s >= 0) tenant.cache.insert(d.buf, s, d.keyEnd[i]!, d.keyHash[i]!, id, now);
        else tenant.cache.insert(d.gathered, ~s, d.keyEnd[i]!, d.keyHash[i]!, id, now);
      }
    });
  }
}

/**
 * One MeasureBatch per metric, samples in request order: views on the
 * decoded arrays when no metric has two series in the request (the usual
 * case), else one copy grouped by metric.
 */
function layOut(d: DecodedWrite, grouping: Grouping): MeasureBatch[] {
  const { seriesGroup, groupMetric } = grouping;
  const groups = groupMetric.length;
  const counts = new Int32Array(groups);
  const seriesPerGroup = new Int32Array(groups);
  let shared = false;
  for (let i = 0; i < d.seriesCount; i++) {
    const g = seriesGroup[i]!;
    counts[g] = counts[g]! + d.sampleCount[i]!;
    seriesPerGroup[g] = seriesPerGroup[g]! + 1;
    if (seriesPerGroup[g]! > 1) shared = true;
  }
  const batches: MeasureBatch[] = [];
  if (!shared) {
    for (let i = 0; i < d.seriesCount; i++) {
      const from = d.sampleStart[i]!;
      const to = from + d.sampleCount[i]!;
      batches.push({
        metricId: groupMetric[seriesGroup[i]!]!,
        timestamps: d.timestamps.subarray(from, to),
        values: d.values.subarray(from, to),
      });
    }
    return batches;
  }
  const offsets = new Int32Array(groups + 1);
  for (let g = 0; g < groups; g++) offsets[g + 1] = offsets[g]! + counts[g]!;
  const timestamps = new Float64Array(d.sampleTotal);
  const values = new Float64Array(d.sampleTotal);
  const fill = offsets.slice(0, groups);
  for (let i = 0; i < d.seriesCount; i++) {
    const g = seriesGroup[i]!;
    const from = d.sampleStart[i]!;
    const n = d.sampleCount[i]!;
    const at = fill[g]!;
    timestamps.set(d.timestamps.subarray(from, from + n), at);
    values.set(d.values.subarray(from, from + n), at);
    fill[g] = at + n;
  }
  for (let g = 0; g < groups; g++) {
    if (counts[g] === 0) continue;
    batches.push({
      metricId: groupMetric[g]!,
      timestamps: timestamps.subarray(offsets[g]!, offsets[g + 1]!),
      values: values.subarray(offsets[g]!, offsets[g + 1]!),
    });
  }
  return batches;
}

const RETRYABLE_CODES = new Set(["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "EPIPE", "ENOTCONN"]);

/** A database error worth retrying: connection trouble, server shutting down or overloaded. */
function retryable(error: unknown): boolean {
  const state = sqlState(error);
  if (state !== undefined) return /^(08|40|53|57|58)/.test(state);
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" && RETRYABLE_CODES.has(code);
}
