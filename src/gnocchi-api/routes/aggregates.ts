/**
 * `POST /v1/aggregates` (spec rest §10): query parameters first (their
 * errors win over the body's, as in Gnocchi), then the body, then the
 * service. Without `fill` and `needed_overlap`, `fill=dropna`.
 */
import { Hono } from "hono";
import { getCredentials } from "../auth.js";
import { readJsonBody } from "../body.js";
import type { AppEnv } from "../context.js";
import { boolParam } from "../query.js";
import { parseAggregatesBody } from "../schemas/aggregates.js";
import { parseAggregationQuery } from "../schemas/aggregation-query.js";
import { postAggregates } from "../services/aggregates.js";
import { replyRendered } from "../services/aggregates-json.js";

export const aggregatesRoutes = new Hono<AppEnv>({ strict: false });

aggregatesRoutes.post("/", async (c) => {
  const creds = getCredentials(c);
  const details = boolParam(c, "details", false);
  const fill = c.req.query("fill");
  const neededOverlap = c.req.query("needed_overlap");
  const query = parseAggregationQuery({
    start: c.req.query("start"),
    stop: c.req.query("stop"),
    granularity: c.req.query("granularity"),
    needed_overlap: neededOverlap,
    fill: fill === undefined && neededOverlap === undefined ? "dropna" : fill,
  });
  const body = parseAggregatesBody(await readJsonBody(c));
  const { db, storage, options } = c.var.deps;
  const result = await postAggregates(
    { db, reader: storage.reader, creds, authMode: options.authMode },
    {
      body,
      query: {
        start: query.start,
        stop: query.stop,
        granularity: query.granularity,
        fill: query.fill,
        neededOverlap: query.neededOverlap,
      },
      groupby: c.req.queries("groupby") ?? [],
      details,
    },
  );
  return replyRendered(c, result);
});
