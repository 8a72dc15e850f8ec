/**
 * Structured logs with pino: one line per request at debug level (method,
 * route template, status, duration), server errors always at error level.
 */
import type { MiddlewareHandler } from "hono";
import { routePath } from "hono/route";
import { type Logger, pino } from "pino";
import type { AppEnv } from "./context.js";

export type LogLevel = "fatal" | "error" | "warn" | "info" | "debug" | "trace" | "silent";

/** The process logger: JSON lines on stdout. */
export function createLogger(level: LogLevel = "info"): Logger {
  return pino({ name: "gnocchi-ts", level });
}

export function requestLog(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const logger = c.var.deps.logger;
    const started = performance.now();
    await next();
    if (!logger.isLevelEnabled("debug")) return;
    logger.debug(
      {
        method: c.req.method,
        path: c.req.path,
        route: routePath(c, -1),
        status: c.res.status,
        ms: Math.round((performance.now() - started) * 1000) / 1000,
        remote: c.var.remoteAddress,
      },
      "request",
    );
  };
}
