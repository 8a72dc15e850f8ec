/**
 * One Grafana target read from storage: the selected metrics' pending
 * measures processed first (read-after-write), then one aggregate each, the
 * granularity given by the target or else the coarsest one retained for the
 * range and no coarser than the panel's interval (archive-choice.ts), and
 * shaped as Grafana time series (`[value, ms]` pairs) or one table.
 */
import { parseTimespan } from "../../carbonara/timespan.js";
import type { Credentials } from "../../indexer/acl.js";
import type { SqlExecutor } from "../../indexer/driver.js";
import type { AggregateReader } from "../../storage/aggregate-reader.js";
import { chooseArchive } from "../archive-choice.js";
import { readableMetrics } from "../metric-access.js";
import { type AdhocFilter, GrafanaInputError, selectMetrics } from "./model.js";
import type { TargetQuery } from "./request.js";

export interface TimeSeriesReply {
  target: string;
  datapoints: [number | null, number][];
}

export interface TableReply {
  type: "table";
  columns: { text: string; type: string }[];
  rows: (string | number | null)[][];
}

export interface ReadContext {
  readonly db: SqlExecutor;
  readonly reader: Pick<AggregateReader, "getMeasures" | "refresh">;
  readonly creds: Credentials;
  readonly refreshTimeoutMs?: number;
  /** µs */
  readonly from: number;
  readonly to: number;
  /** ms; the panel's interval. */
  readonly intervalMs: number;
}

function granularityOf(q: TargetQuery): number | undefined {
  if (q.granularity === "") return undefined;
  try {
    return parseTimespan(q.granularity);
  } catch {
    throw new GrafanaInputError(`invalid granularity ${q.granularity}`);
  }
}

export async function readTarget(
  ctx: ReadContext,
  q: TargetQuery,
  adhoc: readonly AdhocFilter[],
): Promise<TimeSeriesReply[] | TableReply> {
  const wanted = granularityOf(q);
  const selected = await selectMetrics(ctx.db, ctx.creds, {
    type: q.type,
    metric: q.metric,
    search: q.search,
    adhoc,
    label: q.label,
  });
  const metrics = await readableMetrics(
    ctx.db,
    ctx.creds,
    selected.map((s) => s.metricId),
  );
  const readable = selected.filter((s) => metrics.has(s.metricId));
  await ctx.reader.refresh(
    readable.map((s) => s.metricId),
    ctx.refreshTimeoutMs,
  );
  const hints = {
    start: ctx.from / 1000,
    end: ctx.to / 1000,
    step: ctx.intervalMs,
    range: 0,
    func: "",
    grouping: [],
    by: false,
  };
  const series = await Promise.all(
    readable.map(async (s) => {
      const policy = metrics.get(s.metricId)!.archivePolicy;
      if (!policy.aggregationMethods.includes(q.aggregation)) return undefined;
      const item =
        wanted === undefined
          ? chooseArchive(policy, hints, Date.now())
          : policy.definition.find((d) => d.granularity === wanted);
      if (item === undefined) return undefined;
      const r = await ctx.reader.getMeasures({
        metricId: s.metricId,
        method: q.aggregation,
        granularity: item.granularity,
        timespan: item.timespan,
        from: ctx.from,
        to: ctx.to,
      });
      return r === undefined
        ? undefined
        : { label: s.label, timestamps: r.timestamps, values: r.values };
    }),
  );
  const present = series.filter((s) => s !== undefined);
  if (q.format === "table") {
    const rows: (string | number | null)[][] = [];
    for (const s of present)
      for (let i = 0; i < s.timestamps.length; i++)
        rows.push([s.timestamps[i]! / 1000, s.label, finite(s.values[i]!)]);
    return {
      type: "table",
      columns: [
        { text: "Time", type: "time" },
        { text: q.label, type: "string" },
        { text: `${q.metric} (${q.aggregation})`, type: "number" },
      ],
      rows,
    };
  }
  return present.map((s) => {
    const datapoints: [number | null, number][] = new Array(s.timestamps.length);
    for (let i = 0; i < s.timestamps.length; i++)
      datapoints[i] = [finite(s.values[i]!), s.timestamps[i]! / 1000];
    return { target: s.label, datapoints };
  });
}

/** JSON has no NaN or infinities: Grafana reads null as a gap. */
function finite(v: number): number | null {
  return Number.isFinite(v) ? v : null;
}
