/**
 * Query results as the engine returns them, and their Prometheus HTTP API
 * JSON form (`data` of `{"status":"success","data":{…}}`): times as Unix
 * seconds (JSON numbers, millisecond precision), values as Go-formatted
 * strings (`"1"`, `"0.25"`, `"1e-07"`, `"NaN"`, `"+Inf"`).
 */
import type { Labels } from "./labels.js";

export interface MatrixSeriesResult {
  readonly metric: Labels;
  /** ms */
  readonly timestamps: Float64Array;
  readonly values: Float64Array;
}

export interface VectorSampleResult {
  readonly metric: Labels;
  /** ms */
  readonly timestamp: number;
  readonly value: number;
}

export type QueryResult =
  | { readonly resultType: "matrix"; readonly result: MatrixSeriesResult[] }
  | { readonly resultType: "vector"; readonly result: VectorSampleResult[] }
  | {
      readonly resultType: "scalar";
      readonly result: { readonly timestamp: number; readonly value: number };
    }
  | {
      readonly resultType: "string";
      readonly result: { readonly timestamp: number; readonly value: string };
    };

/** A float as Prometheus' API prints it (Go strconv 'f', or 'e' below 1e-6 and from 1e21 on). */
export function formatSampleValue(v: number): string {
  if (Number.isNaN(v)) return "NaN";
  if (v === Number.POSITIVE_INFINITY) return "+Inf";
  if (v === Number.NEGATIVE_INFINITY) return "-Inf";
  if (Object.is(v, -0)) return "-0";
  // JS switches to exponent form at the same thresholds as Prometheus; Go writes at least two exponent digits.
  const s = String(v);
  const n = s.length;
  return n > 3 && s.charCodeAt(n - 3) === 101 ? `${s.slice(0, n - 1)}0${s[n - 1]}` : s;
}

/** ms → Unix seconds with millisecond precision, as a JSON number. */
export function formatTimestamp(ms: number): number {
  return Math.round(ms) / 1000;
}

export type PrometheusData =
  | { resultType: "matrix"; result: Array<{ metric: Labels; values: Array<[number, string]> }> }
  | { resultType: "vector"; result: Array<{ metric: Labels; value: [number, string] }> }
  | { resultType: "scalar"; result: [number, string] }
  | { resultType: "string"; result: [number, string] };

/** The `data` object of Prometheus' `/api/v1/query` and `/api/v1/query_range` replies. */
export function toPrometheusData(r: QueryResult): PrometheusData {
  switch (r.resultType) {
    case "matrix":
      return {
        resultType: "matrix",
        result: r.result.map((s) => {
          const values: Array<[number, string]> = new Array(s.timestamps.length);
          for (let i = 0; i < s.timestamps.length; i++)
            values[i] = [formatTimestamp(s.timestamps[i]!), formatSampleValue(s.values[i]!)];
          return { metric: s.metric, values };
        }),
      };
    case "vector":
      return {
        resultType: "vector",
        result: r.result.map((s) => ({
          metric: s.metric,
          value: [formatTimestamp(s.timestamp), formatSampleValue(s.value)],
        })),
      };
    case "scalar":
      return {
        resultType: "scalar",
        result: [formatTimestamp(r.result.timestamp), formatSampleValue(r.result.value)],
      };
    case "string":
      return {
        resultType: "string",
        result: [formatTimestamp(r.result.timestamp), r.result.value],
      };
  }
}

/** The most bytes a matrix point writes besides its value: `,[` + a timestamp + `,"` + `"]`. */
const POINT_FIXED = 32;
/** The longest value: `-2.2250738585072014e-308` (24). */
const VALUE_MAX = 24;

/** An ASCII string's bytes at `at` (short strings: cheaper than a call into Buffer#write); returns the end. */
function writeAscii(b: Uint8Array, at: number, text: string): number {
  for (let i = 0; i < text.length; i++) b[at++] = text.charCodeAt(i);
  return at;
}

/**
 * `JSON.stringify(toPrometheusData(r))` as UTF-8 bytes, a matrix written
 * straight into one buffer: a year of hourly points is tens of thousands of
 * `[t, "v"]` pairs, and building them as arrays to stringify cost more than
 * the query's aggregation; joining them as strings then cost a flattening
 * and an encoding pass of its own. Formatted values never need escaping
 * (digits, `.`, `e`, signs, `NaN`, `Inf`); labels are JSON-stringified.
 */
export function prometheusDataJson(r: QueryResult): Buffer {
  if (r.resultType !== "matrix") return Buffer.from(JSON.stringify(toPrometheusData(r)));
  const metrics = r.result.map((s) => `{"metric":${JSON.stringify(s.metric)},"values":[`);
  let room = 64;
  for (let k = 0; k < metrics.length; k++) {
    room +=
      Buffer.byteLength(metrics[k]!) +
      3 +
      r.result[k]!.timestamps.length * (POINT_FIXED + VALUE_MAX);
  }
  const out = Buffer.allocUnsafe(room);
  let at = out.write('{"resultType":"matrix","result":[', 0, "latin1");
  for (let k = 0; k < metrics.length; k++) {
    if (k > 0) out[at++] = 44; // ,
    at += out.write(metrics[k]!, at, "utf8");
    const { timestamps: ts, values: vs } = r.result[k]!;
    for (let i = 0; i < ts.length; i++) {
      if (i > 0) out[at++] = 44; // ,
      out[at++] = 91; // [
      at = writeAscii(out, at, String(formatTimestamp(ts[i]!)));
      out[at++] = 44; // ,
      out[at++] = 34; // "
      at = writeAscii(out, at, formatSampleValue(vs[i]!));
      out[at++] = 34;
      out[at++] = 93; // ]
    }
    out[at++] = 93;
    out[at++] = 125; // }
  }
  out[at++] = 93;
  out[at++] = 125;
  return out.subarray(0, at);
}
