/**
 * Response shapes of the aggregation endpoints (spec rest §10.6, §12): the
 * `measures` object keyed `aggregated`, by metric id (metric mode) or by
 * resource id then metric name (resource mode), each then by method, whose
 * leaves are row lists `[[timestamp, granularity, value], ...]`; and the
 * `details=true` references. Row lists stay typed arrays ({@link Rows})
 * until {@link renderJson} writes them with the measures writer, so a large
 * answer allocates no object per point.
 */
import type { Context } from "hono";
import type { AggregatesResult, ResultBlock } from "../../carbonara/aggregates/index.js";
import { pythonJson } from "../json.js";
import { resourceJson } from "../resource-json.js";
import type { EvaluatedRef, SeriesRef } from "./cross-aggregation.js";
import { type MeasuresSeries, measuresToJson } from "./measures-json.js";

/** A row list: the points of each series in order (granularities descending by the caller). */
export class Rows {
  constructor(readonly series: MeasuresSeries[] = []) {}
}

/** A 200 JSON reply of `value` rendered by {@link renderJson}. */
export function replyRendered(c: Context, value: unknown): Response {
  return new Response(c.req.method === "HEAD" ? null : renderJson(value), {
    status: 200,
    headers: { "Content-Type": "application/json" },
  });
}

/** `value` as JSON bytes: Python's spellings, {@link Rows} through the measures writer. */
export function renderJson(value: unknown): Buffer {
  const chunks: Uint8Array[] = [];
  let text = "";
  const write = (part: unknown) => {
    if (part instanceof Rows) {
      chunks.push(Buffer.from(text), asBytes(measuresToJson(part.series)));
      text = "";
    } else if (Array.isArray(part)) {
      text += "[";
      part.forEach((item, i) => {
        if (i > 0) text += ", ";
        write(item);
      });
      text += "]";
    } else if (typeof part === "object" && part !== null && part.constructor === Object) {
      text += "{";
      let first = true;
      for (const [k, v] of Object.entries(part)) {
        if (v === undefined) continue;
        text += `${first ? "" : ", "}${JSON.stringify(k)}: `;
        first = false;
        write(v);
      }
      text += "}";
    } else {
      text += pythonJson(part);
    }
  };
  write(value);
  chunks.push(Buffer.from(text));
  return Buffer.concat(chunks);
}

const asBytes = (json: string | Uint8Array): Uint8Array =>
  typeof json === "string" ? Buffer.from(json) : json;

type ByMethod = Record<string, Rows>;

function add(byMethod: ByMethod, method: string, blocks: readonly ResultBlock[]): void {
  byMethod[method] ??= new Rows();
  byMethod[method].series.push(...blocks);
}

/**
 * The `measures` object of `/v1/aggregates`. Series selected twice under
 * one key (two patterns matching the same metric) add their rows, as the
 * original's `extend` does; a series without points still shows as `[]`.
 */
export function measuresJson(result: AggregatesResult<EvaluatedRef>): Record<string, unknown> {
  if (result.aggregated) return { aggregated: new Rows([...result.blocks]) };
  const byMetric: Record<string, ByMethod> = {};
  const byResource: Record<string, Record<string, ByMethod>> = {};
  for (const { reference, blocks } of result.series) {
    if (reference.resource === undefined) {
      byMetric[reference.metric.id] ??= {};
      add(byMetric[reference.metric.id]!, reference.method, blocks);
    } else {
      byResource[reference.resource.id] ??= {};
      const names = byResource[reference.resource.id]!;
      names[reference.metric.name ?? ""] ??= {};
      add(names[reference.metric.name ?? ""]!, reference.method, blocks);
    }
  }
  return result.series.some((s) => s.reference.resource !== undefined) ? byResource : byMetric;
}

/** Resource mode references: the distinct resources of the series, in order of first use. */
export function resourceReferencesJson(refs: readonly SeriesRef[]): Record<string, unknown>[] {
  const seen = new Set<string>();
  const out: Record<string, unknown>[] = [];
  for (const r of refs) {
    if (r.resource !== undefined && !seen.has(r.resource.id)) {
      seen.add(r.resource.id);
      out.push(resourceJson(r.resource));
    }
  }
  return out;
}
