/**
 * The InfluxDB line protocol as Gnocchi's `/v1/influxdb/write` reads it
 * (spec ingest-adapters §c):
 *
 *   measurement[,tag_key=tag_value...] field_key=field_value[,...][ timestamp]
 *
 * Identifiers are double-quoted strings (`\` escapes the next character) or
 * unquoted runs of characters other than space, `,`, `=`, in which `\ `,
 * `\,`, `\=` and `\\` stand for the escaped character and any other `\` is
 * kept. Field values are integers (`43i`, also `-5i` and unsigned `7u`),
 * numbers (`123`, `-1.5e3`, `.5`) or double-quoted strings; anything else,
 * booleans included (as in Gnocchi), makes the line invalid. The timestamp is
 * an integer in the request's precision (nanoseconds by default), kept to the
 * microsecond.
 *
 * Stricter than Gnocchi's pyparsing grammar, which silently ignored whatever
 * followed a parsable prefix (`cpu v=1 12abc` was stored with timestamp 12):
 * here a line must be consumed to its end (trailing blanks and `\r` aside).
 */
import type { Micros } from "../carbonara/time.js";

/** A parsed line. String fields are kept so the caller decides what to do with them. */
export interface InfluxPoint {
  readonly measurement: string;
  /** Tags in line order; a repeated key keeps its last value. */
  readonly tags: Map<string, string>;
  readonly fields: readonly (readonly [key: string, value: number | string])[];
  /** µs since the epoch, or undefined when the line has none. */
  readonly timestamp: Micros | undefined;
  /** 1-based line number in the request body. */
  readonly line: number;
}

/** Units of the timestamps (`precision` query parameter of InfluxDB 1.x). */
export type Precision = "ns" | "u" | "ms" | "s" | "m" | "h";

const PRECISIONS: Readonly<Record<string, Precision>> = {
  n: "ns",
  ns: "ns",
  u: "u",
  us: "u",
  µ: "u",
  ms: "ms",
  s: "s",
  m: "m",
  h: "h",
};

/** The precision a `precision` parameter names (InfluxDB's spellings), or undefined. */
export function parsePrecision(value: string): Precision | undefined {
  return Object.hasOwn(PRECISIONS, value) ? PRECISIONS[value] : undefined;
}

/** Timestamp unit → µs: [divisor, multiplier]. */
const SCALE: Readonly<Record<Precision, readonly [bigint, bigint]>> = {
  ns: [1000n, 1n],
  u: [1n, 1n],
  ms: [1n, 1000n],
  s: [1n, 1_000_000n],
  m: [1n, 60_000_000n],
  h: [1n, 3_600_000_000n],
};

/** A line that does not parse: `line` is 1-based, `column` 1-based within it. */
export class LineProtocolError extends Error {
  override name = "LineProtocolError";
  constructor(
    readonly line: number,
    readonly column: number,
    readonly problem: string,
  ) {
    super(`Unable to parse line ${line}`);
  }
}

const isDigit = (c: number) => c >= 0x30 && c <= 0x39;

const SPACE = 0x20;
const COMMA = 0x2c;
const EQUALS = 0x3d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/** Thrown inside one line; {@link parseLineProtocol} adds the line number. */
class Fail {
  constructor(
    readonly at: number,
    readonly problem: string,
  ) {}
}

/** A cursor over one line `text[start, end)`. */
class Cursor {
  pos: number;
  constructor(
    readonly text: string,
    start: number,
    readonly end: number,
  ) {
    this.pos = start;
  }

  peek(): number {
    return this.codeAt(this.pos);
  }

  codeAt(k: number): number {
    return k < this.end ? this.text.charCodeAt(k) : -1;
  }

  expect(code: number, what: string): void {
    if (this.peek() !== code) throw new Fail(this.pos, `expected ${what}`);
    this.pos++;
  }

  /** A quoted string: `"` ... `"`, a backslash escaping the next character. */
  quoted(): string {
    this.pos++; // opening quote
    let out = "";
    let from = this.pos;
    while (this.pos < this.end) {
      const c = this.text.charCodeAt(this.pos);
      if (c === QUOTE) {
        out += this.text.slice(from, this.pos);
        this.pos++;
        return out;
      }
      if (c === BACKSLASH && this.pos + 1 < this.end) {
        out += this.text.slice(from, this.pos);
        from = this.pos + 1;
        this.pos += 2;
        continue;
      }
      this.pos++;
    }
    throw new Fail(this.pos, "unterminated quoted string");
  }

  /** An identifier (measurement, tag key or value, field key): quoted or unquoted, not empty. */
  identifier(what: string): string {
    if (this.peek() === QUOTE) return this.quoted();
    let out = "";
    let from = this.pos;
    while (this.pos < this.end) {
      const c = this.text.charCodeAt(this.pos);
      if (c === SPACE || c === COMMA || c === EQUALS) break;
      if (c === BACKSLASH && this.pos + 1 < this.end) {
        const next = this.text.charCodeAt(this.pos + 1);
        if (next === SPACE || next === COMMA || next === EQUALS || next === BACKSLASH) {
          out += this.text.slice(from, this.pos);
          from = this.pos + 1;
          this.pos += 2;
          continue;
        }
      }
      this.pos++;
    }
    out += this.text.slice(from, this.pos);
    if (out === "") throw new Fail(this.pos, `expected ${what}`);
    return out;
  }

  /** A field value: integer, number or quoted string. */
  fieldValue(): number | string {
    if (this.peek() === QUOTE) return this.quoted();
    const start = this.pos;
    let i = this.pos;
    if (this.codeAt(i) === 0x2b || this.codeAt(i) === 0x2d) i++; // + -
    const intStart = i;
    while (isDigit(this.codeAt(i))) i++;
    const intDigits = i - intStart;
    if ((this.codeAt(i) === 0x69 || this.codeAt(i) === 0x75) && intDigits > 0) {
      // 43i, -5i, 7u: integers (stored as floats, like Gnocchi)
      if (this.codeAt(i) === 0x75 && this.codeAt(start) === 0x2d)
        throw new Fail(start, "negative unsigned integer");
      const value = Number(this.text.slice(start, i));
      this.pos = i + 1;
      return value;
    }
    let fracDigits = 0;
    if (this.codeAt(i) === 0x2e) {
      i++;
      const fracStart = i;
      while (isDigit(this.codeAt(i))) i++;
      fracDigits = i - fracStart;
    }
    if (intDigits === 0 && fracDigits === 0) throw new Fail(start, "expected a field value");
    if (this.codeAt(i) === 0x65 || this.codeAt(i) === 0x45) {
      let j = i + 1;
      if (this.codeAt(j) === 0x2b || this.codeAt(j) === 0x2d) j++;
      const expStart = j;
      while (isDigit(this.codeAt(j))) j++;
      if (j === expStart) throw new Fail(j, "expected exponent digits");
      i = j;
    }
    const value = Number(this.text.slice(start, i));
    if (!Number.isFinite(value)) throw new Fail(start, "number out of range");
    this.pos = i;
    return value;
  }

  /** The rest of the line must be blank. */
  atEnd(): boolean {
    for (let i = this.pos; i < this.end; i++) {
      const c = this.text.charCodeAt(i);
      if (c !== SPACE && c !== 0x09 && c !== 0x0d) return false;
    }
    return true;
  }
}

function timestampMicros(digits: string, precision: Precision, at: number): Micros {
  const [divisor, multiplier] = SCALE[precision];
  const us = (BigInt(digits) / divisor) * multiplier;
  if (us > BigInt(Number.MAX_SAFE_INTEGER)) throw new Fail(at, "timestamp out of range");
  return Number(us);
}

function parseLine(
  text: string,
  start: number,
  end: number,
  line: number,
  precision: Precision,
): InfluxPoint {
  const cur = new Cursor(text, start, end);
  const measurement = cur.identifier("a measurement");
  const tags = new Map<string, string>();
  while (cur.peek() === COMMA) {
    cur.pos++;
    const key = cur.identifier("a tag key");
    cur.expect(EQUALS, "'=' after a tag key");
    tags.set(key, cur.identifier("a tag value"));
  }
  cur.expect(SPACE, "a space before the fields");
  const fields: [string, number | string][] = [];
  do {
    if (fields.length > 0) cur.pos++; // the comma
    const key = cur.identifier("a field key");
    cur.expect(EQUALS, "'=' after a field key");
    fields.push([key, cur.fieldValue()]);
  } while (cur.peek() === COMMA);
  let timestamp: Micros | undefined;
  if (cur.peek() === SPACE && !cur.atEnd()) {
    cur.pos++;
    const from = cur.pos;
    while (isDigit(cur.peek())) cur.pos++;
    if (cur.pos === from) throw new Fail(from, "expected a timestamp (unsigned integer)");
    timestamp = timestampMicros(text.slice(from, cur.pos), precision, from);
  }
  if (!cur.atEnd()) throw new Fail(cur.pos, "unexpected characters at the end of the line");
  return { measurement, tags, fields, timestamp, line };
}

/**
 * Calls `visit` with each line of `text` (separated by `\n`; empty or blank
 * lines skipped) as it is parsed, so a large body never holds all its points.
 * @throws LineProtocolError naming the first line that does not parse
 */
export function forEachPoint(
  text: string,
  precision: Precision,
  visit: (point: InfluxPoint) => void,
): void {
  let start = 0;
  let line = 0;
  while (start <= text.length) {
    let end = text.indexOf("\n", start);
    if (end < 0) end = text.length;
    line++;
    let blank = true;
    for (let i = start; i < end && blank; i++) {
      const c = text.charCodeAt(i);
      blank = c === SPACE || c === 0x09 || c === 0x0d;
    }
    if (!blank) {
      let point: InfluxPoint;
      try {
        point = parseLine(text, start, end, line, precision);
      } catch (error) {
        if (error instanceof Fail) {
          throw new LineProtocolError(line, error.at - start + 1, error.problem);
        }
        throw error;
      }
      visit(point);
    }
    start = end + 1;
  }
}

/** Every point of `text`. @throws LineProtocolError */
export function parseLineProtocol(text: string, precision: Precision = "ns"): InfluxPoint[] {
  const points: InfluxPoint[] = [];
  forEachPoint(text, precision, (p) => points.push(p));
  return points;
}
