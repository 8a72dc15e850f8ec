/**
 * Drives the Hono app with real Requests against an indexer of the
 * describeDrivers block, with the upstream functional-test fixture
 * (gabbi-coverage.md §1): prefix `/gnocchi`, max_limit 7, proxy headers on,
 * CORS origin http://foobar.com, no default archive policies.
 */
import type { Hono } from "hono";
import { createApp } from "../../src/gnocchi-api/app.js";
import type { AppEnv } from "../../src/gnocchi-api/context.js";
import { createLogger } from "../../src/gnocchi-api/logging.js";
import { ApiMetrics } from "../../src/gnocchi-api/metrics.js";
import { type ApiOptions, DEFAULT_API_OPTIONS } from "../../src/gnocchi-api/options.js";
import { EMPTY_STATUS_SOURCE, type StatusSource } from "../../src/gnocchi-api/status.js";
import type { SqlDriver } from "../../src/indexer/driver.js";

export const FIXTURE_OPTIONS: ApiOptions = {
  ...DEFAULT_API_OPTIONS,
  prefix: "/gnocchi",
  maxLimit: 7,
  enableProxyHeadersParsing: true,
  cors: { ...DEFAULT_API_OPTIONS.cors, allowedOrigins: ["http://foobar.com"] },
};

export const ADMIN = "basic YWRtaW46";
export const FOOBAR = "basic Zm9vYmFyOg==";
export const BASE = "http://localhost:8041/gnocchi";

export interface Harness {
  readonly app: Hono<AppEnv>;
  readonly metrics: ApiMetrics;
  /** A request to `BASE + path`; `body` objects are sent as JSON. Default user foobar, JSON content type. */
  request(
    method: string,
    path: string,
    init?: { headers?: Record<string, string | undefined>; body?: unknown },
  ): Promise<Response>;
}

export function harness(
  db: () => SqlDriver,
  overrides: Partial<ApiOptions> = {},
  status: StatusSource = EMPTY_STATUS_SOURCE,
): Harness {
  const metrics = new ApiMetrics({ defaultMetrics: false });
  let app: Hono<AppEnv> | undefined;
  const getApp = () => {
    app ??= createApp({
      options: { ...FIXTURE_OPTIONS, ...overrides },
      db: db(),
      status,
      metrics,
      logger: createLogger("silent"),
      version: "4.4.2",
    });
    return app;
  };
  return {
    get app() {
      return getApp();
    },
    metrics,
    async request(method, path, init = {}) {
      const merged: Record<string, string | undefined> = {
        authorization: FOOBAR,
        "content-type": "application/json",
        ...init.headers,
      };
      // undefined leaves a header out; "" sends it empty (as gabbi does).
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(merged)) if (v !== undefined) headers[k] = v;
      const body =
        init.body === undefined
          ? undefined
          : typeof init.body === "string"
            ? init.body
            : JSON.stringify(init.body);
      return getApp().request(`${BASE}${path}`, { method, headers, body });
    },
  };
}

export const admin = (extra: Record<string, string> = {}) => ({ authorization: ADMIN, ...extra });
