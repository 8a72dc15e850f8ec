/** `GET /metrics`: the Prometheus text exposition of the server's own metrics (no auth). */
import { Hono } from "hono";
import type { AppEnv } from "../context.js";

export const metricsRoutes = new Hono<AppEnv>({ strict: false });

metricsRoutes.get("/", async (c) => {
  const registry = c.var.deps.metrics.registry;
  return c.body(await registry.metrics(), 200, { "Content-Type": registry.contentType });
});
