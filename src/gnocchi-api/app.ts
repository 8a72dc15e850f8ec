/**
 * The Gnocchi REST API as a Hono application (spec rest §0–§2): mounted
 * under the configured prefix, trailing slashes accepted, 405 with `Allow`
 * for known paths, 406/415/413 handling, Gnocchi's error bodies, CORS, proxy
 * headers, request metrics and logs. Routes live in `routes/`, one module
 * per resource; they throw {@link HttpError}s or domain errors, which the
 * error handler here turns into responses.
 */
import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { methodNotAllowed as methodNotAllowedMiddleware } from "hono/method-not-allowed";
import type { ApiDeps, AppEnv } from "./context.js";
import { cors } from "./cors.js";
import { toHttpError } from "./error-map.js";
import { errorResponse, HttpError, methodNotAllowed, notFound } from "./errors.js";
import { requestLog } from "./logging.js";
import { trackWrites } from "./metric-cache.js";
import { httpMetrics } from "./metrics.js";
import { acceptJson } from "./responses.js";
import { JSON_ROUTES, TOP_LEVEL_ROUTES } from "./routes/index.js";
import { DEFAULT_BODY_CACHE_BYTES, MeasuresBodyCache } from "./services/measures-body-cache.js";
import { publicBase } from "./urls.js";

export type { ApiDeps, AppEnv } from "./context.js";

export function createApp(given: ApiDeps): Hono<AppEnv> {
  // The routes' writes go through the tracked driver, so kept metric lookups stay exact.
  const cacheBytes = given.options.measuresCacheBytes ?? DEFAULT_BODY_CACHE_BYTES;
  const deps: ApiDeps = {
    ...given,
    db: trackWrites(given.db),
    measuresBodies:
      given.measuresBodies ?? (cacheBytes > 0 ? new MeasuresBodyCache(cacheBytes) : undefined),
  };
  if (deps.measuresBodies !== undefined) deps.metrics.attachMeasuresCache(deps.measuresBodies);
  const app = new Hono<AppEnv>({ strict: false }).basePath(deps.options.prefix || "/");

  app.use("*", async (c, next) => {
    c.set("deps", deps);
    await next();
  });
  app.use("*", httpMetrics());
  app.use("*", requestLog());
  app.use("*", publicBase());
  app.use("*", cors());
  app.use(
    "*",
    methodNotAllowedMiddleware({
      app,
      onMethodNotAllowed: (c, methods) => errorResponse(c, methodNotAllowed(methods)),
    }),
  );
  const limitBody = bodyLimit({
    maxSize: deps.options.maxBodyBytes,
    onError: () => {
      throw new HttpError(413);
    },
  });
  // A GET or HEAD without Content-Length or Transfer-Encoding has no body (RFC 9112 §6.3;
  // a fetch Request cannot carry one); bodyLimit would still build the full web Request
  // (undici, an AbortController) to look at every such request.
  app.use("*", (c, next) =>
    (c.req.method === "GET" || c.req.method === "HEAD") &&
    c.req.header("content-length") === undefined &&
    c.req.header("transfer-encoding") === undefined
      ? next()
      : limitBody(c, next),
  );

  for (const [path, routes] of TOP_LEVEL_ROUTES) app.route(path, routes);
  app.use("/", acceptJson());
  app.use("/v1/*", acceptJson());
  for (const [path, routes] of JSON_ROUTES) app.route(path, routes);

  // gnocchiclient builds some URLs with a doubled slash (`/v1/archive_policy//low`);
  // WSGI servers collapse them, so routes see the single-slash path here too.
  const fetch = app.fetch;
  app.fetch = (request, ...rest) => fetch(collapseSlashes(request), ...rest);

  app.notFound((c) => errorResponse(c, notFound()));
  app.onError((error, c) => {
    const http = toHttpError(error);
    if (http === undefined) {
      deps.logger.error({ err: error, method: c.req.method, path: c.req.path }, "internal error");
      return errorResponse(c, new HttpError(500));
    }
    deps.metrics.countBadRequest(http);
    // 501 (an InfluxQL query we do not implement) is an answer, not a server fault.
    if (http.status >= 500 && http.status !== 501)
      deps.logger.error({ err: error, path: c.req.path }, http.message);
    return errorResponse(c, http);
  });
  return app;
}

function collapseSlashes(request: Request): Request {
  // Most URLs have no `//` after the scheme's: no parse for them.
  if (request.url.indexOf("//", request.url.indexOf("//") + 2) < 0) return request;
  const url = new URL(request.url);
  if (!url.pathname.includes("//")) return request;
  url.pathname = url.pathname.replace(/\/{2,}/g, "/");
  return new Request(url, request);
}
