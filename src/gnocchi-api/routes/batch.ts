/**
 * `/v1/batch` (spec rest §6): measures for many metrics in one request,
 * by metric id or by resource and metric name. The body is validated whole,
 * the metrics resolved (or created, `create_metrics=true` on the resource
 * form), then everything is appended in one durable write: 202 with an
 * empty body. `create_metrics` means nothing to the metric-id form (a
 * metric id carries no name to create it by) and is ignored there.
 */
import type { Context } from "hono";
import { Hono } from "hono";
import { getCredentials } from "../auth.js";
import { readJsonBody } from "../body.js";
import type { AppEnv } from "../context.js";
import { enforce, isAllowed } from "../policy.js";
import { boolParam } from "../query.js";
import { noContent } from "../responses.js";
import { parseMetricsBatch, parseResourcesBatch } from "../schemas/batch.js";
import { type BatchDeps, postMetricsBatch, postResourcesBatch } from "../services/batch.js";

export const batchRoutes = new Hono<AppEnv>({ strict: false });

/** The services a batch needs, with the caller's `post measures` check (401 without identity). */
function batchDeps(c: Context<AppEnv>): BatchDeps {
  const creds = getCredentials(c);
  return {
    db: c.var.deps.db,
    storage: c.var.deps.storage,
    canPost: (m) =>
      enforce(c, "post measures", {
        creator: m.creator,
        created_by_project_id: m.createdByProjectId,
      }),
    postsAnywhere: isAllowed(creds, "post measures", {}),
  };
}

batchRoutes.post("/metrics/measures", async (c) => {
  const deps = batchDeps(c);
  await postMetricsBatch(deps, parseMetricsBatch(await readJsonBody(c)));
  return noContent(202);
});

batchRoutes.post("/resources/metrics/measures", async (c) => {
  const deps = batchDeps(c);
  const creator = getCredentials(c).user;
  const entries = parseResourcesBatch(await readJsonBody(c), creator);
  const createMetrics = boolParam(c, "create_metrics", false);
  await postResourcesBatch(deps, entries, { createMetrics, creator });
  return noContent(202);
});
