/**
 * The body of `GET .../measures` (spec rest §0.3, §0.7, §5.8), written
 * straight from the typed arrays the reader returns into one byte buffer:
 * `[["2015-03-06T14:33:00+00:00", 60.0, 43.1], ...]` with Python's
 * separators, float spellings (`12.0`) and `NaN`/`Infinity` tokens. Same
 * bytes as `pythonJson` over `formatTimestamp` and `pythonFloat`.
 *
 * It is the hot read path (a year at one hour is 8,760 points, 400 kB), so
 * per point it only writes bytes: the date digits are computed once per
 * day, the clock digits with integer arithmetic, the constant
 * `+00:00", <granularity>, ` copied from bytes prepared once per series, and
 * a value with at most four decimals (gauges, counters) from its scaled
 * integer. Only other values go through a string.
 */
import type { CalendarLetter } from "../../carbonara/resample.js";
import { MICROS_PER_DAY, MICROS_PER_SECOND, type Micros } from "../../carbonara/time.js";
import { formatPythonFloat } from "../../carbonara/timespan.js";
import { formatTimestamp } from "../../carbonara/timestamp.js";

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
const QUOTE = 34;
const COMMA = 44;
const SPACE = 32;
const OPEN = 91;
const CLOSE = 93;
/**
 * The most a point writes besides its suffix and value: `, [` + the quoted
 * date-time + `]`, 31 bytes for years 1–9999 and 41 for the six-digit
 * signed years of the general formatter.
 */
const POINT_FIXED = 48;
/** The longest value token: `-2.2250738585072014e-308` (24) and the fast path's `-99999999999.9999`. */
const VALUE_MAX = 24;
/** Values with at most this many decimals are written from their scaled integer. */
const DECIMAL_SCALE = 10_000;
/** Below this, a double with four decimals has no shorter decimal rounding to it (ulp < 1e-4). */
const MAX_DECIMAL = 1e11;
/** 0001-01-01 and 10000-01-01 in microseconds: the years `formatTimestamp` writes with four digits. */
const FIRST_FOUR_DIGIT_YEAR = -62_135_596_800_000_000;
const AFTER_FOUR_DIGIT_YEARS = 253_402_300_800_000_000;

/** Writes the decimal digits of a non-negative integer below 2^53 at `at`; returns the end. */
function writeDigits(b: Uint8Array, at: number, n: number): number {
  if (n < 10) {
    b[at] = ZERO + n;
    return at + 1;
  }
  if (n < 100) {
    writeTwo(b, at, n);
    return at + 2;
  }
  let len = 3;
  for (let p = 1000; p <= n; p *= 10) len++;
  const end = at + len;
  let i = end;
  do {
    const q = Math.floor(n / 10);
    b[--i] = ZERO + (n - q * 10);
    n = q;
  } while (n > 0);
  return end;
}

function writeAscii(b: Uint8Array, at: number, text: string): number {
  for (let i = 0; i < text.length; i++) b[at++] = text.charCodeAt(i);
  return at;
}

function writeBytes(b: Uint8Array, at: number, bytes: Uint8Array): number {
  for (let i = 0; i < bytes.length; i++) b[at++] = bytes[i]!;
  return at;
}

/** Two digits of `n` (0–99) at `at`. */
function writeTwo(b: Uint8Array, at: number, n: number): void {
  const tens = (n / 10) | 0;
  b[at] = ZERO + tens;
  b[at + 1] = ZERO + (n - tens * 10);
}

/**
 * A value as Python's `repr` at `at`: one with at most four decimals (a
 * gauge, a counter) straight from its scaled integer, since no shorter
 * decimal rounds to the same double below 1e11; anything else through
 * {@link floatToken}. Returns the end.
 */
function writeFloat(b: Uint8Array, at: number, x: number): number {
  const abs = Math.abs(x);
  const scaled = Math.round(abs * DECIMAL_SCALE);
  if (!(abs < MAX_DECIMAL && scaled / DECIMAL_SCALE === abs) || (scaled === 0 && 1 / x < 0)) {
    return writeAscii(b, at, floatToken(x));
  }
  if (x < 0) b[at++] = 45; // -
  const whole = Math.floor(scaled / DECIMAL_SCALE);
  const fraction = scaled - whole * DECIMAL_SCALE;
  at = writeDigits(b, at, whole);
  b[at++] = 46; // .
  // The four decimals, trailing zeros dropped (`12.0` keeps one).
  const d1 = (fraction / 1000) | 0;
  const r1 = fraction - d1 * 1000;
  const d2 = (r1 / 100) | 0;
  const r2 = r1 - d2 * 100;
  const d3 = (r2 / 10) | 0;
  const d4 = r2 - d3 * 10;
  b[at++] = ZERO + d1;
  if (d2 === 0 && d3 === 0 && d4 === 0) return at;
  b[at++] = ZERO + d2;
  if (d3 === 0 && d4 === 0) return at;
  b[at++] = ZERO + d3;
  if (d4 === 0) return at;
  b[at++] = ZERO + d4;
  return at;
}

/**
 * `YYYY-MM-DD` of a day since 1970-01-01 (proleptic Gregorian, years 1 to
 * 9999) into `date`: Howard Hinnant's `civil_from_days`.
 */
function dateOfDay(date: Uint8Array, day: number): void {
  const z = day + 719_468;
  const era = Math.floor(z / 146_097);
  const dayOfEra = z - era * 146_097;
  const yearOfEra = Math.floor(
    (dayOfEra -
      Math.floor(dayOfEra / 1460) +
      Math.floor(dayOfEra / 36_524) -
      Math.floor(dayOfEra / 146_096)) /
      365,
  );
  const dayOfYear =
    dayOfEra - (365 * yearOfEra + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100));
  const shiftedMonth = Math.floor((5 * dayOfYear + 2) / 153); // March is 0
  const dayOfMonth = dayOfYear - Math.floor((153 * shiftedMonth + 2) / 5) + 1;
  const month = shiftedMonth < 10 ? shiftedMonth + 3 : shiftedMonth - 9;
  const year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0);
  writeTwo(date, 0, Math.floor(year / 100));
  writeTwo(date, 2, year % 100);
  date[4] = 45; // -
  writeTwo(date, 5, month);
  date[7] = 45;
  writeTwo(date, 8, dayOfMonth);
}

/** `+00:00", <granularity>, `: what follows every timestamp of a series. */
function suffixOf(granularity: Micros | CalendarLetter): Uint8Array {
  const token =
    typeof granularity === "string"
      ? JSON.stringify(granularity)
      : floatToken(granularity / MICROS_PER_SECOND);
  return new Uint8Array(Buffer.from(`+00:00", ${token}, `, "latin1"));
}

/** The JSON list of all `series`, in the order given (granularities descending by the caller). */
export function measuresToJson(series: readonly MeasuresSeries[]): Buffer {
  const suffixes = series.map((s) => suffixOf(s.granularity));
  let room = 2;
  for (let k = 0; k < series.length; k++) {
    room += series[k]!.timestamps.length * (POINT_FIXED + suffixes[k]!.length + VALUE_MAX);
  }
  // Written through a plain Uint8Array view: every helper then sees one array type (monomorphic).
  const out = Buffer.allocUnsafe(room);
  const b = new Uint8Array(out.buffer, out.byteOffset, room);
  const date = new Uint8Array(10);
  let at = 0;
  b[at++] = OPEN;
  let dayStart = 0;
  let dayEnd = 0; // empty: the first timestamp computes its date
  for (let k = 0; k < series.length; k++) {
    const { timestamps, values } = series[k]!;
    const suffix = suffixes[k]!;
    for (let i = 0; i < timestamps.length; i++) {
      if (at > 1) {
        b[at++] = COMMA;
        b[at++] = SPACE;
      }
      b[at++] = OPEN;
      const us = timestamps[i]!;
      if (!(us >= dayStart && us < dayEnd && Number.isInteger(us))) {
        if (!(Number.isInteger(us) && us >= FIRST_FOUR_DIGIT_YEAR && us < AFTER_FOUR_DIGIT_YEARS)) {
          // Outside what the digits below spell: the general formatter, suffix included.
          at = writeAscii(b, at, JSON.stringify(formatTimestamp(us)));
          at = writeBytes(b, at, suffix.subarray(7));
          at = writeFloat(b, at, values[i]!);
          b[at++] = CLOSE;
          continue;
        }
        const day = Math.floor(us / MICROS_PER_DAY);
        dayStart = day * MICROS_PER_DAY;
        dayEnd = dayStart + MICROS_PER_DAY;
        dateOfDay(date, day);
      }
      b[at++] = QUOTE;
      at = writeBytes(b, at, date);
      b[at++] = 84; // T
      const inDay = us - dayStart;
      const seconds = Math.floor(inDay / MICROS_PER_SECOND);
      const micros = inDay - seconds * MICROS_PER_SECOND;
      const hours = (seconds / 3600) | 0;
      const minutes = ((seconds - hours * 3600) / 60) | 0;
      writeTwo(b, at, hours);
      b[at + 2] = 58; // :
      writeTwo(b, at + 3, minutes);
      b[at + 5] = 58;
      writeTwo(b, at + 6, seconds - hours * 3600 - minutes * 60);
      at += 8;
      if (micros !== 0) {
        b[at] = 46; // .
        let rest = micros;
        for (let j = 6; j >= 1; j--) {
          const q = (rest / 10) | 0;
          b[at + j] = ZERO + (rest - q * 10);
          rest = q;
        }
        at += 7;
      }
      at = writeBytes(b, at, suffix);
      at = writeFloat(b, at, values[i]!);
      b[at++] = CLOSE;
    }
  }
  b[at++] = CLOSE;
  return out.subarray(0, at);
}
