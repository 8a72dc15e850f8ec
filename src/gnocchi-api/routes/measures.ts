/**
 * The `measures` sub-resource of a metric (spec rest §5.7, §5.8), shared by
 * `/v1/metric/{id}/measures` and `/v1/resource/{type}/{id}/metric/{name}/measures`:
 * the metric is loaded by the caller, these check the policy, then the
 * input, then do the work.
 */
import type { Context } from "hono";
import { DEFAULT_REFRESH_TIMEOUT_MS } from "../../storage/aggregate-reader.js";
import { readJsonBody } from "../body.js";
import type { AppEnv } from "../context.js";
import { badRequest } from "../errors.js";
import { acceptsGzip } from "../negotiation.js";
import { enforce } from "../policy.js";
import { noContent } from "../responses.js";
import { MeasuresInputError, parseMeasures } from "../schemas/measures.js";
import { parseMeasuresQuery } from "../schemas/measures-query.js";
import { appendMeasures, readMeasures } from "../services/measures.js";
import { detailedMetricJSON, type MetricDetail } from "../services/metrics.js";

/** `POST`: 202 once the measures are durable; the whole list is checked first. */
export async function postMeasures(c: Context<AppEnv>, metric: MetricDetail): Promise<Response> {
  enforce(c, "post measures", detailedMetricJSON(metric));
  const body = await readJsonBody(c);
  let measures: ReturnType<typeof parseMeasures>;
  try {
    measures = parseMeasures(body);
  } catch (error) {
    if (!(error instanceof MeasuresInputError)) throw error;
    throw badRequest({ cause: "Invalid input", reason: error.reason, detail: [] });
  }
  await appendMeasures(c.var.deps.storage, metric.id, measures);
  return noContent(202);
}

/**
 * `GET`: the aggregates, written straight as JSON (NaN and Infinity as
 * Python's tokens); gzipped when the client accepts it and a kept body has
 * its gzip ready.
 */
export async function getMeasures(c: Context<AppEnv>, metric: MetricDetail): Promise<Response> {
  enforce(c, "get measures", detailedMetricJSON(metric));
  const query = parseMeasuresQuery((name) => c.req.query(name));
  const { storage, options, measuresBodies } = c.var.deps;
  const timeoutMs =
    options.operationTimeout === undefined
      ? DEFAULT_REFRESH_TIMEOUT_MS
      : options.operationTimeout * 1000;
  const body = await readMeasures(storage, measuresBodies, metric, query, timeoutMs);
  const zipped = body.gzip !== undefined && acceptsGzip(c.req.header("accept-encoding"));
  return new Response(c.req.method === "HEAD" ? null : zipped ? body.gzip : body.json, {
    status: 200,
    headers: {
      "Content-Type": "application/json",
      Vary: "Accept-Encoding",
      ...(zipped ? { "Content-Encoding": "gzip" } : {}),
    },
  });
}
