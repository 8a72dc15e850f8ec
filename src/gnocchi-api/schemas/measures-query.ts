/**
 * The query string of `GET .../measures` (spec rest §5.8), checked in
 * Gnocchi's order: `resample` needs a `granularity` and must parse, then
 * `start`, `stop` and `granularity` (validate_qs). Checks against the
 * metric's policy (aggregation method, granularity) come after, in the
 * service. There is no `fill` here; unknown parameters are ignored.
 */
import type { ArchivePolicy } from "../../carbonara/archive-policy.js";
import { type CalendarLetter, isCalendarLetter } from "../../carbonara/resample.js";
import type { Micros } from "../../carbonara/time.js";
import { parsePositiveTimespan } from "../../carbonara/timespan.js";
import { currentMicros, parseTimestamp } from "../../carbonara/timestamp.js";
import { badRequest } from "../errors.js";

export interface MeasuresQuery {
  /** Default `mean`. */
  readonly aggregation: string;
  /** Absent: every granularity of the policy. */
  readonly granularity?: Micros;
  readonly start?: Micros;
  readonly stop?: Micros;
  readonly resample?: Micros | CalendarLetter;
  /** `refresh` as given; parsed (strtobool) only once the policy checks passed, as upstream. */
  readonly refresh?: string;
}

/** The raw parameters (first value of each). */
export type RawQuery = (name: string) => string | undefined;

function argumentError(detail: string, reason: string) {
  return badRequest({ cause: "Argument value error", detail, reason });
}

function timestampParam(name: "start" | "stop", raw: string | undefined, now: Micros) {
  if (raw === undefined) return undefined;
  try {
    return parseTimestamp(raw, now);
  } catch {
    throw argumentError(name, "Must be a datetime or a timestamp");
  }
}

/**
 * @throws HttpError 400 `A granularity must be specified to resample`, the
 *   timespan error of a bad `resample`, or `{"cause": "Argument value error",
 *   "detail": <param>, "reason": ...}` for start/stop/granularity.
 */
export function parseMeasuresQuery(query: RawQuery, now: Micros = currentMicros()): MeasuresQuery {
  const rawGranularity = query("granularity");
  const rawResample = query("resample");
  let resample: Micros | CalendarLetter | undefined;
  // Upstream tests truthiness: an empty `resample=` is no resample.
  if (rawResample) {
    if (!rawGranularity) throw badRequest("A granularity must be specified to resample");
    if (isCalendarLetter(rawResample)) resample = rawResample;
    else {
      try {
        resample = parsePositiveTimespan(rawResample);
      } catch (error) {
        throw badRequest((error as Error).message);
      }
    }
  }
  const start = timestampParam("start", query("start"), now);
  const stop = timestampParam("stop", query("stop"), now);
  let granularity: Micros | undefined;
  if (rawGranularity !== undefined) {
    try {
      granularity = parsePositiveTimespan(rawGranularity);
    } catch (error) {
      throw argumentError("granularity", (error as Error).message);
    }
  }
  const refresh = query("refresh");
  return {
    aggregation: query("aggregation") ?? "mean",
    ...(granularity === undefined ? {} : { granularity }),
    ...(start === undefined ? {} : { start }),
    ...(stop === undefined ? {} : { stop }),
    ...(resample === undefined ? {} : { resample }),
    ...(refresh === undefined ? {} : { refresh }),
  };
}

/** The granularities to read, coarsest first; the policy's own when none was asked. */
export function granularitiesToRead(policy: ArchivePolicy, query: MeasuresQuery): Micros[] {
  const all =
    query.granularity === undefined
      ? policy.definition.map((d) => d.granularity)
      : [query.granularity];
  return all.sort((a, b) => b - a);
}
