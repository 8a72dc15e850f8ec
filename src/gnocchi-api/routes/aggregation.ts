/**
 * The deprecated `/v1/aggregation` endpoints (spec rest §12), still used by
 * Grafana's Gnocchi plugin: `GET|POST /metric` over metric ids, and
 * `POST /resource/{type}/metric/{name}` over the named metric of searched
 * resources, optionally per `groupby` group. Other paths under `resource/`
 * are 404; `resource/{type}/metric` without a name is 405, as in Gnocchi.
 */
import { type Context, Hono } from "hono";
import { listMetrics } from "../../indexer/metric-store.js";
import { parseUuid } from "../../indexer/resource-id.js";
import { findResourceType } from "../../indexer/resource-type-store.js";
import { DEFAULT_REFRESH_TIMEOUT_MS } from "../../storage/aggregate-reader.js";
import { getCredentials } from "../auth.js";
import { readJsonBody } from "../body.js";
import type { AppEnv } from "../context.js";
import { badRequest, methodNotAllowed, notFound } from "../errors.js";
import { replyRendered } from "../services/aggregates-json.js";
import { parseResourceSearch } from "../services/aggregates-resources.js";
import {
  type AggregationContext,
  type AggregationParams,
  crossMetricRows,
  resourceAggregation,
} from "../services/aggregation.js";

export const aggregationRoutes = new Hono<AppEnv>({ strict: false });

function params(c: Context<AppEnv>): AggregationParams {
  const q = (name: string) => c.req.query(name);
  return {
    start: q("start"),
    stop: q("stop"),
    granularity: q("granularity"),
    needed_overlap: q("needed_overlap"),
    fill: q("fill"),
    aggregation: q("aggregation"),
    reaggregation: q("reaggregation"),
    refresh: q("refresh"),
    resample: q("resample"),
  };
}

const context = (c: Context<AppEnv>): AggregationContext => {
  const { db, storage, options } = c.var.deps;
  return {
    db,
    storage,
    creds: getCredentials(c),
    refreshTimeoutMs:
      options.operationTimeout === undefined
        ? DEFAULT_REFRESH_TIMEOUT_MS
        : options.operationTimeout * 1000,
  };
};

/** voluptuous `[utils.UUID]` on the ids: `not a valid value @ data[<i>]`. */
function metricIds(values: readonly unknown[]): { ids: string[]; invalid?: number } {
  const ids: string[] = [];
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    const id = typeof v === "string" ? parseUuid(v) : undefined;
    if (id === undefined) return { ids, invalid: i };
    ids.push(id);
  }
  return { ids };
}

async function metricsRows(c: Context<AppEnv>, ids: readonly string[]) {
  const ctx = context(c);
  const metrics = await listMetrics(ctx.db, { ids });
  const found = new Set(metrics.map((m) => m.id));
  const missing = ids.find((id) => !found.has(id));
  if (missing !== undefined) throw notFound(`Metric ${missing} does not exist`);
  return replyRendered(c, await crossMetricRows(ctx, metrics, params(c)));
}

aggregationRoutes.get("/metric", async (c) => {
  getCredentials(c);
  const { ids, invalid } = metricIds(c.req.queries("metric") ?? []);
  if (invalid !== undefined) {
    throw badRequest(`Invalid input: not a valid value @ data[${invalid}]`);
  }
  return metricsRows(c, ids);
});

aggregationRoutes.post("/metric", async (c) => {
  getCredentials(c);
  const body = await readJsonBody(c);
  if (!Array.isArray(body)) {
    throw badRequest({ cause: "Invalid input", reason: "expected a list", detail: [] });
  }
  const { ids, invalid } = metricIds(body);
  if (invalid !== undefined) {
    throw badRequest({
      cause: "Invalid input",
      reason: `not a valid value @ data[${invalid}]`,
      detail: [String(invalid)],
    });
  }
  return metricsRows(c, ids);
});

aggregationRoutes.all("/resource/:type/metric", () => {
  throw methodNotAllowed([]);
});

aggregationRoutes.post("/resource/:type/metric/:name", async (c) => {
  const ctx = context(c);
  const typeName = c.req.param("type");
  const type = await findResourceType(ctx.db, typeName);
  if (type === undefined) throw notFound(`Resource type ${typeName} does not exist`);

  // The filter: a JSON body when there is one, else `?filter=`, else all.
  let search: unknown = null;
  if ((await c.req.text()).length > 0) search = await readJsonBody(c);
  else if (c.req.query("filter")) {
    search = c.req.query("filter");
  }
  const filter = search === null ? null : parseResourceSearch(search, ctx.creds.user);

  const result = await resourceAggregation(ctx, {
    type,
    filter,
    metricName: c.req.param("name"),
    groupby: c.req.queries("groupby") ?? [],
    params: params(c),
    authMode: c.var.deps.options.authMode,
    maxLimit: c.var.deps.options.maxLimit,
  });
  return replyRendered(c, result);
});
