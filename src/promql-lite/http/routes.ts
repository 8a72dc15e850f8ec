/**
 * The Prometheus HTTP API (mounted at `/api/v1` under the URL prefix):
 * parse, call one service, shape the reply as Prometheus does. The REST API
 * mounts it with a {@link PromApiBinding} that gives each request's service
 * and caller, so this module does not depend on the REST API's internals.
 *
 * Served: query, query_range (GET and form POST), series, labels,
 * label/<name>/values (GET and POST where Prometheus has them), metadata
 * (`{}`: remote write carries no metadata here), query_exemplars (`[]`),
 * status/buildinfo, format_query, rules and alerts (empty: no rule engine).
 * Any other method on these paths is Prometheus' plain-text 405.
 */
import { type Context, type Env, Hono } from "hono";
import type { Credentials } from "../../indexer/acl.js";
import { parseExpr } from "../parser/parse.js";
import { exprToString } from "../parser/printer.js";
import { errorReply, PromApiError, successReply, toApiError } from "./errors.js";
import { invalidParam, readParams } from "./params.js";
import { runInstantQuery, runRangeQuery } from "./query.js";
import { labelNamesData, labelValuesData, seriesData } from "./series-meta.js";
import type { PromQLService } from "./service.js";

export interface PromApiBinding<E extends Env> {
  /** The service of the app serving this request. */
  service(c: Context<E>): PromQLService;
  /** The caller; throws an error with `status` 401 when the request carries no identity. */
  caller(c: Context<E>): Credentials;
  /** Logs an unexpected error (answered as `internal`). */
  logError(c: Context<E>, error: unknown): void;
}

/** The Prometheus version whose API this one follows (buildinfo; Grafana's heuristics read it). */
export const PROMETHEUS_API_VERSION = "2.42.0";

function methodNotAllowed(): Response {
  return new Response("Method Not Allowed\n", {
    status: 405,
    headers: { "Content-Type": "text/plain; charset=utf-8" },
  });
}

export function prometheusApiRoutes<E extends Env>(binding: PromApiBinding<E>): Hono<E> {
  const app = new Hono<E>({ strict: false });

  type Handler = (
    c: Context<E>,
    service: PromQLService,
    creds: Credentials,
  ) => Promise<unknown> | unknown;
  const handle =
    (fn: Handler) =>
    async (c: Context<E>): Promise<Response> => {
      try {
        const creds = binding.caller(c);
        return successReply(await fn(c, binding.service(c), creds));
      } catch (error) {
        const api = toApiError(error);
        if (api !== undefined) return errorReply(api);
        binding.logError(c, error);
        return errorReply(new PromApiError("internal", "internal error while serving the request"));
      }
    };
  const route = (path: string, methods: readonly ("GET" | "POST")[], fn: Handler) => {
    const h = handle(fn);
    for (const m of methods) app.on(m, path, h);
    app.all(path, () => methodNotAllowed());
  };
  const signal = (c: Context<E>) => c.req.raw.signal;

  route("/query", ["GET", "POST"], async (c, service, creds) =>
    runInstantQuery(service, creds, await readParams(c), signal(c)),
  );
  route("/query_range", ["GET", "POST"], async (c, service, creds) =>
    runRangeQuery(service, creds, await readParams(c), signal(c)),
  );
  route("/series", ["GET", "POST"], async (c, service, creds) =>
    seriesData(service, creds, await readParams(c)),
  );
  route("/labels", ["GET", "POST"], async (c, service, creds) =>
    labelNamesData(service, creds, await readParams(c)),
  );
  route("/label/:name/values", ["GET"], async (c, service, creds) =>
    labelValuesData(service, creds, c.req.param("name") ?? "", await readParams(c)),
  );
  route("/metadata", ["GET"], () => ({}));
  route("/query_exemplars", ["GET", "POST"], () => []);
  route("/rules", ["GET"], () => ({ groups: [] }));
  route("/alerts", ["GET"], () => ({ alerts: [] }));
  route("/status/buildinfo", ["GET"], (_c, service) => ({
    version: PROMETHEUS_API_VERSION,
    revision: `gnocchi-ts ${service.version}`,
    branch: "",
    buildUser: "",
    buildDate: "",
    goVersion: "",
  }));
  route("/format_query", ["GET", "POST"], async (c) => {
    const params = await readParams(c);
    try {
      return exprToString(parseExpr(params.get("query")));
    } catch (error) {
      throw invalidParam("query", (error as Error).message);
    }
  });
  return app;
}
