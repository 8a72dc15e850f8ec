/**
 * `POST /v1/search/metric` (spec rest §9.4): the aggregated points of each
 * metric that satisfy the body's predicate, checks in Gnocchi's order (read
 * policy on every metric, body present and valid, start, stop, operators,
 * then each metric's aggregations). Without `granularity`, every metric is
 * read at the granularities of the first one's policy (the original's
 * behaviour).
 */
import type { Micros } from "../../carbonara/time.js";
import { parsePositiveTimespan } from "../../carbonara/timespan.js";
import { parseTimestamp } from "../../carbonara/timestamp.js";
import type { SqlExecutor } from "../../indexer/driver.js";
import { listMetrics, type MetricWithPolicy } from "../../indexer/metric-store.js";
import { parseUuid } from "../../indexer/resource-id.js";
import type { AggregateReader } from "../../storage/aggregate-reader.js";
import type { Credentials } from "../auth.js";
import { badRequest } from "../errors.js";
import { pythonFloat } from "../json.js";
import { parseMetricSearch } from "../schemas/search-metric.js";
import { Rows } from "./aggregates-json.js";
import type { MeasuresSeries } from "./measures-json.js";
import { enforceMetricsRead } from "./metric-access.js";
import { listedMetricJSON } from "./metrics.js";

export interface SearchMetricRequest {
  readonly metricIds: readonly string[];
  /** The raw body text (empty: no query). */
  readonly body: string;
  /** Parses the body (the route's JSON reader: 415, `Unable to decode body`). */
  readonly parseBody: () => Promise<unknown>;
  readonly start?: string | undefined;
  readonly stop?: string | undefined;
  readonly aggregation?: string | undefined;
  readonly granularities: readonly string[];
}

export interface SearchMetricContext {
  readonly db: SqlExecutor;
  readonly reader: AggregateReader;
  readonly creds: Credentials;
}

function instant(value: string | undefined, name: "start" | "stop"): Micros | undefined {
  if (value === undefined) return undefined;
  try {
    return parseTimestamp(value);
  } catch {
    throw badRequest(`Invalid value for ${name}`);
  }
}

/** `{"<metric id>": rows}` of the matching points. @throws HttpError 400, 403 */
export async function searchMetrics(
  ctx: SearchMetricContext,
  request: SearchMetricRequest,
): Promise<Record<string, Rows>> {
  // Ids that are not UUIDs name no metric: ignored like unknown ones.
  const ids = request.metricIds.map(parseUuid).filter((id): id is string => id !== undefined);
  const metrics = ids.length === 0 ? [] : await listMetrics(ctx.db, { ids });
  await enforceMetricsRead(ctx.db, ctx.creds, "search metric", metrics);
  if (request.body.length === 0) throw badRequest("No query specified in body");
  const search = parseMetricSearch(await request.parseBody());
  const start = instant(request.start, "start");
  const stop = instant(request.stop, "stop");
  if (search.unknownOperator !== undefined) {
    throw badRequest(`Unknown operator ${search.unknownOperator}`);
  }
  const aggregation = request.aggregation ?? "mean";
  let granularities: Micros[] | undefined;
  if (request.granularities.length > 0) {
    granularities = request.granularities.map((g) => {
      try {
        return parsePositiveTimespan(g);
      } catch (error) {
        throw badRequest({
          cause: "Argument value error",
          detail: "granularity",
          reason: error instanceof Error ? error.message : String(error),
        });
      }
    });
    granularities.sort((a, b) => b - a);
  }

  const plan: { metric: MetricWithPolicy; granularities: Micros[] }[] = [];
  for (const metric of metrics) {
    granularities ??= metric.archivePolicy.definition
      .map((d) => d.granularity)
      .sort((a, b) => b - a);
    for (const g of granularities) {
      const known =
        metric.archivePolicy.aggregationMethods.includes(aggregation) &&
        metric.archivePolicy.definition.some((d) => d.granularity === g);
      if (!known) {
        throw badRequest({
          cause: "Aggregation does not exist",
          detail: { granularity: pythonFloat(g / 1_000_000), aggregation_method: aggregation },
        });
      }
    }
    plan.push({ metric, granularities });
  }

  const read = await Promise.all(
    plan.map(({ metric, granularities: gs }) =>
      Promise.all(
        gs.map((granularity) =>
          ctx.reader.getMeasures({
            metricId: metric.id,
            method: aggregation,
            granularity,
            timespan:
              metric.archivePolicy.definition.find((d) => d.granularity === granularity)
                ?.timespan ?? null,
            ...(start === undefined ? {} : { from: start }),
            ...(stop === undefined ? {} : { to: stop }),
          }),
        ),
      ),
    ),
  );
  const out: Record<string, Rows> = {};
  plan.forEach(({ metric }, i) => {
    const series = read[i]!;
    if (series.some((s) => s === undefined)) {
      // A metric with no stored data yet (Gnocchi's MetricDoesNotExist).
      throw badRequest({
        cause: "Metric does not exist",
        detail: { metric: listedMetricJSON(metric) },
      });
    }
    out[metric.id] = new Rows(series.map((s) => matching(s!, search.keep)));
  });
  return out;
}

/** The points of `serie` whose value satisfies `keep`. */
function matching(serie: MeasuresSeries, keep: (v: number) => boolean): MeasuresSeries {
  const { timestamps, values } = serie;
  const t = new Float64Array(values.length);
  const v = new Float64Array(values.length);
  let n = 0;
  for (let i = 0; i < values.length; i++) {
    if (keep(values[i]!)) {
      t[n] = timestamps[i]!;
      v[n++] = values[i]!;
    }
  }
  return { granularity: serie.granularity, timestamps: t.subarray(0, n), values: v.subarray(0, n) };
}
