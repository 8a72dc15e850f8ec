/**
 * `POST /v1/aggregates` (spec rest §10): the operations over metrics named
 * by id (metric mode) or over the metrics of searched resources matched by
 * name pattern (resource mode, optionally per `groupby` group), computed by
 * cross-aggregation.ts and shaped by aggregates-json.ts.
 */
import { extractReferences, type OperationNode } from "../../carbonara/aggregates/index.js";
import { wildcardToRegExp } from "../../carbonara/archive-policy-rule.js";
import type { AuthMode } from "../../indexer/acl.js";
import type { SqlExecutor } from "../../indexer/driver.js";
import { InvalidPaginationError, QueryError } from "../../indexer/errors.js";
import { listMetrics, type MetricWithPolicy } from "../../indexer/metric-store.js";
import { parseUuid } from "../../indexer/resource-id.js";
import { findResourceType } from "../../indexer/resource-type-store.js";
import type { AggregateReader } from "../../storage/aggregate-reader.js";
import type { Credentials } from "../auth.js";
import { badRequest, notFound } from "../errors.js";
import type { AggregatesBody } from "../schemas/aggregates.js";
import { measuresJson, resourceReferencesJson } from "./aggregates-json.js";
import {
  groupResources,
  listResourcesWithMetrics,
  parseResourceSearch,
  type ResourceWithMetrics,
  resourceVisibilityFor,
} from "./aggregates-resources.js";
import { type CrossQuery, computeCrossAggregation, type SeriesRef } from "./cross-aggregation.js";
import { enforceMetricsRead } from "./metric-access.js";
import { listedMetricJSON } from "./metrics.js";

export interface AggregatesContext {
  readonly db: SqlExecutor;
  readonly reader: AggregateReader;
  readonly creds: Credentials;
  readonly authMode: AuthMode;
}

export interface AggregatesRequest {
  readonly body: AggregatesBody;
  readonly query: CrossQuery;
  /** Resource mode only: attributes to group the resources by. */
  readonly groupby: readonly string[];
  readonly details: boolean;
}

/** Computes the request. @throws HttpError, UnaggregableTimeseriesError (400) */
export function postAggregates(
  ctx: AggregatesContext,
  request: AggregatesRequest,
): Promise<unknown> {
  return request.body.resourceType === undefined
    ? aggregateMetrics(ctx, request)
    : aggregateResources(ctx, request, request.body.resourceType);
}

async function aggregateMetrics(ctx: AggregatesContext, request: AggregatesRequest) {
  const { operations } = request.body;
  const refs = extractReferences(operations);
  const ids: string[] = [];
  for (const r of refs) {
    const id = parseUuid(r.ref);
    if (id === undefined) {
      throw badRequest({
        cause: "Invalid metric references",
        reason: "badly formed hexadecimal UUID string",
        detail: refs.map((x) => [x.ref, x.method]),
      });
    }
    ids.push(id);
  }
  const metrics = await listMetrics(ctx.db, { ids });
  const byId = new Map(metrics.map((m) => [m.id, m]));
  const missing = [...new Set(ids.filter((id) => !byId.has(id)))].sort();
  if (missing.length > 0) {
    throw notFound({
      cause: "Unknown metrics",
      reason: "Provided metrics don't exists",
      detail: missing,
    });
  }
  await enforceMetricsRead(ctx.db, ctx.creds, "get metric", metrics);
  const series: SeriesRef[] = refs.map((r, i) => ({
    ref: r.ref,
    method: r.method,
    metric: byId.get(ids[i]!)!,
  }));
  const result = await computeCrossAggregation(ctx.reader, series, operations, request.query);
  const response: Record<string, unknown> = { measures: measuresJson(result) };
  if (request.details) response.references = metrics.map(listedMetricJSON);
  return response;
}

/** No metric of the resources matches any pattern: 400, or a skipped group. */
class MetricsNotFound extends Error {
  constructor(readonly patterns: readonly string[]) {
    super("Metrics not found");
  }
}

const metricsNotFound = (patterns: readonly string[]) =>
  badRequest({ cause: "Metrics not found", detail: [...new Set(patterns)].sort() });

async function aggregateResources(
  ctx: AggregatesContext,
  request: AggregatesRequest,
  typeName: string,
) {
  const type = await findResourceType(ctx.db, typeName);
  if (type === undefined) {
    throw badRequest({ cause: "Resource type does not exist", detail: typeName });
  }
  const filter = parseResourceSearch(request.body.search, ctx.creds.user);
  const groupby = [...new Set(request.groupby)].sort();
  let resources: ResourceWithMetrics[];
  try {
    resources = await listResourcesWithMetrics(ctx.db, {
      type,
      filter,
      visibility: resourceVisibilityFor(ctx.authMode, ctx.creds),
      sortKeys: groupby,
    });
  } catch (error) {
    if (error instanceof InvalidPaginationError || error instanceof QueryError) {
      throw badRequest(error.message);
    }
    throw error;
  }
  const patterns = extractReferences(request.body.operations);
  const measure = (group: readonly ResourceWithMetrics[]) =>
    measuresByName(ctx, request, group, patterns);
  try {
    if (groupby.length === 0) return await measure(resources);
    const results: unknown[] = [];
    for (const group of groupResources(resources, groupby)) {
      try {
        results.push({ group: group.key, measures: await measure(group.resources) });
      } catch (error) {
        // A group without any matching metric is left out (spec rest §10.4).
        if (!(error instanceof MetricsNotFound)) throw error;
      }
    }
    if (results.length === 0) throw new MetricsNotFound(patterns.map((p) => p.ref));
    return results;
  } catch (error) {
    if (error instanceof MetricsNotFound) throw metricsNotFound(error.patterns);
    throw error;
  }
}

async function measuresByName(
  ctx: AggregatesContext,
  request: AggregatesRequest,
  resources: readonly ResourceWithMetrics[],
  patterns: readonly { ref: string; method: string }[],
) {
  const matchers = patterns.map((p) => ({ ...p, re: wildcardToRegExp(p.ref) }));
  const series: SeriesRef[] = [];
  for (const { resource, metrics } of resources) {
    for (const p of matchers) {
      for (const metric of metrics as readonly MetricWithPolicy[]) {
        if (p.re.test(metric.name ?? "")) {
          series.push({ ref: p.ref, method: p.method, metric, resource });
        }
      }
    }
  }
  if (series.length === 0) throw new MetricsNotFound(patterns.map((p) => p.ref));
  const result = await computeCrossAggregation(
    ctx.reader,
    series,
    request.body.operations as OperationNode,
    request.query,
  );
  const response: Record<string, unknown> = { measures: measuresJson(result) };
  if (request.details) response.references = resourceReferencesJson(series);
  return response;
}
