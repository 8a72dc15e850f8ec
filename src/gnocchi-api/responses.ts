/**
 * Success replies (spec rest §0.3): JSON through the Python-style
 * serializer; nothing to say on a 200 becomes 204 with no content type; 202
 * stays 202 with an empty body. `acceptJson` answers 406 to clients that
 * accept no JSON, before the handler runs.
 */
import type { Context, MiddlewareHandler } from "hono";
import type { AppEnv } from "./context.js";
import { notAcceptable } from "./errors.js";
import { pythonJson } from "./json.js";
import { acceptsJson } from "./negotiation.js";

/** `body` as JSON with `status`; undefined body: 204 (for 200) or an empty body. */
export function reply(
  c: Context,
  body: unknown,
  status = 200,
  headers: Record<string, string> = {},
): Response {
  if (body === undefined) {
    return new Response(null, { status: status === 200 ? 204 : status, headers });
  }
  return new Response(c.req.method === "HEAD" ? null : pythonJson(body), {
    status,
    headers: { "Content-Type": "application/json", ...headers },
  });
}

/** An empty reply: 204, or `status` (202) with `Content-Length: 0`. */
export function noContent(status = 204): Response {
  return new Response(null, { status, headers: status === 204 ? {} : { "Content-Length": "0" } });
}

/** 406 when the client's `Accept` rules out JSON (JSON endpoints; DELETEs answer nothing and pass). */
export function acceptJson(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    if (c.req.method !== "DELETE" && !acceptsJson(c.req.header("accept"))) throw notAcceptable();
    await next();
  };
}
