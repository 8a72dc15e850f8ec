/**
 * Resource search filters (spec rest §9.1, §9.2): the JSON form and the
 * string form (`?filter=`), validated the way Gnocchi's voluptuous schema
 * does and turned into one typed AST. Pure: no SQL here (see search-sql.ts),
 * no database.
 *
 * Errors, with Gnocchi's texts:
 * - schema errors → {@link InvalidSearchInputError}: `reason` is voluptuous'
 *   `str(e)` (`expected a list for dictionary value @ data['and']`), `detail`
 *   the path as strings;
 * - a string form that does not parse → {@link InvalidFilterError}
 *   (`Invalid filter: Expected ...`);
 * - an `id` value that cannot become a resource id → invalid input with the
 *   §0.9 reason (`'/' is not supported in resource id`).
 *
 * Deliberate differences from the original string grammar (pyparsing): the
 * keywords `not`/`and`/`or`/`null`/`true`/... need a word boundary (the
 * original parsed `notable = 1` as `not able = 1`), and a quoted value equal
 * to an operator name (`name = 'and'`) is an ordinary value (the original
 * crashed).
 */
import { InvalidFilterError, InvalidSearchInputError } from "./errors.js";
import { resourceIdFromInput } from "./resource-id.js";

/** The canonical comparison operators (aliases are normalized away). */
export type CompareOp = "=" | "!=" | "<" | "<=" | ">" | ">=";

/** A scalar as it comes from the filter, before conversion to the column type. */
export type FilterValue = string | number | boolean | null;

export type SearchFilter =
  | {
      readonly kind: "compare";
      readonly op: CompareOp;
      readonly attribute: string;
      readonly value: FilterValue;
    }
  | { readonly kind: "like"; readonly attribute: string; readonly value: FilterValue }
  | { readonly kind: "in"; readonly attribute: string; readonly values: readonly FilterValue[] }
  | { readonly kind: "and" | "or"; readonly children: readonly SearchFilter[] }
  | { readonly kind: "not"; readonly child: SearchFilter }
  /** `{}` nested inside another operator: Gnocchi fails it when compiling (`Unable to parse this query`). */
  | { readonly kind: "empty" };

export interface ParseFilterOptions {
  /** The requesting user's creator string (spec rest §1.2): non-UUID `id` values are derived with it. */
  readonly creator: string | null;
}

const COMPARE_OPS: Readonly<Record<string, CompareOp>> = {
  "=": "=",
  "==": "=",
  eq: "=",
  "<": "<",
  lt: "<",
  ">": ">",
  gt: ">",
  "<=": "<=",
  "≤": "<=",
  le: "<=",
  ">=": ">=",
  "≥": ">=",
  ge: ">=",
  "!=": "!=",
  "≠": "!=",
  ne: "!=",
};

const BOOLEAN_OPS: Readonly<Record<string, "and" | "or">> = {
  and: "and",
  "∧": "and",
  or: "or",
  "∨": "or",
};

// ---------------------------------------------------------------------------
// Python-flavoured formatting for messages.

/** Python's `repr()` of a str. */
export function pyRepr(value: string): string {
  const quote = value.includes("'") && !value.includes('"') ? '"' : "'";
  let out = quote;
  for (const ch of value) {
    const code = ch.codePointAt(0)!;
    if (ch === "\\") out += "\\\\";
    else if (ch === quote) out += `\\${quote}`;
    else if (ch === "\n") out += "\\n";
    else if (ch === "\r") out += "\\r";
    else if (ch === "\t") out += "\\t";
    else if (code < 0x20 || code === 0x7f) out += `\\x${code.toString(16).padStart(2, "0")}`;
    else out += ch;
  }
  return out + quote;
}

/** Python's `str()` of a JSON scalar or list (`True`, `None`, `5`, `2.5`, `['a', 1]`). */
export function pyStr(value: unknown): string {
  if (value === null || value === undefined) return "None";
  if (value === true) return "True";
  if (value === false) return "False";
  if (typeof value === "number") {
    if (Number.isNaN(value)) return "nan";
    if (!Number.isFinite(value)) return value > 0 ? "inf" : "-inf";
    return String(value);
  }
  if (typeof value === "string") return value;
  if (Array.isArray(value))
    return `[${value.map((v) => (typeof v === "string" ? pyRepr(v) : pyStr(v))).join(", ")}]`;
  if (typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>).map(
      ([k, v]) => `${pyRepr(k)}: ${typeof v === "string" ? pyRepr(v) : pyStr(v)}`,
    );
    return `{${entries.join(", ")}}`;
  }
  return String(value);
}

// ---------------------------------------------------------------------------
// JSON form.

type PathItem = string | number;

class Invalid {
  constructor(
    readonly message: string,
    readonly path: readonly PathItem[],
    /** voluptuous' `error_type` (`dictionary value`), appended as ` for ...`. */
    readonly errorType?: string,
  ) {}

  toError(): InvalidSearchInputError {
    const where =
      this.path.length === 0
        ? ""
        : ` @ data[${this.path.map((p) => (typeof p === "number" ? String(p) : pyRepr(p))).join("][")}]`;
    const reason = `${this.message}${this.errorType ? ` for ${this.errorType}` : ""}${where}`;
    return new InvalidSearchInputError(
      reason,
      this.path.map((p) => String(p)),
    );
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** voluptuous `Length(min, max)` then "expected a dictionary". */
function checkObject(
  value: unknown,
  path: readonly PathItem[],
  min: number,
  max: number,
): Record<string, unknown> {
  const length =
    typeof value === "string" ? [...value].length : Array.isArray(value) ? value.length : undefined;
  if (length !== undefined) {
    if (length < min) throw new Invalid(`length of value must be at least ${min}`, path);
    if (length > max) throw new Invalid(`length of value must be at most ${max}`, path);
  }
  if (!isPlainObject(value)) throw new Invalid("expected a dictionary", path);
  const size = Object.keys(value).length;
  if (size < min) throw new Invalid(`length of value must be at least ${min}`, path);
  if (size > max) throw new Invalid(`length of value must be at most ${max}`, path);
  return value;
}

/** `ResourceSearchSchemaAttributeValue = Any(str, float, int, bool, None)`. */
function checkScalar(value: unknown, path: readonly PathItem[]): FilterValue {
  if (
    value === null ||
    typeof value === "string" ||
    typeof value === "boolean" ||
    typeof value === "number"
  ) {
    return value;
  }
  throw new Invalid("expected str", path);
}

function convertId(value: unknown, path: readonly PathItem[], creator: string | null): string {
  if (typeof value !== "string") throw new Invalid("expected str", path);
  try {
    return resourceIdFromInput(value, creator);
  } catch (error) {
    throw new Invalid(error instanceof Error ? error.message : String(error), path);
  }
}

/** Marks an error raised directly on a dictionary value the way voluptuous does. */
function onValue<T>(path: readonly PathItem[], fn: () => T): T {
  try {
    return fn();
  } catch (error) {
    if (error instanceof Invalid && error.path.length <= path.length && !error.errorType) {
      throw new Invalid(error.message, error.path, "dictionary value");
    }
    throw error;
  }
}

function validate(
  input: unknown,
  path: readonly PathItem[],
  options: ParseFilterOptions,
): SearchFilter | null {
  const tree = checkObject(input, path, 0, 1);
  const entry = Object.entries(tree)[0];
  if (entry === undefined) return null;
  const [key, operand] = entry;
  const here = [...path, key];

  const compareOp = COMPARE_OPS[key];
  if (compareOp !== undefined) {
    return onValue(here, () => {
      const [attribute, raw] = Object.entries(checkObject(operand, here, 1, 1))[0]!;
      const at = [...here, attribute];
      const value = onValue(at, () =>
        attribute === "id" ? convertId(raw, at, options.creator) : checkScalar(raw, at),
      );
      return { kind: "compare", op: compareOp, attribute, value } as const;
    });
  }
  if (key === "like") {
    return onValue(here, () => {
      const [attribute, raw] = Object.entries(checkObject(operand, here, 1, 1))[0]!;
      const at = [...here, attribute];
      if (attribute === "id") throw new Invalid("extra keys not allowed", at);
      const value = onValue(at, () => checkScalar(raw, at));
      return { kind: "like", attribute, value } as const;
    });
  }
  if (key === "in") {
    return onValue(here, () => {
      const [attribute, raw] = Object.entries(checkObject(operand, here, 1, 1))[0]!;
      const at = [...here, attribute];
      const values = onValue(at, () => {
        if (!Array.isArray(raw)) throw new Invalid("expected a list", at);
        const out = raw.map((item, i) =>
          attribute === "id"
            ? convertId(item, [...at, i], options.creator)
            : checkScalar(item, [...at, i]),
        );
        if (out.length < 1) throw new Invalid("length of value must be at least 1", at);
        return out;
      });
      return { kind: "in", attribute, values } as const;
    });
  }
  const boolOp = BOOLEAN_OPS[key];
  if (boolOp !== undefined) {
    return onValue(here, () => {
      if (!Array.isArray(operand)) throw new Invalid("expected a list", here);
      const children = operand.map(
        (child, i) => validate(child, [...here, i], options) ?? ({ kind: "empty" } as const),
      );
      if (children.length < 1) throw new Invalid("length of value must be at least 1", here);
      return { kind: boolOp, children } as const;
    });
  }
  if (key === "not") {
    // `not`'s operand is a dictionary value: voluptuous says so in its errors.
    const child = onValue(here, () => validate(operand, here, options)) ?? { kind: "empty" };
    return { kind: "not", child };
  }
  throw new Invalid("extra keys not allowed", here);
}

/**
 * Validates a JSON filter (spec rest §9.1). Returns null for `{}` (match all).
 * @throws InvalidSearchInputError
 */
export function parseJsonFilter(input: unknown, options: ParseFilterOptions): SearchFilter | null {
  try {
    return validate(input, [], options);
  } catch (error) {
    if (error instanceof Invalid) throw error.toError();
    throw error;
  }
}

// ---------------------------------------------------------------------------
// String form.

/** Operators of the string grammar, in pyparsing's regex alternation order (first match wins). */
const STRING_OPERATORS = [
  ">=",
  "<=",
  "!=",
  ">",
  "<",
  "=",
  "==",
  "eq",
  "ne",
  "lt",
  "gt",
  "ge",
  "le",
  "in",
  "like",
  "≠",
  "≥",
  "≤",
] as const;

type StringValue = FilterValue | StringValue[];

class ParseFailure {
  constructor(
    readonly expected: string,
    readonly at: number,
  ) {}
}

const WORD_CHAR = /[A-Za-z0-9_]/;
/** 8-4-4-4-12 hex digits, dashes optional (spec rest §9.2). */
const UUID_AT = /^[0-9a-fA-F]{8}(?:-?[0-9a-fA-F]{4}){3}-?[0-9a-fA-F]{12}(?![0-9a-fA-F])/;
const NUMBER_AT = /^[+-]?\d+(?:\.\d*)?(?:[eE][+-]?\d+)?/;
const IDENTIFIER_AT = /^[A-Za-z][A-Za-z0-9_]*/;

class StringFilterParser {
  pos = 0;
  badKey: Invalid | undefined;
  constructor(readonly text: string) {}

  skipSpace(): void {
    while (this.pos < this.text.length && " \t\n\r".includes(this.text[this.pos]!)) this.pos++;
  }

  rest(): string {
    return this.text.slice(this.pos);
  }

  /** A keyword (`not`, `and`, `∧`, ...) at the cursor, followed by a non-word character. */
  keyword(word: string): boolean {
    this.skipSpace();
    if (!this.text.startsWith(word, this.pos)) return false;
    const next = this.text[this.pos + word.length] ?? "";
    if (WORD_CHAR.test(word[word.length - 1]!) && WORD_CHAR.test(next)) return false;
    this.pos += word.length;
    return true;
  }

  fail(expected: string): never {
    throw new ParseFailure(expected, this.pos);
  }

  parse(): unknown {
    const result = this.orExpr("∨", () => this.orExpr("or", () => this.andLevel()));
    this.skipSpace();
    if (this.pos < this.text.length) this.fail("end of text");
    if (this.badKey) throw this.badKey;
    return result;
  }

  andLevel(): unknown {
    return this.orExpr("∧", () => this.orExpr("and", () => this.notExpr()));
  }

  orExpr(op: string, next: () => unknown): unknown {
    const first = next();
    const children = [first];
    for (;;) {
      const save = this.pos;
      if (!this.keyword(op)) break;
      try {
        children.push(next());
      } catch (error) {
        // pyparsing backtracks: the operator and what follows stay unparsed.
        if (!(error instanceof ParseFailure)) throw error;
        this.pos = save;
        break;
      }
    }
    return children.length === 1 ? first : { [op]: children };
  }

  notExpr(): unknown {
    const save = this.pos;
    if (this.keyword("not")) {
      try {
        return { not: this.notExpr() };
      } catch (error) {
        if (!(error instanceof ParseFailure)) throw error;
        this.pos = save;
      }
    }
    return this.operand();
  }

  operand(): unknown {
    const save = this.pos;
    try {
      return this.condition();
    } catch (error) {
      if (!(error instanceof ParseFailure)) throw error;
      this.pos = save;
      this.skipSpace();
      if (this.text[this.pos] !== "(") throw error;
      this.pos++;
      const inner = this.orExpr("∨", () => this.orExpr("or", () => this.andLevel()));
      this.skipSpace();
      if (this.text[this.pos] !== ")") this.fail("')'");
      this.pos++;
      return inner;
    }
  }

  condition(): unknown {
    const left = this.term();
    this.skipSpace();
    const op = STRING_OPERATORS.find((o) => this.text.startsWith(o, this.pos));
    if (op === undefined) this.fail(`Re:('${STRING_OPERATORS.join("|")}')`);
    this.pos += op.length;
    const right = this.term();
    if (typeof left !== "string") {
      // A JSON object key is always a string; Gnocchi's schema rejects any other key
      // (reported once the whole text has parsed, as the schema runs after the parser).
      this.badKey ??= new Invalid("extra keys not allowed", [op, pyStr(left)]);
      return { [op]: {} };
    }
    return { [op]: { [left]: right } };
  }

  term(): StringValue {
    this.skipSpace();
    const rest = this.rest();
    for (const [word, value] of [
      ["None", null],
      ["none", null],
      ["null", null],
      ["False", false],
      ["True", true],
      ["false", false],
      ["true", true],
    ] as const) {
      if (rest.startsWith(word) && !WORD_CHAR.test(rest[word.length] ?? "")) {
        this.pos += word.length;
        return value;
      }
    }
    const uuid = UUID_AT.exec(rest);
    if (uuid) {
      this.pos += uuid[0].length;
      return uuid[0];
    }
    const identifier = IDENTIFIER_AT.exec(rest);
    if (identifier) {
      this.pos += identifier[0].length;
      return identifier[0];
    }
    const number = NUMBER_AT.exec(rest);
    if (number) {
      this.pos += number[0].length;
      return Number.parseFloat(number[0]);
    }
    const quote = rest[0];
    if (quote === '"' || quote === "'") {
      // pyparsing QuotedString: no escapes, no line breaks inside.
      let end = 1;
      while (end < rest.length && rest[end] !== quote && rest[end] !== "\n" && rest[end] !== "\r")
        end++;
      if (rest[end] === quote) {
        this.pos += end + 1;
        return rest.slice(1, end);
      }
    }
    if (quote === "[") {
      this.pos++;
      const items: StringValue[] = [];
      this.skipSpace();
      if (this.text[this.pos] !== "]") {
        items.push(this.term());
        for (;;) {
          this.skipSpace();
          if (this.text[this.pos] !== ",") break;
          this.pos++;
          items.push(this.term());
        }
      }
      this.skipSpace();
      if (this.text[this.pos] !== "]") this.fail("']'");
      this.pos++;
      return items;
    }
    return this.fail(
      "{Re:('None|none|null') | Re:('False|True|false|true') | Combine:({W:(0-9a-f) [-] W:(0-9a-f) [-] W:(0-9a-f) [-] W:(0-9a-f) [-] W:(0-9a-f)}) | W:(A-Za-z, 0-9A-Z_a-z) | Re:('[+-]?\\\\d+(:?\\\\.\\\\d*)?(:?[eE][+-]?\\\\d+)?') | string enclosed in '\"' | string enclosed in \"'\" | Group:({Suppress:('[') [delimitedList] Suppress:(']')})}",
    );
  }
}

/** Column number (1-based) of `at` in `text`, as pyparsing counts. */
function lineAndColumn(text: string, at: number): { line: number; col: number } {
  const before = text.slice(0, at);
  const line = before.split("\n").length;
  const col = at - (before.lastIndexOf("\n") + 1) + 1;
  return { line, col };
}

/**
 * The string form converted to the JSON form (spec rest §9.2), before
 * validation: `user_id = 'abc' and started_at >= "2010-01-01"` →
 * `{"and": [{"=": {"user_id": "abc"}}, {">=": {"started_at": "2010-01-01"}}]}`.
 * @throws InvalidFilterError when the text does not parse.
 */
export function stringFilterToJson(text: string): unknown {
  const parser = new StringFilterParser(text);
  try {
    return parser.parse();
  } catch (error) {
    if (error instanceof Invalid) throw error.toError();
    if (!(error instanceof ParseFailure)) throw error;
    const { line, col } = lineAndColumn(text, error.at);
    const found = error.at < text.length ? `, found ${pyRepr(text[error.at]!)}` : "";
    throw new InvalidFilterError(
      `Expected ${error.expected}${found}  (at char ${error.at}), (line:${line}, col:${col})`,
    );
  }
}

/**
 * Parses and validates a string filter (`?filter=`). Returns null only for
 * an empty result, which the grammar cannot produce.
 * @throws InvalidFilterError | InvalidSearchInputError
 */
export function parseStringFilter(text: string, options: ParseFilterOptions): SearchFilter | null {
  return parseJsonFilter(stringFilterToJson(text), options);
}

/** Every attribute name a filter mentions (for callers that check them up front). */
export function filterAttributes(filter: SearchFilter | null): Set<string> {
  const out = new Set<string>();
  const walk = (f: SearchFilter): void => {
    switch (f.kind) {
      case "compare":
      case "like":
      case "in":
        out.add(f.attribute);
        break;
      case "and":
      case "or":
        for (const c of f.children) walk(c);
        break;
      case "not":
        walk(f.child);
        break;
      case "empty":
        break;
    }
  };
  if (filter) walk(filter);
  return out;
}

/** `a AND b` of two optional filters (visibility filter AND-ed with the user's, spec rest §1.4). */
export function andFilters(...filters: readonly (SearchFilter | null)[]): SearchFilter | null {
  const present = filters.filter((f): f is SearchFilter => f !== null);
  if (present.length === 0) return null;
  if (present.length === 1) return present[0]!;
  return { kind: "and", children: present };
}
