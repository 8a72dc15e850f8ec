/**
 * The request bodies of the Grafana JSON data source (simpod-json-datasource)
 * and of the older SimpleJSON plugin, validated with zod, and a target's
 * query: the payload fields of the JSON plugin's query builder, or, for
 * SimpleJSON (no payload), the target text in query-string form
 * `cpu_util?type=instance&search=host='a'&aggregation=max&granularity=300&label=host`.
 */
import { z } from "zod";
import type { AdhocFilter } from "./model.js";

const range = z.object({ from: z.string(), to: z.string() }).loose();

const adhoc = z.array(
  z.object({ key: z.string(), operator: z.string(), value: z.coerce.string() }).loose(),
);

const payloadValue = z.union([z.string(), z.number(), z.boolean(), z.null(), z.array(z.string())]);

export const queryBody = z
  .object({
    range,
    intervalMs: z.number().positive().optional(),
    targets: z.array(
      z
        .object({
          refId: z.string().optional(),
          target: z.string().optional(),
          type: z.string().optional(),
          hide: z.boolean().optional(),
          payload: z.union([z.record(z.string(), payloadValue), z.string()]).optional(),
        })
        .loose(),
    ),
    filters: adhoc.optional(),
    adhocFilters: adhoc.optional(),
  })
  .loose();

export type QueryBody = z.infer<typeof queryBody>;
export type QueryTarget = QueryBody["targets"][number];

export const metricsBody = z
  .object({ metric: z.string().optional(), payload: z.record(z.string(), payloadValue).optional() })
  .loose();

export const payloadOptionsBody = z
  .object({
    metric: z.string().optional(),
    name: z.string(),
    payload: z.record(z.string(), payloadValue).optional(),
  })
  .loose();

export const variableBody = z
  .object({
    payload: z.union([z.object({ target: z.string() }).loose(), z.string()]).optional(),
    target: z.string().optional(),
    range: range.optional(),
  })
  .loose();

export const searchBody = z.object({ target: z.string().optional() }).loose();

export const tagValuesBody = z.object({ key: z.string() }).loose();

export const annotationsBody = z
  .object({ range, annotation: z.object({ query: z.string().optional() }).loose() })
  .loose();

/** What one target asks for. */
export interface TargetQuery {
  readonly metric: string;
  readonly type: string;
  readonly search: string;
  readonly aggregation: string;
  /** Seconds or a Gnocchi timespan; "" = chosen from the interval. */
  readonly granularity: string;
  readonly label: string;
  readonly format: "time_series" | "table";
}

function text(value: unknown, fallback: string): string {
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  return fallback;
}

export function targetQuery(t: QueryTarget): TargetQuery {
  let fields: Record<string, unknown>;
  let metric = t.target ?? "";
  if (typeof t.payload === "object" && t.payload !== null) fields = t.payload;
  else if (typeof t.payload === "string" && t.payload.trim().startsWith("{")) {
    try {
      fields = JSON.parse(t.payload) as Record<string, unknown>;
    } catch {
      fields = {};
    }
  } else {
    const q = metric.indexOf("?");
    fields = q < 0 ? {} : Object.fromEntries(new URLSearchParams(metric.slice(q + 1)));
    if (q >= 0) metric = metric.slice(0, q);
  }
  const format = text(fields.format, t.type === "table" ? "table" : "time_series");
  return {
    metric,
    type: text(fields.type ?? fields.resource_type, "generic"),
    search: text(fields.search, ""),
    aggregation: text(fields.aggregation, "mean"),
    granularity: text(fields.granularity, ""),
    label: text(fields.label, "original_resource_id"),
    format: format === "table" ? "table" : "time_series",
  };
}

export function adhocFilters(body: QueryBody): AdhocFilter[] {
  return [...(body.filters ?? []), ...(body.adhocFilters ?? [])];
}

/** An ISO time of a Grafana range, in µs; undefined if invalid. */
export function rangeMicros(iso: string): number | undefined {
  const ms = Date.parse(iso);
  return Number.isNaN(ms) ? undefined : ms * 1000;
}
