/**
 * Body validation with zod, reported as Gnocchi's voluptuous does (spec rest
 * §0.2): 400 with `{"cause": "Invalid input", "reason": <message>, "detail":
 * <path as strings>}`, where the message is voluptuous's text
 * (`extra keys not allowed @ data['cowsay']`,
 * `required key not provided @ data['definition']`,
 * `expected a list for dictionary value @ data['definition']`, ...).
 */
import { z } from "zod";
import { badRequest, type HttpError } from "./errors.js";

type PathKey = string | number;

/** Python's `repr` of a path element: `'key'` or `0`. */
function pythonRepr(key: PathKey): string {
  if (typeof key === "number") return String(key);
  const quote = key.includes("'") && !key.includes('"') ? '"' : "'";
  const escaped = key
    .replace(/\\/g, "\\\\")
    .replace(/\n/g, "\\n")
    .replace(/\r/g, "\\r")
    .replace(/\t/g, "\\t");
  return quote + (quote === "'" ? escaped.replace(/'/g, "\\'") : escaped) + quote;
}

function pathSuffix(path: readonly PathKey[]): string {
  return path.length === 0 ? "" : ` @ data[${path.map(pythonRepr).join("][")}]`;
}

function lookup(data: unknown, path: readonly PathKey[]): { found: boolean } {
  let value = data;
  for (const key of path) {
    if (typeof value !== "object" || value === null || !Object.hasOwn(value, key)) {
      return { found: false };
    }
    value = (value as Record<PathKey, unknown>)[key];
  }
  return { found: true };
}

const TYPE_MESSAGES: Readonly<Record<string, string>> = {
  array: "expected a list",
  object: "expected a dictionary",
  record: "expected a dictionary",
  string: "expected str",
  number: "expected float",
  int: "expected int",
  boolean: "expected bool",
};

function sizeMessage(origin: string, bound: "least" | "most", limit: unknown): string {
  const lengthy = origin === "array" || origin === "string" || origin === "set";
  return `${lengthy ? "length of value" : "value"} must be at ${bound} ${String(limit)}`;
}

/** voluptuous's message and path for one zod issue. */
export function voluptuousError(
  issue: z.core.$ZodIssue,
  data: unknown,
): { reason: string; path: PathKey[] } {
  const path = issue.path.filter((k): k is PathKey => typeof k !== "symbol");
  // voluptuous says "for dictionary value" when a value directly under a key fails.
  const inDict = typeof path[path.length - 1] === "string";
  const dictValue = (message: string) =>
    `${message}${inDict ? " for dictionary value" : ""}${pathSuffix(path)}`;
  switch (issue.code) {
    case "unrecognized_keys": {
      const full = [...path, issue.keys[0] ?? ""];
      return { reason: `extra keys not allowed${pathSuffix(full)}`, path: full };
    }
    case "invalid_type":
      if (path.length > 0 && !lookup(data, path).found) {
        return { reason: `required key not provided${pathSuffix(path)}`, path };
      }
      return {
        reason: dictValue(TYPE_MESSAGES[issue.expected] ?? `expected ${issue.expected}`),
        path,
      };
    case "too_small":
      return { reason: dictValue(sizeMessage(issue.origin, "least", issue.minimum)), path };
    case "too_big":
      return { reason: dictValue(sizeMessage(issue.origin, "most", issue.maximum)), path };
    case "invalid_value":
    case "invalid_union":
      return { reason: dictValue("not a valid value"), path };
    default:
      return { reason: dictValue(issue.message), path };
  }
}

/**
 * The issue voluptuous would report first: it walks the keys present in the
 * data (extra keys and bad values) before it lists missing required keys.
 */
function firstIssue(
  issues: readonly z.core.$ZodIssue[],
  data: unknown,
): z.core.$ZodIssue | undefined {
  const missing = (issue: z.core.$ZodIssue) =>
    issue.code === "invalid_type" &&
    issue.path.length > 0 &&
    !lookup(
      data,
      issue.path.filter((k): k is PathKey => typeof k !== "symbol"),
    ).found;
  return (
    issues.find((i) => i.code === "unrecognized_keys") ??
    issues.find((i) => !missing(i)) ??
    issues[0]
  );
}

/**
 * voluptuous's `str(e)` for a reason and path reported without them (the
 * indexer's InvalidInputError): `expected str for dictionary value @
 * data['name']`, `extra keys not allowed @ data['id']`.
 */
export function voluptuousReason(reason: string, path: readonly string[]): string {
  if (path.length === 0) return reason;
  const bare = reason.startsWith("extra keys not allowed") || reason.startsWith("required key");
  return `${reason}${bare ? "" : " for dictionary value"}${pathSuffix(path)}`;
}

/** The 400 for a failed validation: voluptuous's text for the first issue. */
export function invalidInput(error: z.ZodError, data: unknown): HttpError {
  const issue = firstIssue(error.issues, data);
  if (issue === undefined) return badRequest({ cause: "Invalid input", reason: "", detail: [] });
  const { reason, path } = voluptuousError(issue, data);
  return badRequest({ cause: "Invalid input", reason, detail: path.map(String) });
}

/** `data` checked against `schema`. @throws HttpError 400 Invalid input */
export function validate<S extends z.ZodType>(schema: S, data: unknown): z.output<S> {
  const result = schema.safeParse(data);
  if (!result.success) throw invalidInput(result.error, data);
  return result.data;
}

/**
 * voluptuous `All(Coerce(int), ...)`: a number (truncated), a boolean or an
 * integer string becomes an int; anything else is `expected int`.
 */
export const coercedInt = () =>
  z.unknown().transform((value, ctx): number => {
    if (typeof value === "number" && Number.isFinite(value)) return Math.trunc(value);
    if (typeof value === "boolean") return value ? 1 : 0;
    if (typeof value === "string" && /^\s*[+-]?\d+\s*$/.test(value)) return Number(value);
    ctx.addIssue({ code: "custom", message: "expected int" });
    return z.NEVER;
  });

/**
 * A custom voluptuous validator: `check` throws an Error whose message is the
 * reason (`Timespan must be positive`); the value is kept as given.
 */
export function checked<T>(check: (value: unknown) => T) {
  return z.unknown().superRefine((value, ctx) => {
    try {
      check(value);
    } catch (error) {
      ctx.addIssue({ code: "custom", message: error instanceof Error ? error.message : "invalid" });
    }
  });
}
