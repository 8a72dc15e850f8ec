/**
 * The deprecated cross-metric aggregation (spec rest §12, Gnocchi's
 * `get_cross_metric_measures_from_objs`): one metric reads like
 * `GET /v1/metric/{id}/measures`; several are combined by
 * `["aggregate", reaggregation, ["metric", [id, aggregation], ...]]` (with a
 * `resample` node in between when asked) under the overlap rules
 * (`needed_overlap` 100 by default, no fill), answering the bare list of rows.
 */
import type { OperationNode } from "../../carbonara/aggregates/index.js";
import { parseCrossMethod } from "../../carbonara/aggregates/index.js";
import { UnaggregableTimeseriesError } from "../../carbonara/errors.js";
import { type CalendarLetter, isCalendarLetter } from "../../carbonara/resample.js";
import type { Micros } from "../../carbonara/time.js";
import { formatSeconds, parsePositiveTimespan } from "../../carbonara/timespan.js";
import type { AuthMode } from "../../indexer/acl.js";
import type { SqlExecutor } from "../../indexer/driver.js";
import { InvalidPaginationError, QueryError } from "../../indexer/errors.js";
import type { MetricWithPolicy } from "../../indexer/metric-store.js";
import type { ResourceType } from "../../indexer/resource-type-store.js";
import type { SearchFilter } from "../../indexer/search-filter.js";
import type { StorageEngine } from "../../storage/storage-engine.js";
import type { Credentials } from "../auth.js";
import { badRequest, type HttpError, notFound } from "../errors.js";
import { parseBool } from "../query.js";
import { parseAggregationQuery, type RawAggregationQuery } from "../schemas/aggregation-query.js";
import { Rows } from "./aggregates-json.js";
import {
  groupResources,
  listResourcesWithMetrics,
  type ResourceWithMetrics,
  resourceVisibilityFor,
} from "./aggregates-resources.js";
import { computeCrossAggregation, type SeriesRef } from "./cross-aggregation.js";
import { readAggregates, refreshMetric } from "./measures.js";
import { enforceMetricsRead } from "./metric-access.js";

/** The query parameters of both deprecated endpoints, as given. */
export interface AggregationParams extends RawAggregationQuery {
  readonly aggregation?: string | undefined;
  readonly reaggregation?: string | undefined;
  readonly refresh?: string | undefined;
  readonly resample?: string | undefined;
}

export interface AggregationContext {
  readonly db: SqlExecutor;
  readonly storage: StorageEngine;
  readonly creds: Credentials;
  /** How long `refresh=true` waits for a sack lock. */
  readonly refreshTimeoutMs: number;
}

/** Gnocchi's `AggregationDoesNotExist` text. */
function noSuchAggregation(method: string, granularity: Micros, metricId: string): HttpError {
  return notFound(
    `Aggregation method '${method}' at granularity '${formatSeconds(granularity)}' ` +
      `for metric ${metricId} does not exist`,
  );
}

/**
 * The rows of `metrics` aggregated as the parameters say.
 * `resourceProjects` (resource id → project) helps the `metric_owner` check.
 * @throws HttpError (400, 403, 404, 503), UnaggregableTimeseriesError (400)
 */
export async function crossMetricRows(
  ctx: AggregationContext,
  metrics: readonly MetricWithPolicy[],
  params: AggregationParams,
  resourceProjects?: ReadonlyMap<string, string | null>,
): Promise<Rows> {
  const query = parseAggregationQuery(params);
  const aggregation = params.aggregation ?? "mean";
  const reaggregation = params.reaggregation ?? aggregation;
  await enforceMetricsRead(ctx.db, ctx.creds, "get metric", metrics, resourceProjects);
  if (metrics.length === 0) return new Rows();

  let resample: Micros | CalendarLetter | undefined;
  if (params.resample) {
    if (query.granularity === undefined) {
      throw badRequest("A granularity must be specified to resample");
    }
    if (isCalendarLetter(params.resample)) resample = params.resample;
    else {
      try {
        resample = parsePositiveTimespan(params.resample);
      } catch (error) {
        throw badRequest(error instanceof Error ? error.message : String(error));
      }
    }
  }

  let granularities: Micros[];
  if (query.granularity !== undefined) granularities = [query.granularity];
  else {
    const counts = new Map<Micros, number>();
    for (const m of metrics) {
      for (const d of m.archivePolicy.definition) {
        counts.set(d.granularity, (counts.get(d.granularity) ?? 0) + 1);
      }
    }
    granularities = [...counts].filter(([, n]) => n === metrics.length).map(([g]) => g);
    if (granularities.length === 0) {
      throw new UnaggregableTimeseriesError(
        "No granularity match",
        metrics.map((m) => [m.id, aggregation]),
      );
    }
  }
  const only = metrics.length === 1 ? metrics[0]! : undefined;
  if (only !== undefined && !only.archivePolicy.aggregationMethods.includes(aggregation)) {
    // One metric reads like its measures endpoint, with that endpoint's 404.
    throw notFound({
      cause: "Aggregation method does not exist for this metric",
      detail: { metric: only.id, aggregation_method: aggregation },
    });
  }
  for (const m of metrics) {
    for (const g of granularities) {
      const known =
        m.archivePolicy.aggregationMethods.includes(aggregation) &&
        m.archivePolicy.definition.some((d) => d.granularity === g);
      if (!known) throw noSuchAggregation(aggregation, g, m.id);
    }
  }

  if (params.refresh !== undefined && parseBool("refresh", params.refresh)) {
    for (const m of metrics) await refreshMetric(ctx.storage, m.id, ctx.refreshTimeoutMs);
  }

  if (metrics.length === 1) {
    // One metric reads as `GET /v1/metric/{id}/measures` does.
    return new Rows(
      await readAggregates(ctx.storage, metrics[0]!, {
        method: aggregation,
        granularities,
        ...(query.start === undefined ? {} : { start: query.start }),
        ...(query.stop === undefined ? {} : { stop: query.stop }),
        ...(resample === undefined ? {} : { resample }),
      }),
    );
  }

  const reaggregate = parseCrossMethod(reaggregation);
  if (reaggregate === undefined) {
    // Gnocchi fails with a 500 here (its cross-aggregation knows no such reducer).
    throw badRequest({
      cause: "Argument value error",
      detail: "reaggregation",
      reason: "Must be one of mean, median, std, min, max, sum, var, count (or rate: of them)",
    });
  }
  if (typeof resample === "string") {
    throw badRequest("Calendar resampling is only possible on a single metric");
  }
  let operand: OperationNode = {
    kind: "metric",
    refs: metrics.map((m) => ({ ref: m.id, method: aggregation })),
    listForm: true,
  };
  if (resample !== undefined) {
    operand = {
      kind: "resample",
      // The stored method resamples its own aggregates (mean of means, last of lasts...).
      method: parseCrossMethod(aggregation) ?? { name: aggregation, base: "mean", rate: false },
      granularity: resample,
      operand,
    };
  }
  const refs: SeriesRef[] = metrics.map((metric) => ({
    ref: metric.id,
    method: aggregation,
    metric,
  }));
  const result = await computeCrossAggregation(
    ctx.storage.reader,
    refs,
    { kind: "aggregate", method: reaggregate, operand },
    {
      start: query.start,
      stop: query.stop,
      granularity: query.granularity,
      fill: query.fill,
      neededOverlap: query.neededOverlap ?? 100,
    },
  );
  return new Rows(result.aggregated ? [...result.blocks] : []);
}

export interface ResourceAggregationRequest {
  readonly type: ResourceType;
  readonly filter: SearchFilter | null;
  readonly metricName: string;
  readonly groupby: readonly string[];
  readonly params: AggregationParams;
  readonly authMode: AuthMode;
  /** Gnocchi searched with the pagination defaults: only the first `max_limit` resources count. */
  readonly maxLimit: number;
}

/**
 * `POST /v1/aggregation/resource/{type}/metric/{name}`: the metric `name`
 * of each matching resource (resources without it are skipped), aggregated
 * together, or per group of equal `groupby` values (`[{"group", "measures"}]`).
 */
export async function resourceAggregation(
  ctx: AggregationContext,
  request: ResourceAggregationRequest,
): Promise<unknown> {
  const groupby = [...new Set(request.groupby)].sort();
  let resources: ResourceWithMetrics[];
  try {
    resources = await listResourcesWithMetrics(ctx.db, {
      type: request.type,
      filter: request.filter,
      visibility: resourceVisibilityFor(request.authMode, ctx.creds),
      sortKeys: groupby,
      limit: request.maxLimit,
    });
  } catch (error) {
    if (error instanceof InvalidPaginationError) throw badRequest("Invalid groupby attribute");
    if (error instanceof QueryError) throw badRequest(error.message);
    throw error;
  }
  const rows = (group: readonly ResourceWithMetrics[]) => {
    const metrics = group.flatMap((r) => r.metrics.filter((m) => m.name === request.metricName));
    const projects = new Map(group.map((r) => [r.resource.id, r.resource.projectId]));
    return crossMetricRows(ctx, metrics, request.params, projects);
  };
  if (groupby.length === 0) return rows(resources);
  const results: unknown[] = [];
  for (const group of groupResources(resources, groupby)) {
    results.push({ group: group.key, measures: await rows(group.resources) });
  }
  return results;
}
