/**
 * Request parameters as Prometheus' web API reads them (web/api/v1/api.go,
 * 2.42): URL query and `application/x-www-form-urlencoded` body alike (body
 * values first, as Go's `Request.FormValue`), times as Unix seconds or
 * RFC 3339, durations as seconds or Prometheus duration strings, with the
 * same error texts.
 */
import type { Context } from "hono";
import { parseDuration } from "../parser/duration.js";
import { PromApiError } from "./errors.js";

/** The merged parameters of a request. */
export interface Params {
  /** The first value of `name`, "" when absent (FormValue). */
  get(name: string): string;
  has(name: string): boolean;
  /** Every value of `name`, body ones first. */
  all(name: string): string[];
}

const FORM = "application/x-www-form-urlencoded";

export async function readParams(c: Context): Promise<Params> {
  const url = new URL(c.req.url).searchParams;
  let body: URLSearchParams | undefined;
  const type = c.req.header("content-type") ?? "";
  if (
    (c.req.method === "POST" || c.req.method === "PUT") &&
    type.split(";")[0]!.trim().toLowerCase() === FORM
  ) {
    body = new URLSearchParams(await c.req.text());
  }
  return {
    get: (name) => body?.get(name) ?? url.get(name) ?? "",
    has: (name) => body?.has(name) === true || url.has(name),
    all: (name) => [...(body?.getAll(name) ?? []), ...url.getAll(name)],
  };
}

/** Go's strconv.ParseFloat in base 10 (no hex floats): undefined when not a number. */
export function parseGoFloat(text: string): number | undefined {
  if (/^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/.test(text)) return Number(text);
  const lower = text.toLowerCase();
  if (/^[+-]?(?:inf|infinity)$/.test(lower)) return lower.startsWith("-") ? -Infinity : Infinity;
  if (lower === "nan") return Number.NaN;
  return undefined;
}

const RFC3339 =
  /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})$/;

/** Prometheus' minTime / maxTime as the API prints them (the `start`/`end` defaults). */
const MIN_TIME_TEXT = "-292273086-05-16T16:47:06Z";
const MAX_TIME_TEXT = "292277025-08-18T07:12:54.999999999Z";
/** The widest times a JS Date holds, ms: stand-ins for Prometheus' minTime / maxTime. */
export const MIN_TIME = -8.64e15;
export const MAX_TIME = 8.64e15;

/** A timestamp parameter in ms (Unix seconds rounded to the ms, or RFC 3339); undefined if invalid. */
export function parseTime(text: string): number | undefined {
  const f = parseGoFloat(text);
  if (f !== undefined) {
    if (!Number.isFinite(f)) return undefined;
    const s = Math.trunc(f);
    return s * 1000 + Math.round((f - s) * 1000);
  }
  const m = RFC3339.exec(text);
  if (m !== null) {
    const frac = (m[7] ?? "").padEnd(3, "0").slice(0, 3);
    const ms = Date.parse(`${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}.${frac}${m[8]}`);
    return Number.isNaN(ms) ? undefined : ms;
  }
  if (text === MIN_TIME_TEXT) return MIN_TIME;
  if (text === MAX_TIME_TEXT) return MAX_TIME;
  return undefined;
}

/** A duration parameter in ms (seconds, or `5m`); throws Prometheus' error text. */
export function parseDurationText(text: string): number {
  const f = parseGoFloat(text);
  if (f !== undefined) {
    const ns = f * 1e9;
    if (!(Math.abs(ns) <= 9.223372036854776e18))
      throw new Error(`cannot parse "${text}" to a valid duration. It overflows int64`);
    return f * 1000;
  }
  const ms = parseDuration(text);
  if (ms === undefined) throw new Error(`cannot parse "${goQuote(text)}" to a valid duration`);
  return ms;
}

/** `name` as a time (ms), `fallback` when absent; a bad value is a bad_data error. */
export function timeParam(params: Params, name: string, fallback: number): number {
  const text = params.get(name);
  if (text === "") return fallback;
  const t = parseTime(text);
  if (t === undefined)
    throw invalidParam(name, `cannot parse "${goQuote(text)}" to a valid timestamp`);
  return t;
}

/** A required time parameter (query_range's start and end). */
export function requiredTimeParam(params: Params, name: string): number {
  const text = params.get(name);
  const t = parseTime(text);
  if (t === undefined)
    throw invalidParam(name, `cannot parse "${goQuote(text)}" to a valid timestamp`);
  return t;
}

export function durationParam(params: Params, name: string): number {
  try {
    return parseDurationText(params.get(name));
  } catch (error) {
    throw invalidParam(name, (error as Error).message);
  }
}

export function invalidParam(name: string, message: string): PromApiError {
  return new PromApiError("bad_data", `invalid parameter "${name}": ${message}`);
}

/** The inside of Go's %q for printable text (quotes and backslashes escaped). */
export function goQuote(text: string): string {
  return text
    .replace(/[\\"]/g, (ch) => `\\${ch}`)
    .replace(/\n/g, "\\n")
    .replace(/\t/g, "\\t");
}
