/**
 * `/api/v1/query` and `/api/v1/query_range` (GET, or POST with a form
 * body): parameters checked in Prometheus' order and with its texts, then
 * one query through the engine over the caller's StorageSeriesSource, under
 * the configured timeout (or the request's `timeout`, whichever is shorter),
 * the max-samples limit, and the client's connection (a client that goes
 * away cancels the query).
 */
import type { Credentials } from "../../indexer/acl.js";
import { instantQuery, MAX_POINTS_PER_SERIES, rangeQuery } from "../engine.js";
import { PromQLError } from "../errors.js";
import type { Expr } from "../parser/ast.js";
import { parseExpr, typeOf } from "../parser/parse.js";
import { prometheusDataJson, type QueryResult } from "../result.js";
import { JsonText, PromApiError } from "./errors.js";
import {
  durationParam,
  invalidParam,
  type Params,
  requiredTimeParam,
  timeParam,
} from "./params.js";
import type { PromQLService } from "./service.js";

function parseQuery(params: Params): Expr {
  try {
    return parseExpr(params.get("query"));
  } catch (error) {
    if (error instanceof PromQLError && error.type === "bad_data")
      throw invalidParam("query", error.message);
    throw error;
  }
}

function timeoutOf(service: PromQLService, params: Params): number {
  const limit = service.limits.queryTimeoutMs;
  if (params.get("timeout") === "") return limit;
  return Math.min(limit, durationParam(params, "timeout"));
}

function options(service: PromQLService, timeout: number, signal: AbortSignal | undefined) {
  return {
    timeout,
    maxSamples: service.limits.maxSamples,
    lookbackDelta: service.limits.lookbackDeltaMs,
    ...(signal === undefined ? {} : { signal }),
  };
}

/** `data` of an instant query. */
export async function runInstantQuery(
  service: PromQLService,
  creds: Credentials,
  params: Params,
  signal?: AbortSignal,
): Promise<JsonText> {
  const time = timeParam(params, "time", Date.now());
  const timeout = timeoutOf(service, params);
  const expr = parseQuery(params);
  const source = await service.source(creds);
  const result: QueryResult = await instantQuery(
    source,
    expr,
    time,
    options(service, timeout, signal),
  );
  return new JsonText(prometheusDataJson(result));
}

/** `data` of a range query. */
export async function runRangeQuery(
  service: PromQLService,
  creds: Credentials,
  params: Params,
  signal?: AbortSignal,
): Promise<JsonText> {
  const start = requiredTimeParam(params, "start");
  const end = requiredTimeParam(params, "end");
  if (end < start)
    throw new PromApiError("bad_data", "end timestamp must not be before start time");
  const step = durationParam(params, "step");
  if (!(step > 0))
    throw new PromApiError(
      "bad_data",
      "zero or negative query resolution step widths are not accepted. Try a positive integer",
    );
  if ((end - start) / step > MAX_POINTS_PER_SERIES)
    throw new PromApiError(
      "bad_data",
      "exceeded maximum resolution of 11,000 points per timeseries. Try decreasing the query resolution (?step=XX)",
    );
  const timeout = timeoutOf(service, params);
  const expr = parseQuery(params);
  const type = typeOf(expr);
  if (type !== "scalar" && type !== "vector")
    throw invalidParam(
      "query",
      `invalid expression type "${type === "matrix" ? "range vector" : "string"}" for range query, must be Scalar or instant Vector`,
    );
  const source = await service.source(creds);
  const result = await rangeQuery(
    source,
    expr,
    start,
    end,
    step,
    options(service, timeout, signal),
  );
  return new JsonText(prometheusDataJson(result));
}
