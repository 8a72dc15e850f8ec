/**
 * CORS as oslo.middleware does it for Gnocchi (spec rest §2.6): a pre-flight
 * from an allowed origin with an allowed method and headers is answered 200
 * with the `Access-Control-*` headers; any other pre-flight gets none of
 * them; actual requests from an allowed origin get the origin echoed back.
 */
import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "./context.js";
import type { CorsOptions } from "./options.js";

/** Headers a browser may send without asking (CORS "simple" headers). */
const SIMPLE_HEADERS = new Set([
  "cache-control",
  "content-language",
  "content-type",
  "expires",
  "last-modified",
  "pragma",
  "accept",
  "accept-language",
]);

function preflight(
  cors: CorsOptions,
  origin: string,
  method: string,
  requested: string | undefined,
): Response {
  const headers = new Headers();
  const requestedHeaders = (requested ?? "")
    .split(",")
    .map((h) => h.trim())
    .filter((h) => h !== "");
  const allowedHeaders = new Set(cors.allowHeaders.map((h) => h.toLowerCase()));
  const allowed =
    cors.allowedOrigins.includes(origin) &&
    cors.allowMethods.includes(method.toUpperCase()) &&
    requestedHeaders.every(
      (h) => SIMPLE_HEADERS.has(h.toLowerCase()) || allowedHeaders.has(h.toLowerCase()),
    );
  if (allowed) {
    headers.set("Access-Control-Allow-Origin", origin);
    headers.set("Vary", "Origin");
    headers.set("Access-Control-Allow-Methods", method);
    if (cors.allowCredentials) headers.set("Access-Control-Allow-Credentials", "true");
    if (cors.maxAge > 0) headers.set("Access-Control-Max-Age", String(cors.maxAge));
    if (requestedHeaders.length > 0) {
      headers.set("Access-Control-Allow-Headers", requestedHeaders.join(","));
    }
  }
  return new Response(null, { status: 200, headers });
}

export function cors(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const options = c.var.deps.options.cors;
    const origin = c.req.header("origin");
    if (origin === undefined || options.allowedOrigins.length === 0) return next();
    const requestMethod = c.req.header("access-control-request-method");
    if (c.req.method === "OPTIONS" && requestMethod !== undefined) {
      return preflight(
        options,
        origin,
        requestMethod,
        c.req.header("access-control-request-headers"),
      );
    }
    await next();
    if (!options.allowedOrigins.includes(origin)) return;
    c.res.headers.set("Access-Control-Allow-Origin", origin);
    c.res.headers.append("Vary", "Origin");
    if (options.allowCredentials) c.res.headers.set("Access-Control-Allow-Credentials", "true");
    if (options.exposeHeaders.length > 0) {
      c.res.headers.set("Access-Control-Expose-Headers", options.exposeHeaders.join(","));
    }
  };
}
