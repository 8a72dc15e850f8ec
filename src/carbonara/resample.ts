import { aggregateSerie, type Bucketing, fixedBucketing, groupSerie } from "./aggregate.js";
import type { AggregationMethod } from "./aggregation-methods.js";
import {
  bucketReducer,
  POPULATION_VARIANCE_REDUCER,
  requireAggregationMethod,
} from "./aggregators.js";
import { UnsupportedResampleError } from "./errors.js";
import { MICROS_PER_DAY, type Micros } from "./time.js";
import type { AggregatedTimeSerie, TimeSerie } from "./timeserie.js";

/**
 * Read-time resampling of an already aggregated series (spec carbonara §8):
 * the aggregated points are grouped again, by a coarser fixed bucket
 * (epoch-aligned, §3) or by a calendar period, and each group is reduced by
 * the method. The values reduced are the aggregates themselves: the mean of
 * means, the max of maxes, the count of counts.
 */

/**
 * Fixed resampling (§8.1). `method` is any stored method (`rate:X`
 * differentiates the aggregated points again, the original quirk) or `var` /
 * `rate:var`, which only the `/v1/aggregates` resample accepts: population
 * variance (the original fails with a 500 there).
 */
export function resampleSerie(
  serie: TimeSerie,
  method: string | AggregationMethod,
  granularity: Micros,
): AggregatedTimeSerie {
  if (method === "var" || method === "rate:var") {
    const reduced = groupSerie(serie, fixedBucketing(granularity), POPULATION_VARIANCE_REDUCER, {
      rate: method === "rate:var",
    });
    return { ...reduced, method, granularity };
  }
  const [result] = aggregateSerie(serie, granularity, [requireAggregationMethod(method)]);
  return result!;
}

/** Calendar groupings of `resample=` on the measures endpoint (§8.2). */
export type CalendarLetter = "Y" | "H" | "Q" | "M" | "W";

export const CALENDAR_LETTERS: readonly CalendarLetter[] = Object.freeze(["Y", "H", "Q", "M", "W"]);

export function isCalendarLetter(value: string): value is CalendarLetter {
  return (CALENDAR_LETTERS as readonly string[]).includes(value);
}

/** A calendar-resampled series: its granularity field is the letter, as the REST API prints it. */
export interface CalendarResampledSerie extends TimeSerie {
  readonly method: string;
  readonly granularity: CalendarLetter;
}

/** Months per period of the month-based letters. */
const MONTHS: Record<Exclude<CalendarLetter, "W">, number> = { Y: 12, H: 6, Q: 3, M: 1 };
const MICROS_PER_WEEK = 7 * MICROS_PER_DAY;

function floorDiv(a: number, b: number): number {
  return Math.floor(a / b);
}

/** Start (UTC) of the calendar period holding `t`: Jan 1, Jan/Jul 1, quarter, month, or Sunday. */
export function calendarPeriodStart(t: Micros, letter: CalendarLetter): Micros {
  if (letter === "W") {
    const day = floorDiv(t, MICROS_PER_DAY);
    // 1970-01-01 was a Thursday: (day + 4) mod 7 is the weekday, Sunday = 0.
    const weekday = (((day + 4) % 7) + 7) % 7;
    return (day - weekday) * MICROS_PER_DAY;
  }
  const date = new Date(floorDiv(t, 1000));
  const months = MONTHS[letter];
  const month = date.getUTCMonth() - (date.getUTCMonth() % months);
  return Date.UTC(date.getUTCFullYear(), month, 1) * 1000;
}

/** Start of the calendar period following the one starting at `start`. */
export function nextCalendarPeriodStart(start: Micros, letter: CalendarLetter): Micros {
  if (letter === "W") return start + MICROS_PER_WEEK;
  const date = new Date(floorDiv(start, 1000));
  return Date.UTC(date.getUTCFullYear(), date.getUTCMonth() + MONTHS[letter], 1) * 1000;
}

/**
 * Calendar resampling (§8.2): groups the points by calendar period and
 * reduces each group with the stored method's reducer (a group too small for
 * it, e.g. one point for `std`, produces no point). `rate:` methods are
 * rejected: Gnocchi does not support them with calendar groupings.
 */
export function resampleCalendar(
  serie: TimeSerie,
  method: string | AggregationMethod,
  letter: CalendarLetter,
): CalendarResampledSerie {
  const parsed = requireAggregationMethod(method);
  if (parsed.rate) {
    throw new UnsupportedResampleError(
      `Aggregation method '${parsed.name}' cannot be resampled by calendar grouping '${letter}'`,
    );
  }
  const bucketing: Bucketing = {
    bucketStart: (t) => calendarPeriodStart(t, letter),
    nextBucketStart: (start) => nextCalendarPeriodStart(start, letter),
  };
  const reduced = groupSerie(serie, bucketing, bucketReducer(parsed));
  return { ...reduced, method: parsed.name, granularity: letter };
}
