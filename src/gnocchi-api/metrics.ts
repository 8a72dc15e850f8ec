/**
 * Self-monitoring through prom-client (served at `/metrics`): HTTP requests
 * by route template, method and status, their latency, bad requests by
 * reason, and the default process/Node.js metrics. Labels carry route
 * templates and fixed reason names only, never raw URLs or ids. Other
 * subsystems register their own metrics on {@link ApiMetrics.registry}.
 */
import type { MiddlewareHandler } from "hono";
import { routePath } from "hono/route";
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";
import type { AppEnv } from "./context.js";
import type { HttpError } from "./errors.js";
import type { MeasuresBodyCache } from "./services/measures-body-cache.js";

export interface ApiMetricsOptions {
  /** Also collect prom-client's default process and Node.js metrics (default true). */
  readonly defaultMetrics?: boolean;
  /** Register on this registry instead of a new one. */
  readonly registry?: Registry;
}

export class ApiMetrics {
  readonly registry: Registry;
  readonly httpRequests: Counter<"method" | "route" | "status">;
  readonly httpDuration: Histogram<"method" | "route">;
  readonly badRequests: Counter<"reason">;

  constructor(options: ApiMetricsOptions = {}) {
    this.registry = options.registry ?? new Registry();
    if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: this.registry });
    this.httpRequests = new Counter({
      name: "gnocchi_http_requests_total",
      help: "HTTP requests by route template, method and status code.",
      labelNames: ["method", "route", "status"],
      registers: [this.registry],
    });
    this.httpDuration = new Histogram({
      name: "gnocchi_http_request_duration_seconds",
      help: "HTTP request latency by route template and method.",
      labelNames: ["method", "route"],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [this.registry],
    });
    this.badRequests = new Counter({
      name: "gnocchi_http_bad_requests_total",
      help: "Requests refused as malformed, by reason.",
      labelNames: ["reason"],
      registers: [this.registry],
    });
  }

  /** Exposes the `GET .../measures` body cache's size and hits (once per registry). */
  attachMeasuresCache(cache: MeasuresBodyCache): void {
    if (this.registry.getSingleMetric("gnocchi_api_measures_cache_bytes") !== undefined) return;
    const registers = [this.registry];
    new Gauge({
      name: "gnocchi_api_measures_cache_bytes",
      help: "Bytes held by the GET measures body cache (api.measures_cache_size).",
      registers,
      collect() {
        this.set(cache.bytes);
      },
    });
    for (const [name, help, read] of [
      ["hits", "GET measures bodies given again unchanged.", () => cache.hits],
      ["misses", "GET measures bodies written.", () => cache.misses],
    ] as const) {
      new Counter({
        name: `gnocchi_api_measures_cache_${name}_total`,
        help,
        registers,
        collect() {
          this.reset();
          this.inc(read());
        },
      });
    }
  }

  /** Counts a refused request under a bounded reason name. */
  countBadRequest(error: HttpError): void {
    const reason = badRequestReason(error);
    if (reason !== undefined) this.badRequests.inc({ reason });
  }
}

const STANDARD_METHODS = new Set(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]);

/** A bounded reason name for a client error, or undefined for errors that are not "bad requests". */
export function badRequestReason(error: HttpError): string | undefined {
  switch (error.status) {
    case 400:
      if (typeof error.detail === "object") {
        return error.detail.cause
          .toLowerCase()
          .replace(/[^a-z0-9]+/g, "_")
          .replace(/^_|_$/g, "")
          .slice(0, 40);
      }
      return "invalid_request";
    case 406:
      return "not_acceptable";
    case 413:
      return "body_too_large";
    case 415:
      return "unsupported_media_type";
    default:
      return undefined;
  }
}

/** Times every request and counts it under its route template. */
export function httpMetrics(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const started = process.hrtime.bigint();
    try {
      await next();
    } finally {
      const metrics = c.var.deps.metrics;
      const template = routePath(c, -1);
      // A request no route matched ends on a catch-all middleware: one label for all of them.
      const route = template.endsWith("*") ? "unmatched" : template;
      const method = STANDARD_METHODS.has(c.req.method) ? c.req.method : "OTHER";
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      metrics.httpDuration.observe({ method, route }, seconds);
      metrics.httpRequests.inc({ method, route, status: String(c.res.status) });
    }
  };
}
