/**
 * Where each route module is mounted. Outside `/v1`: the versions document,
 * the health probe and `/metrics`. Under `/v1`: one module per sub-API; the
 * metric, batch, resource_type, resource, search, aggregates, aggregation,
 * influxdb and prometheus modules are added here as they land.
 */
import type { Hono } from "hono";
import { grafanaRoutes } from "../../promql-lite/grafana/routes.js";
import { type PromApiBinding, prometheusApiRoutes } from "../../promql-lite/http/routes.js";
import { PromQLService } from "../../promql-lite/http/service.js";
import { getCredentials } from "../auth.js";
import type { AppEnv } from "../context.js";
import { aggregatesRoutes } from "./aggregates.js";
import { aggregationRoutes } from "./aggregation.js";
import { archivePolicyRoutes } from "./archive-policy.js";
import { archivePolicyRuleRoutes } from "./archive-policy-rule.js";
import { batchRoutes } from "./batch.js";
import { capabilitiesRoutes } from "./capabilities.js";
import { healthcheckRoutes } from "./healthcheck.js";
import { influxdbRoutes } from "./influxdb.js";
import { metricRoutes } from "./metric.js";
import { metricsRoutes } from "./metrics.js";
import { gnocchiPrometheusWriteRoutes, prometheusRemoteWriteRoutes } from "./prometheus-write.js";
import { resourceRoutes } from "./resource.js";
import { resourceMetricRoutes } from "./resource-metric.js";
import { resourceTypeRoutes } from "./resource-type.js";
import { rootRoutes } from "./root.js";
import { searchMetricRoutes } from "./search-metric.js";
import { searchResourceRoutes } from "./search-resource.js";
import { statusRoutes } from "./status.js";
import { v1IndexRoutes } from "./v1-index.js";

/** How the Prometheus API and Grafana routes (src/promql-lite) get this API's service and caller. */
const promql: PromApiBinding<AppEnv> = {
  service: (c) => PromQLService.of(c.var.deps),
  caller: (c) => {
    const creds = getCredentials(c);
    return {
      user: creds.user,
      roles: creds.roles,
      creator: creds.user,
      projectId: creds.projectId ?? null,
    };
  },
  logError: (c, error) =>
    c.var.deps.logger.error({ err: error, path: c.req.path }, "internal error"),
};

/** Routes outside `/v1` (no auth, not all JSON). */
export const TOP_LEVEL_ROUTES: readonly (readonly [string, Hono<AppEnv>])[] = [
  ["/healthcheck", healthcheckRoutes],
  ["/metrics", metricsRoutes],
  ["/api/v1/write", prometheusRemoteWriteRoutes],
  ["/api/v1", prometheusApiRoutes(promql)],
  ["/grafana", grafanaRoutes(promql)],
];

/** JSON routes: the versions document and everything under `/v1`. */
export const JSON_ROUTES: readonly (readonly [string, Hono<AppEnv>])[] = [
  ["/", rootRoutes],
  ["/v1", v1IndexRoutes],
  ["/v1/capabilities", capabilitiesRoutes],
  ["/v1/status", statusRoutes],
  ["/v1/archive_policy", archivePolicyRoutes],
  ["/v1/archive_policy_rule", archivePolicyRuleRoutes],
  ["/v1/resource_type", resourceTypeRoutes],
  ["/v1/resource", resourceRoutes],
  ["/v1/search/resource", searchResourceRoutes],
  ["/v1/prometheus/write", gnocchiPrometheusWriteRoutes],
  ["/v1/aggregates", aggregatesRoutes],
  ["/v1/aggregation", aggregationRoutes],
  ["/v1/search/metric", searchMetricRoutes],
  ["/v1/influxdb", influxdbRoutes],
  ["/v1/metric", metricRoutes],
  ["/v1/batch", batchRoutes],
  ["/v1/resource", resourceMetricRoutes],
];
