/**
 * Durations as users write them (spec rest §0.6) and as Gnocchi prints them
 * (Python `timedelta` strings, Python float seconds).
 *
 * Input follows Gnocchi's `utils.to_timespan`: anything Python's `float()`
 * accepts is seconds, anything else goes through pytimeparse. Values are kept
 * as exact decimals until the final truncation to whole microseconds, so
 * `0.1` is 100000 µs and not whatever `0.1 * 1e6` rounds to.
 */
import { InvalidTimespanError } from "./errors.js";
import {
  floorTime,
  MICROS_PER_DAY,
  MICROS_PER_HOUR,
  MICROS_PER_MINUTE,
  MICROS_PER_SECOND,
  type Micros,
} from "./time.js";

/** An exact decimal number: ±coefficient × 10^exponent. */
export interface ExactDecimal {
  readonly negative: boolean;
  readonly coefficient: bigint;
  readonly exponent: number;
}

/** What Python's `float(str)` accepts, digits grouped by optional single underscores. */
const DIGITS = String.raw`\d(?:_?\d)*`;
const PYTHON_FLOAT = new RegExp(
  String.raw`^([+-]?)(?:(${DIGITS})?\.(${DIGITS})|(${DIGITS})\.?)(?:e([+-]?${DIGITS}))?$`,
  "i",
);
const PYTHON_NON_FINITE = /^[+-]?(?:inf|infinity|nan)$/i;

/**
 * Exponents beyond this overflow a float64 (Python gives `inf`) or underflow
 * it (Python gives 0.0); stopping here also keeps the BigInt powers small.
 */
const MAX_DECIMAL_EXPONENT = 400;

const ZERO_DECIMAL: ExactDecimal = { negative: false, coefficient: 0n, exponent: 0 };

/**
 * Parses a string the way Python's `float()` does, but exactly: returns the
 * decimal, "non-finite" for inf/nan spellings, or undefined when Python would
 * raise ValueError.
 */
export function parsePythonFloat(text: string): ExactDecimal | "non-finite" | undefined {
  const trimmed = text.trim();
  if (PYTHON_NON_FINITE.test(trimmed)) return "non-finite";
  const match = PYTHON_FLOAT.exec(trimmed);
  if (!match) return undefined;
  const [, sign, intBeforePoint = "", fraction = "", intWithoutFraction = "", exponentText] = match;
  const digits = (intBeforePoint + fraction + intWithoutFraction).replaceAll("_", "");
  const exponent =
    Number((exponentText ?? "0").replaceAll("_", "")) - fraction.replaceAll("_", "").length;
  const coefficient = BigInt(digits);
  if (coefficient === 0n || exponent < -MAX_DECIMAL_EXPONENT - digits.length) return ZERO_DECIMAL;
  if (exponent > MAX_DECIMAL_EXPONENT) return "non-finite";
  return { negative: sign === "-", coefficient, exponent };
}

/** The exact decimal a JS number stands for, as its shortest round-trip text spells it. */
export function numberToDecimal(value: number): ExactDecimal | "non-finite" {
  if (!Number.isFinite(value)) return "non-finite";
  return parsePythonFloat(String(value)) as ExactDecimal;
}

/**
 * Whole units of 10^unitExponent seconds in `value` seconds, truncated toward
 * zero (Python's `int()`), or floored when `floor` is set.
 */
function decimalToUnits(value: ExactDecimal, unitExponent: number, floor = false): bigint {
  const shift = value.exponent - unitExponent;
  let magnitude: bigint;
  let inexact = false;
  if (shift >= 0) {
    magnitude = value.coefficient * 10n ** BigInt(shift);
  } else {
    const divisor = 10n ** BigInt(-shift);
    magnitude = value.coefficient / divisor;
    inexact = value.coefficient % divisor !== 0n;
  }
  if (!value.negative) return magnitude;
  return floor && inexact ? -magnitude - 1n : -magnitude;
}

/** Microseconds in `seconds`, truncated toward zero, or floored when `floor` is set. */
export function decimalSecondsToMicros(seconds: ExactDecimal, floor = false): bigint {
  return decimalToUnits(seconds, -6, floor);
}

/** A microsecond count as a `Micros`, or undefined when a float64 cannot hold it exactly. */
export function safeMicros(us: bigint): Micros | undefined {
  const n = Number(us);
  return Number.isSafeInteger(n) ? n : undefined;
}

// pytimeparse 1.1 grammar, transcribed: each format is tried in order on the
// unsigned text, case-insensitively, and the first non-empty match wins.
const WEEKS = String.raw`(?<weeks>[\d.]+)\s*(?:w|wks?|weeks?)`;
const DAYS = String.raw`(?<days>[\d.]+)\s*(?:d|dys?|days?)`;
const HOURS = String.raw`(?<hours>[\d.]+)\s*(?:h|hrs?|hours?)`;
const MINS = String.raw`(?<mins>[\d.]+)\s*(?:m|mins?|minutes?)`;
const SECS = String.raw`(?<secs>[\d.]+)\s*(?:s|secs?|seconds?)`;
const SECCLOCK = String.raw`:(?<secs>\d{2}(?:\.\d+)?)`;
const MINCLOCK = String.raw`(?<mins>\d{1,2}):(?<secs>\d{2}(?:\.\d+)?)`;
const HOURCLOCK = String.raw`(?<hours>\d+):(?<mins>\d{2}):(?<secs>\d{2}(?:\.\d+)?)`;
const DAYCLOCK = String.raw`(?<days>\d+)[:-](?<hours>\d{2}):(?<mins>\d{2}):(?<secs>\d{2}(?:\.\d+)?)`;

const optional = (part: string) => `(?:${part})?`;
/** A unit part followed by optional spaces and at most one `,` or `/` separator. */
const optionalWithSeparator = (part: string) => String.raw`(?:${part}\s*(?:[,/]\s*)?)?`;

const TIMESPAN_FORMATS: readonly RegExp[] = [
  [
    optionalWithSeparator(WEEKS),
    optionalWithSeparator(DAYS),
    optionalWithSeparator(HOURS),
    optionalWithSeparator(MINS),
    optional(SECS),
  ].join(String.raw`\s*`),
  MINCLOCK,
  [optionalWithSeparator(WEEKS), optionalWithSeparator(DAYS), HOURCLOCK].join(String.raw`\s*`),
  DAYCLOCK,
  SECCLOCK,
].map((format) => new RegExp(String.raw`^\s*${format}\s*$`, "i"));

const SIGNED_EXPRESSION = /^\s*([+-])?\s*(.*)$/;

const SECONDS_PER_UNIT = { weeks: 604_800n, days: 86_400n, hours: 3_600n, mins: 60n, secs: 1n };
type TimeUnit = keyof typeof SECONDS_PER_UNIT;

interface TimespanPart {
  readonly unit: TimeUnit;
  readonly text: string;
  readonly value: ExactDecimal;
}

function partsOf(groups: Record<string, string | undefined>): TimespanPart[] | undefined {
  const parts: TimespanPart[] = [];
  for (const unit of Object.keys(SECONDS_PER_UNIT) as TimeUnit[]) {
    const text = groups[unit];
    if (text === undefined) continue;
    const value = parsePythonFloat(text);
    // `[\d.]+` lets through "." and "1.2.3", which float() rejects.
    if (value === undefined || value === "non-finite") return undefined;
    parts.push({ unit, text, value });
  }
  return parts;
}

/** Σ parts in units of 10^-scale seconds, exactly. */
function sumParts(parts: readonly TimespanPart[], scale: number): bigint {
  let total = 0n;
  for (const { unit, value } of parts) {
    total += decimalToUnits(value, -scale) * SECONDS_PER_UNIT[unit];
  }
  return total;
}

/**
 * Microseconds of an unsigned pytimeparse match. pytimeparse returns an int
 * when seconds are written without a fraction, truncating the sum of the
 * other (possibly fractional) parts to whole seconds: `0.01m` is 0 s, not
 * 0.6 s. That quirk is observable (it decides "Timespan must be positive"),
 * so it is kept.
 */
function partsToMicros(parts: readonly TimespanPart[]): bigint {
  const scale = Math.max(6, ...parts.map((p) => -p.value.exponent));
  const secs = parts.find((p) => p.unit === "secs");
  if (secs === undefined || /^\d+$/.test(secs.text)) {
    const others = parts.filter((p) => p !== secs);
    const wholeSeconds = sumParts(others, scale) / 10n ** BigInt(scale);
    return (wholeSeconds + (secs ? BigInt(secs.text) : 0n)) * 1_000_000n;
  }
  return sumParts(parts, scale) / 10n ** BigInt(scale - 6);
}

/** pytimeparse's `timeparse()`, in signed microseconds, or undefined when it returns None. */
function parseTimeExpression(text: string): bigint | undefined {
  const signed = SIGNED_EXPRESSION.exec(text);
  if (!signed) return undefined;
  const [, sign, unsigned = ""] = signed;
  for (const format of TIMESPAN_FORMATS) {
    const match = format.exec(unsigned);
    if (!match || match[0].trim() === "") continue;
    const parts = partsOf(match.groups ?? {});
    if (parts === undefined) continue;
    const us = partsToMicros(parts);
    return sign === "-" ? -us : us;
  }
  return undefined;
}

function timespanToBigMicros(input: unknown): bigint | undefined {
  if (typeof input === "boolean") return input ? 1_000_000n : 0n;
  if (typeof input === "number") {
    const seconds = numberToDecimal(input);
    return seconds === "non-finite" ? undefined : decimalSecondsToMicros(seconds);
  }
  if (typeof input !== "string") return undefined;
  // Newlines are whitespace to both grammars but would stop the `.` of the sign pattern.
  const text = input.trim();
  const seconds = parsePythonFloat(text);
  if (seconds === "non-finite") return undefined;
  if (seconds !== undefined) return decimalSecondsToMicros(seconds);
  return parseTimeExpression(text);
}

/**
 * A duration as Gnocchi's `to_timespan` reads it (spec rest §0.6): a number,
 * boolean or numeric string is seconds (`0.5`, `"1e3"`), anything else a
 * pytimeparse expression (`1h30m`, `2 days, 4:13:02`, `-5 minutes`). Zero and
 * negative results are returned as they are. Truncated to the microsecond.
 */
export function parseTimespan(input: unknown): Micros {
  const us = timespanToBigMicros(input);
  const micros = us === undefined ? undefined : safeMicros(us);
  if (micros === undefined) throw new InvalidTimespanError("Unable to parse timespan");
  return micros;
}

/** `parseTimespan` for places where only a strictly positive duration makes sense. */
export function parsePositiveTimespan(input: unknown): Micros {
  const us = parseTimespan(input);
  if (us <= 0) throw new InvalidTimespanError("Timespan must be positive");
  return us;
}

function plural(count: number, word: string): string {
  return `${count} ${word}${Math.abs(count) === 1 ? "" : "s"}`;
}

const pad2 = (n: number) => String(n).padStart(2, "0");

/**
 * Python's `str(timedelta)`: `0:00:01`, `0:00:03.600000`, `1 day, 0:00:00`.
 * Like Python, a negative duration is a negative day count plus a positive
 * clock: -1 s is `-1 day, 23:59:59`.
 */
export function formatTimedelta(us: Micros): string {
  const withinDay = us - floorTime(us, MICROS_PER_DAY);
  const days = (us - withinDay) / MICROS_PER_DAY;
  const micros = withinDay % MICROS_PER_SECOND;
  const seconds = Math.floor(withinDay / MICROS_PER_SECOND) % 60;
  const minutes = Math.floor(withinDay / MICROS_PER_MINUTE) % 60;
  const hours = Math.floor(withinDay / MICROS_PER_HOUR);
  const clock = `${hours}:${pad2(minutes)}:${pad2(seconds)}`;
  const fraction = micros === 0 ? "" : `.${String(micros).padStart(6, "0")}`;
  const dayPrefix = days === 0 ? "" : `${plural(days, "day")}, `;
  return `${dayPrefix}${clock}${fraction}`;
}

/**
 * Python's `repr(float)`: shortest round-trip digits, fixed notation between
 * 1e-4 and 1e16 with at least one fractional digit (`60.0`), scientific with a
 * two-digit exponent elsewhere (`1e-06`, `1e+16`).
 */
export function formatPythonFloat(x: number): string {
  if (Number.isNaN(x)) return "nan";
  if (!Number.isFinite(x)) return x > 0 ? "inf" : "-inf";
  if (x === 0) return Object.is(x, -0) ? "-0.0" : "0.0";
  const [mantissa = "", exponentText = "0"] = x.toExponential().split("e");
  const exponent = Number(exponentText);
  const digits = mantissa.replace("-", "").replace(".", "");
  const sign = x < 0 ? "-" : "";
  if (exponent < -4 || exponent >= 16) {
    const scientificMantissa = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    const exponentSign = exponent < 0 ? "-" : "+";
    return `${sign}${scientificMantissa}e${exponentSign}${pad2(Math.abs(exponent))}`;
  }
  if (exponent < 0) return `${sign}0.${"0".repeat(-exponent - 1)}${digits}`;
  const integerDigits = exponent + 1;
  if (digits.length <= integerDigits) return `${sign}${digits.padEnd(integerDigits, "0")}.0`;
  return `${sign}${digits.slice(0, integerDigits)}.${digits.slice(integerDigits)}`;
}

/** A duration as Gnocchi prints seconds in messages and measures: `60.0`, `0.5`, `1e-06`. */
export function formatSeconds(us: Micros): string {
  return formatPythonFloat(us / MICROS_PER_SECOND);
}
