/**
 * Carbonara keeps every instant and every duration as an integer number of
 * microseconds since 1970-01-01T00:00:00Z, in a plain JS number (scalar) or a
 * Float64Array (series). Integers up to 2^53 are exact in a float64, which
 * covers ±285 years at microsecond precision; Gnocchi's nanosecond inputs are
 * truncated to the microsecond on parsing (documented in the README).
 *
 * Arithmetic on these values must stay in integers: use the helpers below
 * rather than dividing and flooring, because `Math.floor(t / g)` can round the
 * wrong way once the quotient no longer fits the float's mantissa.
 */

export type Micros = number;

export const MICROS_PER_MILLISECOND = 1_000;
export const MICROS_PER_SECOND = 1_000_000;
export const MICROS_PER_MINUTE = 60 * MICROS_PER_SECOND;
export const MICROS_PER_HOUR = 60 * MICROS_PER_MINUTE;
export const MICROS_PER_DAY = 24 * MICROS_PER_HOUR;

/** Start of the epoch-aligned bucket of width `granularity` holding `t` (floor, also below zero). */
export function floorTime(t: Micros, granularity: Micros): Micros {
  const r = t % granularity;
  return r < 0 ? t - r - granularity : t - r;
}

/** Seconds (possibly fractional, as users write them) to whole microseconds. */
export function secondsToMicros(seconds: number): Micros {
  return Math.round(seconds * MICROS_PER_SECOND);
}

/** Microseconds to float seconds, as the REST API prints granularities (`60.0`). */
export function microsToSeconds(us: Micros): number {
  return us / MICROS_PER_SECOND;
}
