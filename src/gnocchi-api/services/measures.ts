/**
 * Measures of one metric (spec rest §5.7, §5.8): accepting them (one durable
 * append, answered once the incoming log's fsync covers it) and reading the
 * aggregates back, with `refresh` processing the pending ones first.
 */
import type { CalendarLetter } from "../../carbonara/resample.js";
import type { Micros } from "../../carbonara/time.js";
import { formatSeconds } from "../../carbonara/timespan.js";
import type { MetricWithPolicy } from "../../indexer/metric-store.js";
import { RefreshTimeoutError } from "../../storage/aggregate-reader.js";
import type { StorageEngine } from "../../storage/storage-engine.js";
import { HttpError, notFound } from "../errors.js";
import { parseBool } from "../query.js";
import type { Measures } from "../schemas/measures.js";
import { granularitiesToRead, type MeasuresQuery } from "../schemas/measures-query.js";
import type { MeasuresBody, MeasuresBodyCache } from "./measures-body-cache.js";
import { type MeasuresSeries, measuresToJson } from "./measures-json.js";

/** Stores the measures durably (nothing to do for an empty list). */
export async function appendMeasures(
  storage: StorageEngine,
  metricId: string,
  measures: Measures,
): Promise<void> {
  if (measures.timestamps.length === 0) return;
  await storage.incoming.append([{ metricId, ...measures }]);
}

/**
 * Processes the metric's pending measures now.
 * @throws HttpError 503 when its sack stays locked for `timeoutMs`
 */
export async function refreshMetric(
  storage: StorageEngine,
  metricId: string,
  timeoutMs: number,
): Promise<void> {
  try {
    await storage.reader.refresh([metricId], timeoutMs);
  } catch (error) {
    if (!(error instanceof RefreshTimeoutError)) throw error;
    throw new HttpError(
      503,
      `Unable to refresh metric: ${metricId}. Metric is locked. Please try again.`,
    );
  }
}

/**
 * The policy checks of a read, in Gnocchi's order, giving what to read.
 * @throws HttpError 404 (method not in the policy, granularity not in the policy)
 */
export function checkAggregations(metric: MetricWithPolicy, query: MeasuresQuery): Micros[] {
  const policy = metric.archivePolicy;
  if (!policy.aggregationMethods.includes(query.aggregation)) {
    throw notFound({
      cause: "Aggregation method does not exist for this metric",
      detail: { metric: metric.id, aggregation_method: query.aggregation },
    });
  }
  const granularities = granularitiesToRead(policy, query);
  for (const g of granularities) {
    if (!policy.definition.some((d) => d.granularity === g)) {
      throw notFound(
        `Aggregation method '${query.aggregation}' at granularity '${formatSeconds(g)}' ` +
          `for metric ${metric.id} does not exist`,
      );
    }
  }
  return granularities;
}

/** What to read of a metric: method, granularities (any order), range, resample. */
export interface AggregatesRead {
  readonly method: string;
  readonly granularities: readonly Micros[];
  readonly start?: Micros;
  readonly stop?: Micros;
  readonly resample?: Micros | CalendarLetter;
}

/**
 * The metric's series for each granularity, coarsest first (the REST order);
 * granularities without data are left out, so a metric never processed
 * gives `[]`.
 */
export async function readAggregates(
  storage: StorageEngine,
  metric: MetricWithPolicy,
  read: AggregatesRead,
): Promise<MeasuresSeries[]> {
  const sorted = [...read.granularities].sort((a, b) => b - a);
  const series = await Promise.all(
    sorted.map((granularity) =>
      storage.reader.getMeasures({
        metricId: metric.id,
        method: read.method,
        granularity,
        timespan:
          metric.archivePolicy.definition.find((d) => d.granularity === granularity)?.timespan ??
          null,
        ...(read.start === undefined ? {} : { from: read.start }),
        ...(read.stop === undefined ? {} : { to: read.stop }),
        ...(read.resample === undefined ? {} : { resample: read.resample }),
      }),
    ),
  );
  return series.filter((s): s is MeasuresSeries => s !== undefined);
}

/**
 * `GET .../measures` as a JSON body: `[[timestamp, granularity, value], ...]`,
 * coarsest granularity first; `[]` for a metric never processed. `bodies`
 * (absent: none) gives back a body written before for the very same series,
 * with its gzip once that is ready.
 * @throws HttpError 404 (policy checks), 400 (bad `refresh`), 503 (refresh timeout)
 */
export async function readMeasures(
  storage: StorageEngine,
  bodies: MeasuresBodyCache | undefined,
  metric: MetricWithPolicy,
  query: MeasuresQuery,
  refreshTimeoutMs: number,
): Promise<MeasuresBody> {
  const granularities = checkAggregations(metric, query);
  if (query.refresh !== undefined && parseBool("refresh", query.refresh)) {
    await refreshMetric(storage, metric.id, refreshTimeoutMs);
  }
  const series = await readAggregates(storage, metric, {
    method: query.aggregation,
    granularities,
    ...(query.start === undefined ? {} : { start: query.start }),
    ...(query.stop === undefined ? {} : { stop: query.stop }),
    ...(query.resample === undefined ? {} : { resample: query.resample }),
  });
  if (bodies === undefined) return { json: measuresToJson(series), gzip: undefined };
  // Which entry to compare with; the body cache checks the series themselves.
  const key = `${metric.id} ${query.aggregation} ${granularities} ${query.start} ${query.stop} ${query.resample}`;
  return bodies.body(key, series);
}
