/**
 * `POST /v1/search/metric` (spec rest §9.4): `metric_id` (repeatable,
 * required), `start`, `stop`, `aggregation`, `granularity` (repeatable) and a
 * predicate body; the matching points of each metric.
 */
import { Hono } from "hono";
import { getCredentials } from "../auth.js";
import { readJsonBody } from "../body.js";
import type { AppEnv } from "../context.js";
import { badRequest } from "../errors.js";
import { replyRendered } from "../services/aggregates-json.js";
import { searchMetrics } from "../services/search-metric.js";

export const searchMetricRoutes = new Hono<AppEnv>({ strict: false });

searchMetricRoutes.post("/", async (c) => {
  const creds = getCredentials(c);
  const metricIds = c.req.queries("metric_id");
  // A required argument of the original controller.
  if (metricIds === undefined) throw badRequest("Missing argument: `metric_id'");
  const { db, storage } = c.var.deps;
  const result = await searchMetrics(
    { db, reader: storage.reader, creds },
    {
      metricIds,
      body: await c.req.text(),
      parseBody: () => readJsonBody(c),
      start: c.req.query("start"),
      stop: c.req.query("stop"),
      aggregation: c.req.query("aggregation"),
      granularities: c.req.queries("granularity") ?? [],
    },
  );
  return replyRendered(c, result);
});
