/**
 * Measures as clients post them (spec rest §5.7): a JSON list of
 * `{"timestamp", "value"}` objects, read straight into typed arrays with
 * Gnocchi's `MeasuresListSchema` rules and error texts. Timestamps follow
 * spec rest §0.5 (the first one decides how the list is read); values are
 * whatever Python's `float()` takes. All timestamps are checked before any
 * value, as the original does.
 *
 * The common case (epoch numbers and plain numbers) allocates only the two
 * result arrays; any other timestamp form goes through Carbonara's list
 * parser.
 */
import { InvalidTimestampError } from "../../carbonara/errors.js";
import type { Micros } from "../../carbonara/time.js";
import { parsePythonFloat } from "../../carbonara/timespan.js";
import { currentMicros, parseTimestamps } from "../../carbonara/timestamp.js";

export const MEASURES_FORMAT = "unexpected measures format";
export const MEASURES_VALUE = "unexpected measures value";

/** A measures list Gnocchi refuses; `reason` is the voluptuous message without its path. */
export class MeasuresInputError extends Error {
  override name = "MeasuresInputError";
  constructor(readonly reason: string) {
    super(reason);
  }
}

export interface Measures {
  /** Microseconds since the epoch. */
  readonly timestamps: Float64Array;
  readonly values: Float64Array;
}

const EMPTY: Measures = { timestamps: new Float64Array(0), values: new Float64Array(0) };

/**
 * Epoch seconds given as a JSON number, in microseconds, when the float
 * product is provably exact: integers, and fractions of at most six digits
 * (then `round(s × 1e6) / 1e6` gives `s` back). Anything else (negative,
 * finer fractions, out of range) is left to the exact decimal parser.
 */
function fastEpochMicros(seconds: number): number | undefined {
  if (!(seconds >= 0)) return undefined;
  const us = Math.round(seconds * 1e6);
  if (!Number.isSafeInteger(us)) return undefined;
  if (!Number.isInteger(seconds) && us / 1e6 !== seconds) return undefined;
  return us + 0; // no -0
}

/** Python `float(str)`: decimals, `_` groupings, `nan`, `inf`, `infinity`; undefined when it raises. */
export function pythonFloatValue(text: string): number | undefined {
  const parsed = parsePythonFloat(text);
  if (parsed === undefined) return undefined;
  const t = text.trim().toLowerCase().replaceAll("_", "");
  if (t.endsWith("nan")) return Number.NaN;
  if (t.endsWith("inf") || t.endsWith("infinity")) {
    return t.startsWith("-") ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY;
  }
  // Overflowing exponents give ±Infinity and underflowing ones 0, as in Python.
  return Number(t);
}

/** Python `float(value)` of a JSON scalar; undefined when it raises. */
function floatOf(value: unknown): number | undefined {
  if (typeof value === "number") return value;
  if (typeof value === "boolean") return value ? 1 : 0;
  if (typeof value === "string") return pythonFloatValue(value);
  return undefined;
}

type Item = { readonly timestamp?: unknown; readonly value?: unknown };

/** The list's items, checked to be objects carrying a timestamp. */
function items(body: unknown): readonly Item[] {
  if (!Array.isArray(body)) {
    // Python iterates what it is given: an empty object or string is an empty list.
    if (body === "" || (isPlainObject(body) && Object.keys(body).length === 0)) return [];
    throw new MeasuresInputError(MEASURES_FORMAT);
  }
  for (const item of body) {
    // `m['timestamp']` on a non-object is a TypeError upstream; a missing key
    // was a 500 there and is a format error here.
    if (!isPlainObject(item) || !("timestamp" in item)) {
      throw new MeasuresInputError(MEASURES_FORMAT);
    }
    const ts = (item as Item).timestamp;
    if (typeof ts !== "number" && typeof ts !== "string" && typeof ts !== "boolean") {
      throw new MeasuresInputError(MEASURES_FORMAT);
    }
  }
  return body as readonly Item[];
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function readTimestamps(list: readonly Item[], out: Float64Array, now: Micros): void {
  const n = list.length;
  let i = 0;
  // The first value decides the kind: a JSON number makes the list epoch seconds.
  if (typeof list[0]!.timestamp === "number") {
    for (; i < n; i++) {
      const ts = list[i]!.timestamp;
      if (typeof ts !== "number") break;
      const us = fastEpochMicros(ts);
      if (us === undefined) break;
      out[i] = us;
    }
  }
  if (i === n) return;
  let times: Micros[];
  try {
    times = parseTimestamps(
      list.map((item) => item.timestamp),
      now,
    );
  } catch (error) {
    if (error instanceof InvalidTimestampError) {
      throw new MeasuresInputError(`unexpected timestamp '${error.message}'`);
    }
    throw error;
  }
  out.set(times);
}

/**
 * The measures of a decoded JSON body.
 * @throws MeasuresInputError `unexpected measures format`,
 *   `unexpected timestamp '<why>'`, `unexpected measures value`
 */
export function parseMeasures(body: unknown, now: Micros = currentMicros()): Measures {
  const list = items(body);
  const n = list.length;
  if (n === 0) return EMPTY;
  const timestamps = new Float64Array(n);
  readTimestamps(list, timestamps, now);
  const values = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const raw = list[i]!.value;
    const v = typeof raw === "number" ? raw : floatOf(raw);
    if (v === undefined) throw new MeasuresInputError(MEASURES_VALUE);
    values[i] = v;
  }
  return { timestamps, values };
}
