/**
 * The body of `GET .../measures` (spec rest §0.3, §0.7, §5.8), written
 * straight from the typed arrays the reader returns into one byte buffer:
 * `[["2015-03-06T14:33:00+00:00", 60.0, 43.1], ...]` with Python's
 * separators, float spellings (`12.0`) and `NaN`/`Infinity` tokens. It is
 * the hot read path, so nothing per point but the value's digits: the date
 * part of a timestamp is formatted once per day, the clock digits computed
 * into the buffer. Same text as `pythonJson` over `formatTimestamp` and
 * `pythonFloat`.
 */
import type { CalendarLetter } from "../../carbonara/resample.js";
import { MICROS_PER_DAY, MICROS_PER_SECOND, type Micros } from "../../carbonara/time.js";
import { formatPythonFloat } from "../../carbonara/timespan.js";

export interface MeasuresSeries {
  /** The stored or resampled granularity, or the calendar letter. */
  readonly granularity: Micros | CalendarLetter;
  readonly timestamps: Float64Array;
  readonly values: Float64Array;
}

/** Python `repr(float)` as a JSON token; non-finite values as Python's json module writes them. */
export function floatToken(x: number): string {
  if (Number.isInteger(x) && Math.abs(x) < 1e16) return Object.is(x, -0) ? "-0.0" : `${x}.0`;
  const abs = Math.abs(x);
  // Between 1e-4 and 1e16 both languages print the shortest digits in fixed notation.
  if (abs >= 1e-4 && abs < 1e16) return String(x);
  if (Number.isNaN(x)) return "NaN";
  if (abs === Number.POSITIVE_INFINITY) return x > 0 ? "Infinity" : "-Infinity";
  return formatPythonFloat(x);
}

const ZERO = 48;
/** Room for one point: `, [` + quoted date-time with micros and offset + granularity + value + `]`. */
const POINT_ROOM = 128;
/** Values with at most this many decimals are written from their scaled integer. */
const DECIMAL_SCALE = 10_000;
/** Below this, a double with four decimals has no shorter decimal rounding to it (ulp < 1e-4). */
const MAX_DECIMAL = 1e11;

/** Writes the decimal digits of a non-negative integer below 2^53 at `at`; returns the end. */
function writeDigits(b: Buffer, at: number, n: number): number {
  let len = 1;
  for (let p = 10; p <= n; p *= 10) len++;
  const end = at + len;
  let i = end;
  do {
    b[--i] = ZERO + (n % 10);
    n = Math.floor(n / 10);
  } while (n > 0);
  return end;
}

function writeAscii(b: Buffer, at: number, text: string): number {
  for (let i = 0; i < text.length; i++) b[at++] = text.charCodeAt(i);
  return at;
}

/**
 * A value as Python's `repr` at `at`: one with at most four decimals (a
 * gauge, a counter) straight from its scaled integer, since no shorter
 * decimal rounds to the same double below 1e11; anything else through
 * {@link floatToken}. Returns the end.
 */
function writeFloat(b: Buffer, at: number, x: number): number {
  const abs = Math.abs(x);
  const scaled = Math.round(abs * DECIMAL_SCALE);
  if (!(abs < MAX_DECIMAL && scaled / DECIMAL_SCALE === abs) || Object.is(x, -0)) {
    return writeAscii(b, at, floatToken(x));
  }
  if (x < 0) b[at++] = 45; // -
  const whole = Math.floor(scaled / DECIMAL_SCALE);
  let fraction = scaled - whole * DECIMAL_SCALE;
  at = writeDigits(b, at, whole);
  b[at++] = 46; // .
  if (fraction === 0) {
    b[at++] = ZERO;
    return at;
  }
  for (let div = DECIMAL_SCALE / 10; fraction > 0; div /= 10) {
    const d = Math.floor(fraction / div);
    b[at++] = ZERO + d;
    fraction -= d * div;
  }
  return at;
}

/** `"YYYY-MM-DDT` of a day since the epoch (with its opening quote). */
function datePrefix(day: number): string {
  return `"${new Date((day * MICROS_PER_DAY) / 1000).toISOString().slice(0, 10)}T`;
}

/** The JSON list of all `series`, in the order given (granularities descending by the caller). */
export function measuresToJson(series: readonly MeasuresSeries[]): Buffer {
  let points = 0;
  for (const s of series) points += s.timestamps.length;
  let b = Buffer.allocUnsafe(2 + points * 64);
  let at = 0;
  b[at++] = 91; // [
  let lastDay = Number.NaN;
  let date = "";
  for (const s of series) {
    const granularity =
      typeof s.granularity === "string"
        ? JSON.stringify(s.granularity)
        : floatToken(s.granularity / MICROS_PER_SECOND);
    const middle = `+00:00", ${granularity}, `;
    const { timestamps, values } = s;
    for (let i = 0; i < timestamps.length; i++) {
      if (at + POINT_ROOM + middle.length > b.length) {
        const grown = Buffer.allocUnsafe(b.length * 2 + POINT_ROOM + middle.length);
        b.copy(grown, 0, 0, at);
        b = grown;
      }
      if (at > 1) {
        b[at++] = 44; // ,
        b[at++] = 32;
      }
      b[at++] = 91;
      const us = timestamps[i]!;
      const day = Math.floor(us / MICROS_PER_DAY);
      if (day !== lastDay) {
        lastDay = day;
        date = datePrefix(day);
      }
      at = writeAscii(b, at, date);
      const inDay = us - day * MICROS_PER_DAY;
      const seconds = Math.floor(inDay / MICROS_PER_SECOND);
      const micros = inDay - seconds * MICROS_PER_SECOND;
      const hours = Math.floor(seconds / 3600);
      const minutes = Math.floor(seconds / 60) % 60;
      const secs = seconds % 60;
      b[at++] = ZERO + ((hours / 10) | 0);
      b[at++] = ZERO + (hours % 10);
      b[at++] = 58; // :
      b[at++] = ZERO + ((minutes / 10) | 0);
      b[at++] = ZERO + (minutes % 10);
      b[at++] = 58;
      b[at++] = ZERO + ((secs / 10) | 0);
      b[at++] = ZERO + (secs % 10);
      if (micros !== 0) {
        b[at++] = 46; // .
        for (let div = 100_000; div >= 1; div /= 10)
          b[at++] = ZERO + (Math.floor(micros / div) % 10);
      }
      at = writeAscii(b, at, middle);
      at = writeFloat(b, at, values[i]!);
      b[at++] = 93; // ]
    }
  }
  b[at++] = 93;
  return b.subarray(0, at);
}
