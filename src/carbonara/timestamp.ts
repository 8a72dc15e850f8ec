/**
 * Instants as users write them (spec rest §0.5) and as Gnocchi prints them
 * (§0.7). Input follows Gnocchi's `utils.to_timestamps`: the first value of a
 * list decides whether the whole list is epoch seconds, ISO 8601 date-times
 * (numpy `datetime64` grammar) or timespans relative to now.
 */
import { InvalidTimestampError } from "./errors.js";
import { floorTime, MICROS_PER_DAY, MICROS_PER_SECOND, type Micros } from "./time.js";
import {
  decimalSecondsToMicros,
  type ExactDecimal,
  numberToDecimal,
  parsePythonFloat,
  parseTimespan,
  safeMicros,
} from "./timespan.js";

const UNABLE_TO_CONVERT = "Unable to convert timestamps";
const BEFORE_EPOCH = "Timestamp must be after Epoch";

type TimestampKind = "epoch" | "iso" | "relative";

/** The seconds Python's `float()` finds in a JSON scalar, "non-finite", or undefined when it raises. */
function epochSecondsOf(input: unknown): ExactDecimal | "non-finite" | undefined {
  if (typeof input === "number") return numberToDecimal(input);
  if (typeof input === "boolean")
    return { negative: false, coefficient: input ? 1n : 0n, exponent: 0 };
  if (typeof input === "string") return parsePythonFloat(input);
  return undefined;
}

/**
 * Microseconds a value holds before range checks: negative values come back
 * negative however large (they are reported as before the epoch once the
 * whole list has converted), too-late values fail.
 */
function epochMicros(input: unknown): Micros {
  const seconds = epochSecondsOf(input);
  if (seconds === undefined || seconds === "non-finite") {
    throw new InvalidTimestampError(UNABLE_TO_CONVERT);
  }
  const us = decimalSecondsToMicros(seconds, true);
  if (us < 0n) return Number(us);
  const safe = safeMicros(us);
  if (safe === undefined) throw new InvalidTimestampError(UNABLE_TO_CONVERT);
  return safe;
}

/**
 * UNIX epoch seconds (number, boolean or numeric string, fraction allowed) to
 * microseconds, exactly as written: 1425652437.2 is 1425652437200000, where
 * float math would land a microsecond off. Floors sub-microsecond digits.
 */
export function epochSecondsToMicros(input: unknown): Micros {
  const us = epochMicros(input);
  if (us < 0) throw new InvalidTimestampError(BEFORE_EPOCH);
  return us;
}

/** Days from 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's days_from_civil). */
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yearOfEra = y - era * 400;
  const dayOfYear = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  const dayOfEra =
    yearOfEra * 365 + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100) + dayOfYear;
  return era * 146_097 + dayOfEra - 719_468;
}

function isLeapYear(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return isLeapYear(year) ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

/** C `isspace` in the "C" locale, which numpy uses to skip blanks. */
const isCSpace = (c: string | undefined) => c !== undefined && " \t\n\v\f\r".includes(c);
const isDigit = (c: string | undefined) => c !== undefined && c >= "0" && c <= "9";

/**
 * A cursor over a date-time string, mirroring numpy's
 * `parse_iso_8601_datetime`: every method either consumes what it expects
 * or reports failure, and the caller gives up on the first failure.
 */
class IsoCursor {
  private position = 0;
  constructor(private readonly text: string) {}

  get atEnd(): boolean {
    return this.position >= this.text.length;
  }

  peek(): string | undefined {
    return this.text[this.position];
  }

  accept(chars: string): string | undefined {
    const c = this.peek();
    if (c === undefined || !chars.includes(c)) return undefined;
    this.position++;
    return c;
  }

  skipSpaces(): void {
    while (isCSpace(this.peek())) this.position++;
  }

  /** Exactly `count` digits, or undefined. */
  fixedDigits(count: number): number | undefined {
    const digits = this.text.slice(this.position, this.position + count);
    if (digits.length !== count || ![...digits].every(isDigit)) return undefined;
    this.position += count;
    return Number(digits);
  }

  /** Up to `max` digits, possibly none. */
  digitRun(max = Number.POSITIVE_INFINITY): string {
    const start = this.position;
    while (this.position - start < max && isDigit(this.peek())) this.position++;
    return this.text.slice(start, this.position);
  }
}

interface DateTimeFields {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  /** Fractional-second digits as written, up to numpy's 18 (attoseconds). */
  fraction: string;
  /** Minutes east of UTC. */
  offsetMinutes: number;
}

/** `[+-]HH`, `[+-]HHMM` or `[+-]HH:MM`, the sign already consumed; minutes east of UTC. */
function parseOffset(cursor: IsoCursor, sign: string): number | undefined {
  const hours = cursor.fixedDigits(2);
  if (hours === undefined || hours >= 24) return undefined;
  let minutes = 0;
  if (!cursor.atEnd) {
    cursor.accept(":");
    const parsed = cursor.fixedDigits(2);
    if (parsed === undefined || parsed >= 60) return undefined;
    minutes = parsed;
  }
  const offset = hours * 60 + minutes;
  return sign === "-" ? -offset : offset;
}

/** The optional `Z` or offset after a time of day, then trailing blanks; false on anything else. */
function parseZone(cursor: IsoCursor, fields: DateTimeFields): boolean {
  if (cursor.atEnd) return true;
  if (!cursor.accept("Z")) {
    const sign = cursor.accept("+-");
    if (sign !== undefined) {
      const offset = parseOffset(cursor, sign);
      if (offset === undefined) return false;
      fields.offsetMinutes = offset;
    }
  }
  cursor.skipSpaces();
  return cursor.atEnd;
}

/** `HH[:MM[:SS[.f…]]]` then the zone; the date part already parsed into `fields`. */
function parseTimeOfDay(cursor: IsoCursor, fields: DateTimeFields): boolean {
  const hour = cursor.fixedDigits(2);
  if (hour === undefined || hour >= 24) return false;
  fields.hour = hour;
  if (!cursor.accept(":")) return parseZone(cursor, fields);
  const minute = cursor.fixedDigits(2);
  if (minute === undefined || minute >= 60) return false;
  fields.minute = minute;
  if (!cursor.accept(":")) return parseZone(cursor, fields);
  const second = cursor.fixedDigits(2);
  if (second === undefined || second >= 60) return false;
  fields.second = second;
  if (cursor.accept(".")) fields.fraction = cursor.digitRun(18);
  return parseZone(cursor, fields);
}

/**
 * numpy's ISO 8601 grammar: `YYYY`, `YYYY-MM`, `YYYY-MM-DD`, then after `T`
 * or a space `HH`, `HH:MM`, `HH:MM:SS`, `HH:MM:SS.f…`, optionally `Z` or an
 * offset. Leading blanks are skipped; trailing blanks only after a time.
 */
function parseIsoFields(text: string): DateTimeFields | undefined {
  const cursor = new IsoCursor(text);
  cursor.skipSpaces();
  const negativeYear = cursor.accept("-") !== undefined;
  const yearDigits = cursor.digitRun();
  if (yearDigits === "") return undefined;
  const fields: DateTimeFields = {
    year: (negativeYear ? -1 : 1) * Number(yearDigits),
    month: 1,
    day: 1,
    hour: 0,
    minute: 0,
    second: 0,
    fraction: "",
    offsetMinutes: 0,
  };
  if (cursor.atEnd) return fields;
  if (!cursor.accept("-")) return undefined;
  const month = cursor.fixedDigits(2);
  if (month === undefined || month < 1 || month > 12) return undefined;
  fields.month = month;
  if (cursor.atEnd) return fields;
  if (!cursor.accept("-")) return undefined;
  const day = cursor.fixedDigits(2);
  if (day === undefined || day < 1 || day > daysInMonth(fields.year, month)) return undefined;
  fields.day = day;
  if (cursor.atEnd) return fields;
  if (!cursor.accept("T ")) return undefined;
  return parseTimeOfDay(cursor, fields) ? fields : undefined;
}

function fieldsToMicros(fields: DateTimeFields): Micros | undefined {
  const days = daysFromCivil(fields.year, fields.month, fields.day);
  const seconds =
    days * 86_400 +
    fields.hour * 3_600 +
    (fields.minute - fields.offsetMinutes) * 60 +
    fields.second;
  const micros = Number(fields.fraction.slice(0, 6).padEnd(6, "0"));
  const us = seconds * MICROS_PER_SECOND + micros;
  // Imprecise far in the past, but still negative: reported as before the epoch.
  return us < 0 || Number.isSafeInteger(us) ? us : undefined;
}

/**
 * An ISO 8601 date-time (numpy grammar, no offset meaning UTC) or one of
 * numpy's special words `now` (to the second) and `today` (UTC midnight), in
 * microseconds; undefined when numpy would not parse it. numpy's `NaT` is
 * refused: Gnocchi would store it as a garbage timestamp.
 */
function isoToMicros(text: string, now: Micros): Micros | undefined {
  const word = text.toLowerCase();
  if (word === "now") return floorTime(now, MICROS_PER_SECOND);
  if (word === "today") return floorTime(now, MICROS_PER_DAY);
  const fields = parseIsoFields(text);
  return fields && fieldsToMicros(fields);
}

function relativeOffset(input: unknown): Micros {
  try {
    return parseTimespan(input);
  } catch {
    throw new InvalidTimestampError(UNABLE_TO_CONVERT);
  }
}

function kindOf(first: unknown, now: Micros): TimestampKind {
  if (epochSecondsOf(first) !== undefined) return "epoch";
  if (typeof first === "string" && isoToMicros(first, now) !== undefined) return "iso";
  return "relative";
}

function convert(input: unknown, kind: TimestampKind, now: Micros): Micros {
  switch (kind) {
    case "epoch":
      return epochMicros(input);
    case "iso": {
      const us = typeof input === "string" ? isoToMicros(input, now) : undefined;
      if (us === undefined) throw new InvalidTimestampError(UNABLE_TO_CONVERT);
      return us;
    }
    case "relative": {
      const us = now + relativeOffset(input);
      if (!Number.isSafeInteger(us)) throw new InvalidTimestampError(UNABLE_TO_CONVERT);
      return us;
    }
  }
}

/** The current time in microseconds (millisecond resolution). */
export function currentMicros(): Micros {
  return Date.now() * 1_000;
}

/**
 * Converts a list of user timestamps together (spec rest §0.5). The first
 * value decides how the whole list is read: epoch seconds if Python's
 * `float()` accepts it, else an ISO 8601 date-time if numpy parses it, else a
 * timespan added to `now` (`-5 minutes`; numbers are then seconds from now).
 * A value that does not fit the list's kind fails with
 * "Unable to convert timestamps"; one before 1970 with
 * "Timestamp must be after Epoch". Results are truncated to the microsecond.
 */
export function parseTimestamps(
  inputs: readonly unknown[],
  now: Micros = currentMicros(),
): Micros[] {
  if (inputs.length === 0) return [];
  const kind = kindOf(inputs[0], now);
  const times = inputs.map((input) => convert(input, kind, now));
  if (times.some((t) => t < 0)) throw new InvalidTimestampError(BEFORE_EPOCH);
  return times;
}

/** One timestamp, read as a list of one (`start`, `stop`, resource dates). */
export function parseTimestamp(input: unknown, now: Micros = currentMicros()): Micros {
  return parseTimestamps([input], now)[0]!;
}

/**
 * ISO 8601 in UTC with an explicit `+00:00`, microseconds only when non-zero:
 * `2015-03-06T14:33:57+00:00`, `2014-01-01T11:46:00.200000+00:00`.
 */
export function formatTimestamp(us: Micros): string {
  const wholeSeconds = floorTime(us, MICROS_PER_SECOND);
  const micros = us - wholeSeconds;
  const iso = new Date(wholeSeconds / 1_000).toISOString().slice(0, 19);
  const fraction = micros === 0 ? "" : `.${String(micros).padStart(6, "0")}`;
  return `${iso}${fraction}+00:00`;
}
