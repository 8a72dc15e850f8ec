/**
 * The query parameters `/v1/aggregates` and the deprecated `/v1/aggregation`
 * share (Gnocchi's `validate_qs`, spec rest §10.1): `start`, `stop`,
 * `granularity`, `needed_overlap`, `fill`, checked in that original order
 * (needed_overlap, start, stop, granularity, fill) with its 400 texts
 * `{"cause": "Argument value error", "detail": <param>, "reason": ...}`.
 */
import type { Fill } from "../../carbonara/aggregates/index.js";
import { pythonFloat } from "../../carbonara/aggregates/index.js";
import type { Micros } from "../../carbonara/time.js";
import { parsePositiveTimespan } from "../../carbonara/timespan.js";
import { parseTimestamp } from "../../carbonara/timestamp.js";
import { badRequest } from "../errors.js";

/** The raw values (the first of each parameter), undefined when absent. */
export interface RawAggregationQuery {
  readonly start?: string | undefined;
  readonly stop?: string | undefined;
  readonly granularity?: string | undefined;
  readonly needed_overlap?: string | undefined;
  readonly fill?: string | undefined;
}

export interface AggregationQuery {
  readonly start?: Micros;
  readonly stop?: Micros;
  readonly granularity?: Micros;
  readonly neededOverlap?: number;
  readonly fill?: Fill;
}

const argumentError = (detail: string, reason: string) =>
  badRequest({ cause: "Argument value error", detail, reason });

function timestamp(name: "start" | "stop", value: string): Micros {
  try {
    return parseTimestamp(value);
  } catch {
    throw argumentError(name, "Must be a datetime or a timestamp");
  }
}

/** voluptuous `Any(Coerce(float), "null", "dropna")`. */
function fill(value: string): Fill {
  const number = pythonFloat(value);
  if (number !== undefined) return number;
  if (value === "null" || value === "dropna") return value;
  throw argumentError("fill", "Must be a float, 'dropna' or 'null'");
}

/** Checks and converts the parameters. @throws HttpError 400 Argument value error */
export function parseAggregationQuery(raw: RawAggregationQuery): AggregationQuery {
  const out: {
    start?: Micros;
    stop?: Micros;
    granularity?: Micros;
    neededOverlap?: number;
    fill?: Fill;
  } = {};
  if (raw.needed_overlap !== undefined) {
    const overlap = pythonFloat(raw.needed_overlap);
    if (overlap === undefined) throw argumentError("needed_overlap", "Must be a number");
    out.neededOverlap = overlap;
  }
  if (raw.start !== undefined) out.start = timestamp("start", raw.start);
  if (raw.stop !== undefined) out.stop = timestamp("stop", raw.stop);
  if (raw.granularity !== undefined) {
    try {
      out.granularity = parsePositiveTimespan(raw.granularity);
    } catch (error) {
      throw argumentError("granularity", error instanceof Error ? error.message : String(error));
    }
  }
  if (raw.fill !== undefined) out.fill = fill(raw.fill);
  return out;
}
