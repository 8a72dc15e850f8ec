/**
 * The body of `POST /v1/search/metric` (spec rest §9.4): a predicate over
 * each aggregated value `v`, validated as Gnocchi's `MetricSearchSchema`
 * and compiled to a function. `{"<op>": n}` is `op(v, n)`; `{"<op>": [a, b]}`
 * is `op(a, b)` where an object operand is itself evaluated against `v`
 * (`{">=": [{"+": 23}, 50]}` is `v + 23 >= 50`); `and`/`or` (and `∧`/`∨`)
 * take a list of predicates. `not` passes the schema but Gnocchi cannot
 * evaluate it (the caller answers 400 `Unknown operator not`). Values follow Python: comparisons
 * give booleans (1/0 here), a result is true when it is not 0 (NaN is true).
 */
import { badRequest } from "../errors.js";

/** Evaluates a node for the value `v` (booleans as 1/0). */
export type Evaluator = (v: number) => number;

const BINARY: Readonly<Record<string, (a: number, b: number) => number>> = {
  "=": (a, b) => Number(a === b),
  "==": (a, b) => Number(a === b),
  eq: (a, b) => Number(a === b),
  "<": (a, b) => Number(a < b),
  lt: (a, b) => Number(a < b),
  ">": (a, b) => Number(a > b),
  gt: (a, b) => Number(a > b),
  "<=": (a, b) => Number(a <= b),
  "≤": (a, b) => Number(a <= b),
  le: (a, b) => Number(a <= b),
  ">=": (a, b) => Number(a >= b),
  "≥": (a, b) => Number(a >= b),
  ge: (a, b) => Number(a >= b),
  "!=": (a, b) => Number(a !== b),
  "≠": (a, b) => Number(a !== b),
  ne: (a, b) => Number(a !== b),
  "%": pyMod,
  mod: pyMod,
  "+": (a, b) => a + b,
  add: (a, b) => a + b,
  "-": (a, b) => a - b,
  sub: (a, b) => a - b,
  "*": (a, b) => a * b,
  "×": (a, b) => a * b,
  mul: (a, b) => a * b,
  "/": (a, b) => a / b,
  "÷": (a, b) => a / b,
  div: (a, b) => a / b,
  "**": (a, b) => a ** b,
  "^": (a, b) => a ** b,
  pow: (a, b) => a ** b,
};

const MULTIPLE: ReadonlySet<string> = new Set(["and", "∧", "or", "∨", "not"]);

/** Python's float `%`: the result takes the divisor's sign. */
function pyMod(a: number, b: number): number {
  const m = a % b;
  return m !== 0 && b < 0 !== m < 0 ? m + b : m;
}

const truthy = (x: number) => x !== 0;

class Invalid extends Error {
  constructor(
    readonly reason: string,
    readonly path: readonly string[],
  ) {
    super(reason);
  }
}

const where = (path: readonly string[]) =>
  path.length === 0
    ? ""
    : ` @ data[${path.map((p) => (/^\d+$/.test(p) ? p : `'${p}'`)).join("][")}]`;

/** A JSON number, or a boolean (Python's `int` check takes `True`). */
function numeric(value: unknown): number | undefined {
  if (typeof value === "number") return value;
  if (typeof value === "boolean") return value ? 1 : 0;
  return undefined;
}

function singleKey(value: unknown, path: readonly string[]): [string, unknown] {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new Invalid("expected a dictionary", path);
  }
  const entries = Object.entries(value);
  if (entries.length !== 1) {
    const bound = entries.length === 0 ? "at least 1" : "at most 1";
    throw new Invalid(`length of value must be ${bound}`, path);
  }
  return entries[0]!;
}

/** `MetricSearchOperationSchema`: one binary operator over a number or a pair. */
function operation(value: unknown, path: readonly string[]): Evaluator {
  const [op, operand] = singleKey(value, path);
  const fn = BINARY[op];
  if (fn === undefined || !Object.hasOwn(BINARY, op)) {
    throw new Invalid("extra keys not allowed", [...path, op]);
  }
  const here = [...path, op];
  const n = numeric(operand);
  if (n !== undefined) return (v) => fn(v, n);
  if (!Array.isArray(operand) || operand.length !== 2) {
    throw new Invalid("not a valid value", here);
  }
  const [a, b] = operand.map((item, i): Evaluator => {
    const constant = numeric(item);
    if (constant !== undefined) return () => constant;
    return operation(item, [...here, String(i)]);
  }) as [Evaluator, Evaluator];
  return (v) => fn(a(v), b(v));
}

/** `MetricSearchSchema`: an operation, or `and`/`or`/`not` over a list of predicates. */
function predicate(value: unknown, path: readonly string[], seen: Set<string>): Evaluator {
  const [key, operand] = singleKey(value, path);
  if (!MULTIPLE.has(key)) return operation(value, path);
  const here = [...path, key];
  if (!Array.isArray(operand)) throw new Invalid("expected a list", here);
  const children = operand.map((child, i) => predicate(child, [...here, String(i)], seen));
  if (key === "and" || key === "∧") {
    return (v) => Number(children.every((c) => truthy(c(v))));
  }
  if (key === "or" || key === "∨") {
    return (v) => Number(children.some((c) => truthy(c(v))));
  }
  seen.add(key);
  return () => Number.NaN;
}

export interface MetricSearch {
  /** True for the values to keep. */
  readonly keep: (v: number) => boolean;
  /** An operator the schema lets through but nothing evaluates (`not`): 400 once the query parameters are checked. */
  readonly unknownOperator?: string;
}

/**
 * The predicate of a body.
 * @throws HttpError 400 Invalid input (schema)
 */
export function parseMetricSearch(body: unknown): MetricSearch {
  const seen = new Set<string>();
  let evaluate: Evaluator;
  try {
    evaluate = predicate(body, [], seen);
  } catch (error) {
    if (error instanceof Invalid) {
      throw badRequest({
        cause: "Invalid input",
        reason: `${error.reason}${where(error.path)}`,
        detail: [...error.path],
      });
    }
    throw error;
  }
  const keep = (v: number) => truthy(evaluate(v));
  const [unknown] = seen;
  return unknown === undefined ? { keep } : { keep, unknownOperator: unknown };
}
