/**
 * The SeriesSource of the HTTP API: PromQL over what /v1 stores.
 *
 * - Selection: the label index (src/indexer/label-store.ts) gives the
 *   metrics whose label set matches; of those, only the active ones the
 *   caller may read (metric-access.ts) are read.
 * - Reads: one stored aggregate per metric, chosen from the selector's
 *   hints (archive-choice.ts), through the storage reader; pending measures
 *   of the selected metrics are processed first (Gnocchi's `refresh`), so a
 *   query sees every sample acknowledged before it started.
 * - Times: a bucket's point carries its start (Gnocchi's convention), in ms.
 *   Where the archive does not downsample (one sample per bucket) that is
 *   the sample's time floored to the granularity.
 * - Staleness: a `last` bucket ending with a staleness marker keeps its
 *   bits; in other methods a NaN bucket can only come from a marker mixed
 *   into the bucket, so it becomes one (the series ended there).
 * - Weights: for `count_over_time` and `avg_over_time` each point carries
 *   its bucket's sample count (the `count` aggregate, SeriesData.weights);
 *   a marker's measure is not counted (`mean` shows the buckets holding one).
 * - Windows shorter than a bucket: over a downsampled archive, the windows
 *   of `rate` and the other functions of two samples are widened to two
 *   buckets (SeriesData.bucketWidth); where they are not (the finest
 *   archive, `predict_linear`, `holt_winters`) such a function can give
 *   nothing, so the series is not read at all.
 * - Times: the reader keeps each aggregation's ms times beside its cached
 *   points (AggregateReader.getMillis), so a repeated query converts nothing.
 *
 * One instance per query: it holds the caller and caches metric rows
 * between the query's selectors.
 */
import type { Credentials } from "../indexer/acl.js";
import type { SqlExecutor } from "../indexer/driver.js";
import type { LabelStore } from "../indexer/label-store.js";
import type { MetricWithPolicy } from "../indexer/metric-store.js";
import type { AggregateReader } from "../storage/aggregate-reader.js";
import type { ArchiveChoice } from "./archive-choice.js";
import { chooseArchive, windowsTooShort } from "./archive-choice.js";
import { type MetricRowCache, readableMetrics } from "./metric-access.js";
import {
  type LabelMatcher,
  type SelectHints,
  type SeriesData,
  type SeriesSource,
  STALE_NAN,
} from "./series-source.js";

export interface StorageSourceOptions {
  readonly db: SqlExecutor;
  readonly reader: Pick<AggregateReader, "getMillis" | "refresh">;
  readonly labels: LabelStore;
  readonly creds: Credentials;
  /** Lock wait of the pending-measure processing, ms (then RefreshTimeoutError, 503). */
  readonly refreshTimeoutMs?: number;
  /** Wall clock, ms (retention decisions). */
  readonly now?: () => number;
  /** Metric rows kept between queries (one per process). */
  readonly metricRows?: MetricRowCache;
}

const EMPTY: readonly SeriesData[] = [];

export class StorageSeriesSource implements SeriesSource {
  readonly #opts: StorageSourceOptions;
  /** Metric rows already checked in this query (null: not readable or not active). */
  readonly #metrics = new Map<string, MetricWithPolicy | null>();
  /** Reads started in this query, so two selectors over the same aggregate share one. */
  readonly #reads = new Map<string, Promise<SeriesData | undefined>>();

  constructor(opts: StorageSourceOptions) {
    this.#opts = opts;
  }

  async select(
    matchers: readonly LabelMatcher[],
    mint: number,
    maxt: number,
    hints: SelectHints,
  ): Promise<readonly SeriesData[]> {
    // A series first seen after the range cannot have samples in it. (last_seen is
    // not used: the index does not follow other processes' updates of it.)
    const ids = this.#opts.labels.select(matchers, { end: maxt * 1000 });
    if (ids.length === 0) return EMPTY;
    const metrics = await this.#readable(ids);
    if (metrics.length === 0) return EMPTY;
    await this.#opts.reader.refresh(
      metrics.map((m) => m.id),
      this.#opts.refreshTimeoutMs,
    );
    const now = (this.#opts.now ?? Date.now)();
    // Series share a few policies: choose once per policy (by name, unique in the indexer).
    const choices = new Map<string, ArchiveChoice | undefined>();
    const choose = (m: MetricWithPolicy) => {
      const name = m.archivePolicy.name;
      if (!choices.has(name)) choices.set(name, chooseArchive(m.archivePolicy, hints, now));
      return choices.get(name);
    };
    const out = await Promise.all(metrics.map((m) => this.#read(m, choose(m), mint, maxt, hints)));
    return out.filter((s): s is SeriesData => s !== undefined);
  }

  async #readable(ids: readonly string[]): Promise<MetricWithPolicy[]> {
    const unknown = ids.filter((id) => !this.#metrics.has(id));
    if (unknown.length > 0) {
      const found = await readableMetrics(
        this.#opts.db,
        this.#opts.creds,
        unknown,
        this.#opts.metricRows,
      );
      for (const id of unknown) this.#metrics.set(id, found.get(id) ?? null);
    }
    const out: MetricWithPolicy[] = [];
    for (const id of ids) {
      const m = this.#metrics.get(id);
      if (m) out.push(m);
    }
    return out;
  }

  #read(
    metric: MetricWithPolicy,
    choice: ArchiveChoice | undefined,
    mint: number,
    maxt: number,
    hints: SelectHints,
  ): Promise<SeriesData | undefined> {
    if (choice === undefined || windowsTooShort(hints, choice)) return Promise.resolve(undefined);
    const key = `${metric.id} ${choice.method} ${choice.weightMethod} ${choice.granularity} ${mint} ${maxt}`;
    let read = this.#reads.get(key);
    if (read === undefined) {
      read = this.#load(metric, choice, mint, maxt);
      this.#reads.set(key, read);
    }
    return read;
  }

  async #load(
    metric: MetricWithPolicy,
    choice: ArchiveChoice,
    mint: number,
    maxt: number,
  ): Promise<SeriesData | undefined> {
    const labels = this.#opts.labels.labelsOf(metric.id);
    if (labels === undefined) return undefined;
    const { method, weightMethod, markerMethod } = choice;
    const read = (m: string) =>
      this.#opts.reader.getMillis({
        metricId: metric.id,
        method: m,
        granularity: choice.granularity,
        timespan: choice.timespan,
        // A window widened to two buckets may start a bucket before mint.
        from: Math.floor(mint * 1000) - (choice.downsampled ? choice.granularity : 0),
        // `to` is exclusive on the bucket start: keep the bucket starting at maxt.
        to: Math.floor(maxt * 1000) + 1,
      });
    const [r, w, m] = await Promise.all([
      read(method),
      weightMethod === undefined || weightMethod === method ? undefined : read(weightMethod),
      markerMethod === undefined ? undefined : read(markerMethod),
    ]);
    if (r === undefined || r.timestamps.length === 0) return undefined;
    const { timestamps } = r;
    let values =
      r.nanFree || method === "last" || method === "first" ? r.values : nanAsStale(r.values);
    if (m !== undefined) values = uncountMarkers(timestamps, values, m.timestamps, m.values);
    const extra = {
      ...(r.nanFree && m === undefined ? { noStale: true } : {}),
      ...(choice.downsampled ? { bucketWidth: choice.granularity / 1000 } : {}),
    };
    if (weightMethod === undefined) return { labels, timestamps, values, ...extra };
    const weights =
      weightMethod === method ? values : alignWeights(timestamps, w?.timestamps, w?.values);
    return { labels, timestamps, values, weights, ...extra };
  }
}

/**
 * The weight of each point at `at` (ms): the weight series' value at the
 * same time, 1 where it has none (both come from one archive, so their
 * times normally coincide).
 */
function alignWeights(
  at: Float64Array,
  times: Float64Array | undefined,
  weights: Float64Array | undefined,
): Float64Array {
  const out = new Float64Array(at.length).fill(1);
  if (times === undefined || weights === undefined) return out;
  let j = 0;
  for (let i = 0; i < at.length; i++) {
    const t = at[i]!;
    while (j < times.length && times[j]! < t) j++;
    if (j < times.length && times[j] === t) out[i] = weights[j]!;
  }
  return out;
}

/**
 * Counts without staleness markers: a bucket whose `markerMethod` value is NaN
 * holds a marker (a sample's NaN only comes from one), counted by `count` as
 * one measure; it is taken off, and a bucket left with no sample becomes a
 * marker itself, so the window functions skip it.
 */
function uncountMarkers(
  at: Float64Array,
  counts: Float64Array,
  times: Float64Array,
  markers: Float64Array,
): Float64Array {
  let out = counts;
  let j = 0;
  for (let i = 0; i < at.length; i++) {
    const t = at[i]!;
    while (j < times.length && times[j]! < t) j++;
    if (j >= times.length || times[j] !== t || !Number.isNaN(markers[j]!)) continue;
    if (out === counts) out = counts.slice();
    out[i] = counts[i]! > 1 ? counts[i]! - 1 : STALE_NAN;
  }
  return out;
}

/** NaN buckets as staleness markers (copying only when there is one). */
function nanAsStale(values: Float64Array): Float64Array {
  let out = values;
  for (let i = 0; i < values.length; i++) {
    if (!Number.isNaN(values[i]!)) continue;
    if (out === values) out = values.slice();
    out[i] = STALE_NAN;
  }
  return out;
}
