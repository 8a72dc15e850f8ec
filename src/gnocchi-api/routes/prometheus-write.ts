/**
 * Prometheus remote write (spec ingest-adapters §a), two doors to the same
 * service (ApiDeps.remoteWrite):
 *
 * - `POST /api/v1/write`, the path Prometheus users expect: 204 when stored;
 *   errors as Prometheus' API writes them,
 *   `{"status": "error", "errorType": ..., "error": ...}`;
 * - `POST /v1/prometheus/write`, Gnocchi's: 202 when stored, Gnocchi's error
 *   bodies.
 *
 * Auth as the rest of the API (401 without identity). The status tells
 * Prometheus what to do: 4xx drops the request for good, 5xx (503 with
 * `Retry-After`) makes it send the same samples again later. Without the
 * service (not wired) both answer 404, as Gnocchi does without its
 * snappy/protobuf support.
 */
import { type Context, Hono } from "hono";
import { getCredentials } from "../auth.js";
import type { AppEnv } from "../context.js";
import { HttpError, notFound } from "../errors.js";
import { isAllowed } from "../policy.js";
import { isRemoteWriteRefusal, type RemoteWriteService } from "../remote-write-service.js";
import { noContent } from "../responses.js";

async function store(c: Context<AppEnv>, service: RemoteWriteService): Promise<void> {
  const creds = getCredentials(c);
  const body = new Uint8Array(await c.req.arrayBuffer());
  await service.write(body, {
    creator: creds.user,
    admin: isAllowed(creds, "create resource type"),
  });
}

/** `POST /v1/prometheus/write`. */
export const gnocchiPrometheusWriteRoutes = new Hono<AppEnv>({ strict: false });

gnocchiPrometheusWriteRoutes.post("/", async (c) => {
  const service = c.var.deps.remoteWrite;
  if (service === undefined) throw notFound();
  try {
    await store(c, service);
  } catch (error) {
    if (!isRemoteWriteRefusal(error)) throw error;
    const headers: Record<string, string> =
      error.retryAfter === undefined ? {} : { "Retry-After": String(error.retryAfter) };
    throw new HttpError(error.status, error.description ?? error.message, headers);
  }
  return noContent(202);
});

const ERROR_TYPES: Readonly<Record<number, string>> = {
  400: "bad_data",
  401: "unauthorized",
  403: "forbidden",
  404: "not_found",
  409: "conflict",
  413: "bad_data",
  503: "unavailable",
};

function prometheusError(
  status: number,
  message: string,
  headers: Record<string, string> = {},
): Response {
  const body = JSON.stringify({
    status: "error",
    errorType: ERROR_TYPES[status] ?? (status >= 500 ? "internal" : "bad_data"),
    error: message,
  });
  return new Response(body, {
    status,
    headers: { "Content-Type": "application/json", ...headers },
  });
}

/** `POST /api/v1/write`. */
export const prometheusRemoteWriteRoutes = new Hono<AppEnv>({ strict: false });

prometheusRemoteWriteRoutes.post("/", async (c) => {
  const service = c.var.deps.remoteWrite;
  if (service === undefined) return prometheusError(404, "remote write is not enabled");
  try {
    await store(c, service);
  } catch (error) {
    if (isRemoteWriteRefusal(error)) {
      const headers: Record<string, string> =
        error.retryAfter === undefined ? {} : { "Retry-After": String(error.retryAfter) };
      return prometheusError(error.status, error.message, headers);
    }
    if (error instanceof HttpError) {
      return prometheusError(error.status, error.message || `HTTP ${error.status}`, {
        ...error.headers,
      });
    }
    c.var.deps.logger.error({ err: error, path: c.req.path }, "remote write failed");
    return prometheusError(500, "internal error while storing the samples");
  }
  return noContent(204);
});
