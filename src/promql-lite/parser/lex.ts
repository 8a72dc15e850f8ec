/**
 * The PromQL lexer (Prometheus' promql/parser/lex.go): turns a query into
 * tokens with their offsets. Context matters in two places, as in
 * Prometheus: inside `{…}` every word is a label name (no keywords), and a
 * number directly followed by a unit (`5m`, `1h30m`) is a duration.
 */
import { ParseError } from "../errors.js";
import { parseDuration } from "./duration.js";

export type TokenKind =
  | "number"
  | "duration"
  | "string"
  | "identifier"
  | "metric_identifier"
  | "keyword"
  | "op"
  | "eof";

export interface Token {
  readonly kind: TokenKind;
  /** Source text; for keywords lower-cased, for strings the unquoted value. */
  readonly text: string;
  /** numbers: the value; durations: milliseconds. */
  readonly num: number;
  readonly start: number;
  readonly end: number;
}

/** Words with a meaning of their own (matched case-insensitively, like Prometheus). */
export const KEYWORDS: ReadonlySet<string> = new Set([
  "and",
  "or",
  "unless",
  "atan2",
  "by",
  "without",
  "on",
  "ignoring",
  "group_left",
  "group_right",
  "offset",
  "bool",
]);

/** Aggregation operators (keywords too). */
export const AGGREGATORS: ReadonlySet<string> = new Set([
  "sum",
  "avg",
  "count",
  "min",
  "max",
  "group",
  "stddev",
  "stdvar",
  "topk",
  "bottomk",
  "count_values",
  "quantile",
]);

const OPERATORS = [
  "==",
  "!=",
  "<=",
  ">=",
  "=~",
  "!~",
  "+",
  "-",
  "*",
  "/",
  "%",
  "^",
  "<",
  ">",
  "=",
  "(",
  ")",
  "{",
  "}",
  "[",
  "]",
  ",",
  ":",
  "@",
];

const DURATION_RE = /[0-9]+(?:ms|[smhdwy])(?:[0-9]+(?:ms|[smhdwy]))*/y;
const HEX_RE = /0[xX][0-9a-fA-F]+/y;
const FLOAT_RE = /(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?/y;

function isAlpha(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95;
}
function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}
function isAlnum(c: number): boolean {
  return isAlpha(c) || isDigit(c);
}
function isSpace(c: number): boolean {
  return c === 32 || c === 9 || c === 10 || c === 13;
}

/** Tokenizes a whole query. @throws ParseError */
export function lex(input: string): Token[] {
  const tokens: Token[] = [];
  let pos = 0;
  let braceDepth = 0;
  let parenDepth = 0;
  let bracketOpen = false;
  const fail = (msg: string, start: number, end = start + 1): never => {
    throw new ParseError(msg, { start, end }, input);
  };
  const push = (kind: TokenKind, text: string, num: number, start: number, end: number) =>
    tokens.push({ kind, text, num, start, end });

  while (pos < input.length) {
    const c = input.charCodeAt(pos);
    if (isSpace(c)) {
      pos++;
      continue;
    }
    if (c === 35 /* # */) {
      while (pos < input.length && input.charCodeAt(pos) !== 10) pos++;
      continue;
    }
    const start = pos;
    if (c === 34 || c === 39 || c === 96) {
      const [value, end] = scanString(input, pos, fail);
      push("string", value, 0, start, end);
      pos = end;
      continue;
    }
    if (braceDepth > 0) {
      // Label matchers: names, operators, strings, commas.
      if (isAlpha(c)) {
        while (pos < input.length && isAlnum(input.charCodeAt(pos))) pos++;
        push("identifier", input.slice(start, pos), 0, start, pos);
        continue;
      }
      const op = ["=~", "!~", "!=", "=", ",", "}"].find((o) => input.startsWith(o, pos));
      if (op === undefined)
        fail(`unexpected character inside braces: ${quoteRune(input, pos)}`, pos);
      if (op === "}") braceDepth--;
      push("op", op!, 0, start, pos + op!.length);
      pos += op!.length;
      continue;
    }
    if (isDigit(c) || (c === 46 && isDigit(input.charCodeAt(pos + 1)))) {
      pos = scanNumberOrDuration(input, pos, push, fail);
      continue;
    }
    if (isAlpha(c)) {
      while (pos < input.length) {
        const d = input.charCodeAt(pos);
        if (!isAlnum(d) && d !== 58 /* : */) break;
        pos++;
      }
      // A colon ends the word inside `[…]` (`[5m:1m]` never reaches here, but `[x:]` would).
      let word = input.slice(start, pos);
      if (bracketOpen && word.includes(":")) {
        word = word.slice(0, word.indexOf(":"));
        pos = start + word.length;
      }
      const lower = word.toLowerCase();
      if (lower === "inf" || lower === "nan") {
        push("number", word, lower === "inf" ? Number.POSITIVE_INFINITY : Number.NaN, start, pos);
      } else if (KEYWORDS.has(lower) || AGGREGATORS.has(lower)) {
        push("keyword", lower, 0, start, pos);
      } else {
        push(word.includes(":") ? "metric_identifier" : "identifier", word, 0, start, pos);
      }
      continue;
    }
    if (c === 58 /* : */ && !bracketOpen && isAlpha(input.charCodeAt(pos + 1))) {
      // Metric names may start with a colon (recording rules: `:foo:bar`).
      pos++;
      while (pos < input.length) {
        const d = input.charCodeAt(pos);
        if (!isAlnum(d) && d !== 58) break;
        pos++;
      }
      push("metric_identifier", input.slice(start, pos), 0, start, pos);
      continue;
    }
    const op = OPERATORS.find((o) => input.startsWith(o, pos));
    if (op === undefined) {
      if (c === 33 /* ! */)
        fail(`unexpected character after '!': ${quoteRune(input, pos + 1)}`, pos);
      fail(`unexpected character: ${quoteRune(input, pos)}`, pos);
    }
    switch (op) {
      case "{":
        braceDepth++;
        break;
      case "(":
        parenDepth++;
        break;
      case ")":
        if (parenDepth === 0) fail("unexpected right parenthesis ')'", pos);
        parenDepth--;
        break;
      case "[":
        if (bracketOpen) fail("unexpected left bracket '['", pos);
        bracketOpen = true;
        break;
      case "]":
        if (!bracketOpen) fail("unexpected right bracket ']'", pos);
        bracketOpen = false;
        break;
      case "}":
        fail("unexpected right brace '}'", pos);
    }
    push("op", op!, 0, start, pos + op!.length);
    pos += op!.length;
  }
  if (braceDepth > 0) fail("unexpected end of input inside braces", input.length);
  if (parenDepth > 0) fail("unclosed left parenthesis", input.length);
  if (bracketOpen) fail("unclosed left bracket", input.length);
  push("eof", "", 0, input.length, input.length);
  return tokens;
}

function quoteRune(input: string, pos: number): string {
  const ch = String.fromCodePoint(input.codePointAt(pos) ?? 0);
  return JSON.stringify(ch);
}

function scanNumberOrDuration(
  input: string,
  pos: number,
  push: (kind: TokenKind, text: string, num: number, start: number, end: number) => void,
  fail: (msg: string, start: number, end?: number) => never,
): number {
  const followedByWord = (end: number) => end < input.length && isAlnum(input.charCodeAt(end));
  DURATION_RE.lastIndex = pos;
  const dur = DURATION_RE.exec(input);
  if (dur && !followedByWord(pos + dur[0].length)) {
    const end = pos + dur[0].length;
    const ms = parseDuration(dur[0]);
    if (ms === undefined) fail(`not a valid duration string: ${JSON.stringify(dur[0])}`, pos, end);
    push("duration", dur[0], ms!, pos, end);
    return end;
  }
  HEX_RE.lastIndex = pos;
  const hex = HEX_RE.exec(input);
  if (hex && !followedByWord(pos + hex[0].length)) {
    const end = pos + hex[0].length;
    push("number", hex[0], Number.parseInt(hex[0].slice(2), 16), pos, end);
    return end;
  }
  FLOAT_RE.lastIndex = pos;
  const num = FLOAT_RE.exec(input);
  if (num && !followedByWord(pos + num[0].length)) {
    const end = pos + num[0].length;
    push("number", num[0], Number(num[0]), pos, end);
    return end;
  }
  let end = pos;
  while (end < input.length && (isAlnum(input.charCodeAt(end)) || input[end] === ".")) end++;
  return fail(`bad number or duration syntax: ${JSON.stringify(input.slice(pos, end))}`, pos, end);
}

/** Scans a quoted string at `pos`; returns its value (Go escapes applied) and end offset. */
function scanString(
  input: string,
  pos: number,
  fail: (msg: string, start: number, end?: number) => never,
): [string, number] {
  const quote = input[pos]!;
  let i = pos + 1;
  if (quote === "`") {
    const close = input.indexOf("`", i);
    if (close < 0) fail("unterminated raw string", pos, input.length);
    return [input.slice(i, close), close + 1];
  }
  let out = "";
  while (true) {
    if (i >= input.length || input[i] === "\n") fail("unterminated quoted string", pos, i);
    const ch = input[i]!;
    if (ch === quote) return [out, i + 1];
    if (ch !== "\\") {
      out += ch;
      i++;
      continue;
    }
    const e = input[i + 1];
    i += 2;
    switch (e) {
      case "a":
        out += "\x07";
        break;
      case "b":
        out += "\b";
        break;
      case "f":
        out += "\f";
        break;
      case "n":
        out += "\n";
        break;
      case "r":
        out += "\r";
        break;
      case "t":
        out += "\t";
        break;
      case "v":
        out += "\v";
        break;
      case "\\":
        out += "\\";
        break;
      case '"':
      case "'":
        if (e !== quote) fail("unknown escape sequence", i - 2, i);
        out += e;
        break;
      case "x":
      case "u":
      case "U": {
        const n = e === "x" ? 2 : e === "u" ? 4 : 8;
        const hex = input.slice(i, i + n);
        if (!new RegExp(`^[0-9a-fA-F]{${n}}$`).test(hex))
          fail("illegal character in escape sequence", i - 2, i);
        const code = Number.parseInt(hex, 16);
        if (e === "x") {
          // \xHH is a byte; bytes ≥ 0x80 only make sense inside UTF-8 sequences, which JS strings cannot hold.
          out += String.fromCharCode(code);
        } else {
          if (code > 0x10ffff || (code >= 0xd800 && code < 0xe000))
            fail("escape sequence is an invalid Unicode code point", i - 2, i + n);
          out += String.fromCodePoint(code);
        }
        i += n;
        break;
      }
      default:
        if (e !== undefined && e >= "0" && e <= "7") {
          const oct = input.slice(i - 1, i + 2);
          if (!/^[0-7]{3}$/.test(oct)) fail("illegal character in escape sequence", i - 2, i);
          const code = Number.parseInt(oct, 8);
          if (code > 255) fail("octal escape value > 255", i - 2, i + 2);
          out += String.fromCharCode(code);
          i += 2;
          break;
        }
        if (e === undefined) fail("unterminated quoted string", pos, i);
        fail("unknown escape sequence", i - 2, i);
    }
  }
}
