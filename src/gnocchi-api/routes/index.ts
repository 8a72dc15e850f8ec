/**
 * Where each route module is mounted. Outside `/v1`: the versions document,
 * the health probe and `/metrics`. Under `/v1`: one module per sub-API; the
 * metric, batch, resource_type, resource, search, aggregates, aggregation,
 * influxdb and prometheus modules are added here as they land.
 */
import type { Hono } from "hono";
import type { AppEnv } from "../context.js";
import { archivePolicyRoutes } from "./archive-policy.js";
import { archivePolicyRuleRoutes } from "./archive-policy-rule.js";
import { capabilitiesRoutes } from "./capabilities.js";
import { healthcheckRoutes } from "./healthcheck.js";
import { metricsRoutes } from "./metrics.js";
import { rootRoutes } from "./root.js";
import { statusRoutes } from "./status.js";
import { v1IndexRoutes } from "./v1-index.js";

/** Routes outside `/v1` (no auth, not all JSON). */
export const TOP_LEVEL_ROUTES: readonly (readonly [string, Hono<AppEnv>])[] = [
  ["/healthcheck", healthcheckRoutes],
  ["/metrics", metricsRoutes],
];

/** JSON routes: the versions document and everything under `/v1`. */
export const JSON_ROUTES: readonly (readonly [string, Hono<AppEnv>])[] = [
  ["/", rootRoutes],
  ["/v1", v1IndexRoutes],
  ["/v1/capabilities", capabilitiesRoutes],
  ["/v1/status", statusRoutes],
  ["/v1/archive_policy", archivePolicyRoutes],
  ["/v1/archive_policy_rule", archivePolicyRuleRoutes],
];
