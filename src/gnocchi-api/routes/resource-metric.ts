/**
 * The named metrics of a resource, `/v1/resource/{type}/{id}/metric...`
 * (spec rest §8.11), mounted under `/v1/resource` next to the resource
 * routes. As in Gnocchi: an unknown type is a 404 first, then the caller
 * must be known (the URL id is converted with their creator, §0.9), then
 * the resource or metric is looked up, then the policy is checked.
 * `POST .../metric/{name}` is a 405 (no such route for that method).
 */
import type { Context } from "hono";
import { Hono } from "hono";
import { resourceToJSON } from "../../indexer/resource-row.js";
import { getCredentials } from "../auth.js";
import { readJsonBody } from "../body.js";
import type { AppEnv } from "../context.js";
import { enforce } from "../policy.js";
import { noContent, reply } from "../responses.js";
import { parseResourceMetrics } from "../schemas/metric.js";
import {
  deleteMetric,
  detailedMetricJSON,
  listedMetricJSON,
  loadResourceMetric,
  type MetricDetail,
  resourceIdFromPath,
} from "../services/metrics.js";
import {
  appendResourceMetrics,
  checkResourceType,
  loadResource,
  resourceMetrics,
} from "../services/resource-metrics.js";
import { getMeasures, postMeasures } from "./measures.js";

export const resourceMetricRoutes = new Hono<AppEnv>({ strict: false });

/** The resource UUID of the URL, after the type check and identity. */
async function resourceIdOf(c: Context<AppEnv>): Promise<string> {
  await checkResourceType(c.var.deps.db, c.req.param("type")!);
  const creds = getCredentials(c);
  return resourceIdFromPath(c.req.param("id")!, creds.user);
}

async function namedMetric(c: Context<AppEnv>): Promise<MetricDetail> {
  const id = await resourceIdOf(c);
  return loadResourceMetric(c.var.deps.db, id, c.req.param("name")!);
}

resourceMetricRoutes.get("/:type/:id/metric", async (c) => {
  const id = await resourceIdOf(c);
  const resource = await loadResource(c.var.deps.db, c.req.param("type"), id);
  enforce(c, "get resource", resourceToJSON(resource));
  const metrics = await resourceMetrics(c.var.deps.db, id);
  return reply(c, metrics.map(listedMetricJSON));
});

resourceMetricRoutes.post("/:type/:id/metric", async (c) => {
  const id = await resourceIdOf(c);
  const resource = await loadResource(c.var.deps.db, c.req.param("type"), id);
  enforce(c, "update resource", resourceToJSON(resource));
  const metrics = parseResourceMetrics(await readJsonBody(c));
  const all = await appendResourceMetrics(c.var.deps.db, resource, metrics);
  return reply(c, all.map(listedMetricJSON));
});

resourceMetricRoutes.get("/:type/:id/metric/:name", async (c) => {
  const json = detailedMetricJSON(await namedMetric(c));
  enforce(c, "get metric", json);
  return reply(c, json);
});

resourceMetricRoutes.delete("/:type/:id/metric/:name", async (c) => {
  const metric = await namedMetric(c);
  enforce(c, "delete metric", detailedMetricJSON(metric));
  await deleteMetric(c.var.deps.db, metric);
  return noContent();
});

resourceMetricRoutes.post("/:type/:id/metric/:name/measures", async (c) =>
  postMeasures(c, await namedMetric(c)),
);

resourceMetricRoutes.get("/:type/:id/metric/:name/measures", async (c) =>
  getMeasures(c, await namedMetric(c)),
);
