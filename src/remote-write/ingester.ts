/**
 * Prometheus remote_write ingestion, the service behind `POST /api/v1/write`
 * and `POST /v1/prometheus/write`: snappy block (into a reused buffer) →
 * WriteRequest scan → series → metrics → ONE durable
 * `incoming.appendColumns` for the whole request.
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
 * Samples are then handed over as columns, one run per group (grouping.ts:
 * the decoded arrays themselves when each metric has one series in the
 * request, else one copy grouped by metric), with each metric's id already
 * parsed to its 16 bytes by the cache, in one call: the request is stored
 * whole or not at all, and acknowledged only once durable. Everything that
 * can reject a request (decoding, timestamps, labels, policy, conflicts)
 * happens before it. Label sets' `last_seen` is recorded per cached metric
 * once per {@link Sightings} epoch, not per sample. Given the process's
 * LabelStore, new label sets go into its index as they are stored, known
 * ones cost no SQL, and each metric's in-memory last seen time follows its
 * requests (at most once a second per metric).
 *
 * At most `maxInFlight` requests are processed at once; more get a 503 with
 * `Retry-After` instead of piling up in memory.
 */
import type { Logger } from "pino";
import type { SqlDriver } from "../indexer/driver.js";
import { sqlState } from "../indexer/driver.js";
import { Sightings } from "../indexer/label-sightings.js";
import type { LabelStore } from "../indexer/label-store.js";
import type { IncomingStore } from "../storage/incoming.js";
import { WriteUnavailableError } from "./errors.js";
import { Grouping } from "./grouping.js";
import { decodeLabels } from "./labels.js";
import { SeriesCache } from "./series-cache.js";
import { type Caller, type NewSeries, SeriesResolver } from "./series-resolver.js";
import { snappyUncompress } from "./snappy.js";
import { type DecodedWrite, decodeWriteRequest } from "./write-request.js";

export type { Caller } from "./series-resolver.js";

export interface RemoteWriteOptions {
  readonly db: SqlDriver;
  readonly incoming: Pick<IncomingStore, "appendColumns">;
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
  /** The process's label index (server.ts shares it with PromQL); none: SQL only. */
  readonly labelStore?: LabelStore;
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

/** How stale a metric's in-memory last seen time may get while it keeps receiving samples. */
const SEE_EVERY_MS = 1_000;

/** Per creator: resource ids (hence metrics) depend on who writes. */
class Tenant {
  readonly cache: SeriesCache;
  stamp = new Int32Array(1024);
  group = new Int32Array(1024);
  /** The Sightings epoch in which each slot's metric was last recorded. */
  sighted = new Int32Array(1024);
  /** ms: when each slot's metric last widened the in-memory index. */
  seen = new Float64Array(1024);

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
    const sighted = new Int32Array(n);
    sighted.set(this.sighted);
    const seen = new Float64Array(n);
    seen.set(this.seen);
    this.stamp = stamp;
    this.group = group;
    this.sighted = sighted;
    this.seen = seen;
  }
}

export class RemoteWriteIngester {
  readonly #tenants = new Map<string, Tenant>();
  readonly #resolver: SeriesResolver;
  readonly #sightings: Sightings;
  readonly #incoming: Pick<IncomingStore, "appendColumns">;
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
      options.labelStore,
    );
    this.#maxDecodedBytes = options.maxDecodedBytes ?? 64 * 1024 * 1024;
    this.#maxInFlight = options.maxInFlight ?? 64;
    this.#ttlMs = options.cacheTtlMs ?? 60_000;
    this.#cacheBytes = options.cacheBytes ?? 256 * 1024 * 1024;
    this.#logger = options.logger;
    this.#sightings = new Sightings(
      options.db,
      options.sightingsIntervalMs ?? 30_000,
      (error) =>
        this.#logger?.warn({ err: error }, "remote write: updating label sets' last_seen failed"),
      options.labelStore,
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
    const raw = snappyUncompress(body, this.#maxDecodedBytes);
    return await this.#store(decodeWriteRequest(raw), caller);
  }

  async #store(d: DecodedWrite, caller: Caller): Promise<WriteSummary> {
    if (d.seriesCount === 0) return { series: 0, samples: 0, resolved: 0 };
    const tenant = this.#tenant(caller.creator);
    const now = Date.now();
    const generation = tenant.cache.generation;
    const { grouping, misses, stale } = this.#lookup(d, tenant, now);
    if (stale.length > 0) await this.#revalidate(tenant, grouping, stale, misses);
    if (misses.length > 0) await this.#resolve(d, tenant, grouping, misses, caller, now);
    const columns = grouping.columns(d);
    try {
      await this.#incoming.appendColumns(columns);
    } catch (error) {
      throw new WriteUnavailableError("storage unavailable: the samples were not stored", 5, {
        cause: error,
      });
    }
    this.#sight(tenant, grouping, tenant.cache.generation === generation, now);
    return { series: d.seriesCount, samples: d.sampleTotal, resolved: misses.length };
  }

  /**
   * Records the request's metrics for `last_seen`, each cached one once per
   * Sightings epoch; with an in-memory index, its range follows every
   * request (once a second per metric at most: one typed-array read otherwise).
   */
  #sight(tenant: Tenant, grouping: Grouping, slotsValid: boolean, now: number): void {
    const sightings = this.#sightings;
    const epoch = sightings.epoch;
    const inMemory = sightings.inMemory;
    const { groupMetric } = grouping;
    for (let g = 0; g < groupMetric.length; g++) {
      const id = groupMetric[g]!;
      if (id === "") continue;
      const slot = slotsValid ? grouping.slotOf(g) : -1;
      if (slot >= 0) {
        if (tenant.sighted[slot] === epoch) {
          if (inMemory && now - tenant.seen[slot]! >= SEE_EVERY_MS) {
            tenant.seen[slot] = now;
            sightings.see(id, now);
          }
          continue;
        }
        tenant.sighted[slot] = epoch;
        tenant.seen[slot] = now;
      }
      sightings.add(id, now);
    }
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
    const grouping = new Grouping(d.seriesCount);
    const { seriesGroup } = grouping;
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
      const g = grouping.add(slot, cache.metricId(slot), cache.metricUuids, 16 * slot);
      tenant.stamp[slot] = stamp;
      tenant.group[slot] = g;
      seriesGroup[i] = g;
      if (cache.isStale(slot, now)) {
        // Confirmed optimistically so concurrent requests do not check it too.
        cache.confirm(slot, now);
        stale.push(slot);
      }
    }
    return { grouping, misses, stale };
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
      for (const i of n.series) {
        const s = d.keyStart[i]!;
        const slot =
          s >= 0
            ? tenant.cache.insert(d.buf, s, d.keyEnd[i]!, d.keyHash[i]!, id, now)
            : tenant.cache.insert(d.gathered, ~s, d.keyEnd[i]!, d.keyHash[i]!, id, now);
        // The cache's id (flat, canonical) rather than the indexer's string: see SeriesCache.
        const metricId = tenant.cache.metricId(slot);
        let g = groupOf.get(metricId);
        if (g === undefined) {
          g = grouping.add(slot, metricId, tenant.cache.metricUuids, 16 * slot);
          groupOf.set(metricId, g);
        }
        seriesGroup[i] = g;
      }
    });
  }
}

const RETRYABLE_CODES = new Set(["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "EPIPE", "ENOTCONN"]);

/** A database error worth retrying: connection trouble, server shutting down or overloaded. */
function retryable(error: unknown): boolean {
  const state = sqlState(error);
  if (state !== undefined) return /^(08|40|53|57|58)/.test(state);
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" && RETRYABLE_CODES.has(code);
}
