/**
 * One statsd line (spec ingest-adapters §b, with the DogStatsD extensions):
 *
 *   <name>:<value>[:<value>...]|<type>[|@<sample rate>][|#<tag>[:<value>],...]
 *
 * Types: `c` counter, `g` gauge (a leading `+`/`-` makes it relative), `s`
 * set (the value is any text), `ms` timer, `h` histogram and `d`
 * distribution. Several values (`:`-separated, DogStatsD 1.1) only for
 * `ms`, `h`, `d`. A sample rate (0 < r ≤ 1) only for `c`, `ms`, `h`, `d`.
 * DogStatsD's container (`|c:...`) and timestamp (`|T...`) fields are
 * accepted and ignored. Values must be finite decimal numbers.
 *
 * The parser works on index ranges of the datagram text and writes into a
 * caller-owned {@link ParsedLine}: no allocation per line (the series key
 * aside, built by the caller only for lines that parse).
 */

export type StatsdType = "c" | "g" | "s" | "ms" | "h" | "d";

/** Why a line was skipped: the label of the bad-lines counter. */
export type BadLineReason =
  | "empty_name"
  | "no_value"
  | "bad_value"
  | "bad_type"
  | "bad_sample_rate"
  | "sample_rate_not_allowed"
  | "bad_field"
  | "bad_tags"
  | "reserved_tag"
  | "name_too_long"
  | "bad_resource_tag"
  | "invalid_utf8"
  | "too_many_series";

/** The parts of one line, as ranges of the text it was parsed from. Reused line after line. */
export class ParsedLine {
  nameStart = 0;
  nameEnd = 0;
  /** The value part (all values of a multi-value line; the set member of `s`). */
  valueStart = 0;
  valueEnd = 0;
  type: StatsdType = "c";
  /** 1 when absent. */
  rate = 1;
  /** Range of the tags after `#`; tagsStart < 0 when there are none. */
  tagsStart = -1;
  tagsEnd = -1;
  /** Gauges: the value had a sign, so it adjusts the gauge. */
  relative = false;
  /** The numeric values (`count` of them; not used for sets). */
  values = new Float64Array(16);
  count = 0;

  push(value: number): void {
    if (this.count === this.values.length) {
      const grown = new Float64Array(this.values.length * 2);
      grown.set(this.values);
      this.values = grown;
    }
    this.values[this.count++] = value;
  }
}

const POW10 = [1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15];

const isDigit = (c: number) => c >= 0x30 && c <= 0x39;

/**
 * A finite decimal number `[+-]digits[.digits][e[+-]digits]` (also `.5`, `5.`)
 * spanning exactly `text[start, end)`, or NaN. Short decimals are computed
 * from their digits (one correctly rounded division, no string); others go
 * through Number().
 */
export function parseDecimal(text: string, start: number, end: number): number {
  let i = start;
  let negative = false;
  let c = i < end ? text.charCodeAt(i) : -1;
  if (c === 0x2b || c === 0x2d) {
    negative = c === 0x2d;
    i++;
  }
  let mantissa = 0;
  let digits = 0;
  let fraction = 0;
  let seenDot = false;
  for (; i < end; i++) {
    c = text.charCodeAt(i);
    if (isDigit(c)) {
      mantissa = mantissa * 10 + (c - 0x30);
      digits++;
      if (seenDot) fraction++;
    } else if (c === 0x2e && !seenDot) {
      seenDot = true;
    } else {
      break;
    }
  }
  if (digits === 0) return NaN;
  if (i === end && digits <= 15) {
    const value = fraction === 0 ? mantissa : mantissa / POW10[fraction]!;
    return negative ? -value : value;
  }
  if (i < end) {
    // Only an exponent may follow.
    if (c !== 0x65 && c !== 0x45) return NaN;
    i++;
    c = i < end ? text.charCodeAt(i) : -1;
    if (c === 0x2b || c === 0x2d) i++;
    const expStart = i;
    while (i < end && isDigit(text.charCodeAt(i))) i++;
    if (i === expStart || i !== end) return NaN;
  }
  const value = Number(text.slice(start, end));
  return Number.isFinite(value) ? value : NaN;
}

function typeOf(text: string, start: number, end: number): StatsdType | undefined {
  const length = end - start;
  const a = text.charCodeAt(start);
  if (length === 1) {
    if (a === 0x63) return "c";
    if (a === 0x67) return "g";
    if (a === 0x73) return "s";
    if (a === 0x68) return "h";
    if (a === 0x64) return "d";
  } else if (length === 2 && a === 0x6d && text.charCodeAt(start + 1) === 0x73) {
    return "ms";
  }
  return undefined;
}

/** Parses the numeric values of `out`'s value range. */
function parseValues(text: string, out: ParsedLine, multi: boolean): BadLineReason | undefined {
  out.count = 0;
  let from = out.valueStart;
  for (;;) {
    let to = multi ? text.indexOf(":", from) : -1;
    if (to < 0 || to > out.valueEnd) to = out.valueEnd;
    const value = parseDecimal(text, from, to);
    if (Number.isNaN(value)) return "bad_value";
    out.push(value);
    if (to === out.valueEnd) return undefined;
    from = to + 1;
  }
}

/**
 * Parses `text[start, end)` (one line, without its `\n`) into `out`.
 * Returns why the line is bad, or undefined when `out` holds it.
 */
export function parseLine(
  text: string,
  start: number,
  end: number,
  out: ParsedLine,
): BadLineReason | undefined {
  if (end > start && text.charCodeAt(end - 1) === 0x0d) end--; // CRLF
  const colon = text.indexOf(":", start);
  const pipe = text.indexOf("|", start);
  if (colon < 0 || colon >= end || pipe < 0 || pipe >= end || pipe < colon) return "no_value";
  if (colon === start) return "empty_name";
  out.nameStart = start;
  out.nameEnd = colon;
  out.valueStart = colon + 1;
  out.valueEnd = pipe;
  if (out.valueStart === out.valueEnd) return "bad_value";

  let fieldEnd = text.indexOf("|", pipe + 1);
  if (fieldEnd < 0 || fieldEnd > end) fieldEnd = end;
  const type = typeOf(text, pipe + 1, fieldEnd);
  if (type === undefined) return "bad_type";
  out.type = type;
  out.rate = 1;
  out.tagsStart = -1;
  out.tagsEnd = -1;
  let hasRate = false;
  while (fieldEnd < end) {
    const fieldStart = fieldEnd + 1;
    fieldEnd = text.indexOf("|", fieldStart);
    if (fieldEnd < 0 || fieldEnd > end) fieldEnd = end;
    const first = fieldStart < fieldEnd ? text.charCodeAt(fieldStart) : -1;
    if (first === 0x40 /* @ */) {
      const rate = parseDecimal(text, fieldStart + 1, fieldEnd);
      if (!(rate > 0 && rate <= 1)) return "bad_sample_rate";
      out.rate = rate;
      hasRate = true;
    } else if (first === 0x23 /* # */) {
      out.tagsStart = fieldStart + 1;
      out.tagsEnd = fieldEnd;
    } else if (
      !(first === 0x63 /* c */ && text.charCodeAt(fieldStart + 1) === 0x3a) &&
      first !== 0x54 /* T */
    ) {
      return "bad_field";
    }
  }
  if (hasRate && (type === "g" || type === "s")) return "sample_rate_not_allowed";

  if (type === "s") return undefined;
  const sign = text.charCodeAt(out.valueStart);
  out.relative = type === "g" && (sign === 0x2b || sign === 0x2d);
  return parseValues(text, out, type === "ms" || type === "h" || type === "d");
}
