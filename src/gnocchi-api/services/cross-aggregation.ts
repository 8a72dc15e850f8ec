/**
 * The storage side of a cross-metric operation (Gnocchi's
 * `processor.get_measures`, spec rest §10.5, carbonara §9): choose the
 * granularities, check every series has its method and those granularities,
 * read each (metric, method, granularity) over [start, stop) in parallel,
 * then hand the series to the Carbonara evaluator. Shared by `/v1/aggregates`
 * and the deprecated `/v1/aggregation` endpoints.
 */
import {
  type AggregatesReference,
  type AggregatesResult,
  evaluateAggregates,
  type Fill,
  type OperationNode,
} from "../../carbonara/aggregates/index.js";
import { UnaggregableTimeseriesError } from "../../carbonara/errors.js";
import type { Micros } from "../../carbonara/time.js";
import type { AggregatedTimeSerie } from "../../carbonara/timeserie.js";
import type { MetricWithPolicy } from "../../indexer/metric-store.js";
import type { Resource } from "../../indexer/resource-row.js";
import type { AggregateReader } from "../../storage/aggregate-reader.js";
import { notFound } from "../errors.js";
import { pythonFloat } from "../json.js";

/** One series an operation can select: a stored (metric, method). */
export interface SeriesRef {
  /** What `metric` nodes name: the metric id as written (metric mode) or the name pattern (resource mode). */
  readonly ref: string;
  readonly method: string;
  readonly metric: MetricWithPolicy;
  /** The resource the metric was found on (resource mode only). */
  readonly resource?: Resource;
}

export interface CrossQuery {
  readonly start?: Micros | undefined;
  readonly stop?: Micros | undefined;
  /** One requested granularity; undefined: every granularity all series share. */
  readonly granularity?: Micros | undefined;
  readonly fill?: Fill;
  readonly neededOverlap?: number | undefined;
}

export type EvaluatedRef = SeriesRef & AggregatesReference;

/** Metric id in metric mode, metric name in resource mode: how Gnocchi's errors call a series. */
export function seriesName(ref: SeriesRef): string {
  return ref.resource === undefined ? ref.metric.id : (ref.metric.name ?? "");
}

/**
 * The granularities to compute and the checks of `get_measures`, in its
 * order: no common granularity → 400 `No granularity match`; a method the
 * policy lacks → 404 `Metrics with unknown aggregation`; a requested
 * granularity some policy lacks → 400 `Granularities are missing`.
 */
export function selectGranularities(
  refs: readonly SeriesRef[],
  granularity: Micros | undefined,
): Micros[] {
  let granularities: Micros[];
  if (granularity === undefined) {
    const occurrences = new Map<Micros, number>();
    for (const ref of refs) {
      for (const d of ref.metric.archivePolicy.definition) {
        occurrences.set(d.granularity, (occurrences.get(d.granularity) ?? 0) + 1);
      }
    }
    granularities = [...occurrences].filter(([, n]) => n === refs.length).map(([g]) => g);
    if (granularities.length === 0) {
      throw new UnaggregableTimeseriesError(
        "No granularity match",
        refs.map((r) => [seriesName(r), r.method]),
      );
    }
  } else {
    granularities = [granularity];
  }
  const missing: unknown[] = [];
  for (const ref of refs) {
    const policy = ref.metric.archivePolicy;
    if (!policy.aggregationMethods.includes(ref.method)) {
      throw notFound({
        cause: "Metrics with unknown aggregation",
        detail: [[ref.metric.id, ref.method]],
      });
    }
    const absent = granularities.find((g) => !policy.definition.some((d) => d.granularity === g));
    if (absent !== undefined) {
      missing.push([seriesName(ref), ref.method, pythonFloat(absent / 1_000_000)]);
    }
  }
  if (missing.length > 0)
    throw new UnaggregableTimeseriesError("Granularities are missing", missing);
  return granularities;
}

/**
 * One stored aggregate over [start, stop): empty when the metric has no data
 * yet (Gnocchi reads a missing metric as an empty series here).
 */
export async function readSerie(
  reader: AggregateReader,
  metric: MetricWithPolicy,
  method: string,
  granularity: Micros,
  start: Micros | undefined,
  stop: Micros | undefined,
): Promise<AggregatedTimeSerie> {
  const item = metric.archivePolicy.definition.find((d) => d.granularity === granularity);
  const result = await reader.getMeasures({
    metricId: metric.id,
    method,
    granularity,
    timespan: item?.timespan ?? null,
    ...(start === undefined ? {} : { from: start }),
    ...(stop === undefined ? {} : { to: stop }),
  });
  return {
    method,
    granularity,
    timestamps: result?.timestamps ?? new Float64Array(0),
    values: result?.values ?? new Float64Array(0),
  };
}

/**
 * Checks, reads and evaluates `operations` over `refs`. Errors: HttpError
 * 404, UnaggregableTimeseriesError (400) from the checks, the overlap rules
 * and the evaluation.
 */
export async function computeCrossAggregation(
  reader: AggregateReader,
  refs: readonly SeriesRef[],
  operations: OperationNode,
  query: CrossQuery,
): Promise<AggregatesResult<EvaluatedRef>> {
  const granularities = selectGranularities(refs, query.granularity);
  // The same (metric, method) may be selected by several patterns: read it once.
  const reads = new Map<string, Promise<AggregatedTimeSerie>>();
  const evaluated = await Promise.all(
    refs.map(async (ref): Promise<EvaluatedRef> => {
      const series = await Promise.all(
        granularities.map((g) => {
          const key = `${ref.metric.id}\u0000${ref.method}\u0000${g}`;
          let read = reads.get(key);
          if (read === undefined) {
            read = readSerie(reader, ref.metric, ref.method, g, query.start, query.stop);
            reads.set(key, read);
          }
          return read;
        }),
      );
      return { ...ref, series };
    }),
  );
  return evaluateAggregates(operations, evaluated, {
    from: query.start,
    to: query.stop,
    fill: query.fill,
    neededOverlap: query.neededOverlap,
  });
}
