/**
 * `/v1/metric` (spec rest §5): create, list, get, delete, and the measures
 * of a metric. A metric in the URL is looked up first (404 `Metric <id> does
 * not exist` for a non-UUID, unknown or deleted one), then the policy rule
 * is checked against it, as Gnocchi's controllers do.
 */
import { Hono } from "hono";
import { basicCredentials, metricVisibility } from "../../indexer/acl.js";
import { METRIC_DEFAULT_SORT, METRIC_TIEBREAKERS } from "../../indexer/pagination.js";
import { getCredentials } from "../auth.js";
import { readJsonBody } from "../body.js";
import type { AppEnv } from "../context.js";
import { nextPageLink, requestPage } from "../pagination.js";
import { enforce } from "../policy.js";
import { noContent, reply } from "../responses.js";
import { createMetricSchema, metricListQuerySchema } from "../schemas/metric.js";
import { listMetricsPage, metricFilterOf, metricListColumns } from "../services/metric-list.js";
import {
  createdMetricJSON,
  createMetric,
  deleteMetric,
  detailedMetricJSON,
  listedMetricJSON,
  loadMetric,
} from "../services/metrics.js";
import { v1Url } from "../urls.js";
import { validate } from "../validation.js";
import { getMeasures, postMeasures } from "./measures.js";

export const metricRoutes = new Hono<AppEnv>({ strict: false });

metricRoutes.post("/", async (c) => {
  const creds = enforce(c, "create metric");
  const body = validate(createMetricSchema, await readJsonBody(c));
  const metric = await createMetric(c.var.deps.db, body, {
    creator: creds.user,
    canAttach: (resource) => enforce(c, "update resource", resource),
  });
  return reply(c, createdMetricJSON(metric), 201, { Location: v1Url(c, `/metric/${metric.id}`) });
});

// "list metric" is not checked per row: what a caller may list is the visibility filter
// (spec rest §1.4), which lets basic/remoteuser callers see every metric. Identity still required.
metricRoutes.get("/", async (c) => {
  const creds = getCredentials(c);
  const first: Record<string, string> = {};
  for (const [name, values] of Object.entries(c.req.queries())) first[name] = values[0] ?? "";
  const query = validate(metricListQuerySchema, first);
  const page = requestPage(c, {
    columns: metricListColumns(),
    defaults: METRIC_DEFAULT_SORT,
    tiebreakers: METRIC_TIEBREAKERS,
  });
  const filter = metricFilterOf(query);
  const { db, options } = c.var.deps;
  const visibility = metricVisibility(options.authMode, basicCredentials(creds.user));
  const metrics = filter === undefined ? [] : await listMetricsPage(db, filter, page, visibility);
  const link = nextPageLink(c, page, metrics.length, () => metrics[metrics.length - 1]!.id);
  return reply(c, metrics.map(listedMetricJSON), 200, link);
});

metricRoutes.get("/:id", async (c) => {
  const metric = await loadMetric(c.var.deps.db, c.req.param("id"));
  const json = detailedMetricJSON(metric);
  enforce(c, "get metric", json);
  return reply(c, json);
});

metricRoutes.delete("/:id", async (c) => {
  const metric = await loadMetric(c.var.deps.db, c.req.param("id"));
  enforce(c, "delete metric", detailedMetricJSON(metric));
  await deleteMetric(c.var.deps.db, metric);
  return noContent();
});

metricRoutes.post("/:id/measures", async (c) =>
  postMeasures(c, await loadMetric(c.var.deps.db, c.req.param("id"))),
);

metricRoutes.get("/:id/measures", async (c) =>
  getMeasures(c, await loadMetric(c.var.deps.db, c.req.param("id"))),
);
