/**
 * `GET /v1` (spec rest §2.2, no auth): a self link, then one link per sub-API
 * sorted by name (`prometheus` is routed but not listed).
 */
import { Hono } from "hono";
import type { AppEnv } from "../context.js";
import { reply } from "../responses.js";
import { baseUrl } from "../urls.js";

/** The sub-APIs the index lists, as Gnocchi 4.4 names them. */
export const V1_SUB_APIS = [
  "aggregates",
  "aggregation",
  "archive_policy",
  "archive_policy_rule",
  "batch",
  "capabilities",
  "influxdb",
  "metric",
  "resource",
  "resource_type",
  "search",
  "status",
] as const;

export const v1IndexRoutes = new Hono<AppEnv>({ strict: false });

v1IndexRoutes.get("/", (c) => {
  const v1 = `${baseUrl(c.var.base)}/v1`;
  return reply(c, {
    version: "1.0",
    links: [
      { rel: "self", href: v1 },
      ...[...V1_SUB_APIS].sort().map((name) => ({ rel: name, href: `${v1}/${name}` })),
    ],
  });
});
