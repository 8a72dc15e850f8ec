/**
 * The one JSON serializer of the API (spec rest §0.3): Python `json.dumps`
 * defaults, so `", "` between items and `": "` between key and value, and the
 * bare tokens `NaN`, `Infinity`, `-Infinity` for non-finite numbers (which
 * `JSON.stringify` would turn into `null`). Strings are escaped as JSON
 * requires; non-ASCII stays raw UTF-8 (the spec allows either).
 *
 * A number is printed the JavaScript way (`60`, `0.5`); wrap it in
 * {@link PythonFloat} where Gnocchi prints a float (`60.0`, measure
 * granularities).
 */
import { formatPythonFloat } from "../carbonara/timespan.js";

/** A number Gnocchi prints as a Python float: `60.0`, `1e-06`, `NaN`. */
export class PythonFloat {
  constructor(readonly value: number) {}
}

export const pythonFloat = (value: number): PythonFloat => new PythonFloat(value);

function numberToken(n: number): string {
  if (Number.isNaN(n)) return "NaN";
  if (n === Number.POSITIVE_INFINITY) return "Infinity";
  if (n === Number.NEGATIVE_INFINITY) return "-Infinity";
  return String(n);
}

function floatToken(n: number): string {
  return Number.isFinite(n) ? formatPythonFloat(n) : numberToken(n);
}

interface HasToJSON {
  toJSON(): unknown;
}

const hasToJSON = (v: object): v is HasToJSON =>
  typeof (v as { toJSON?: unknown }).toJSON === "function";

function write(value: unknown, out: string[]): boolean {
  switch (typeof value) {
    case "string":
      out.push(JSON.stringify(value));
      return true;
    case "number":
      out.push(numberToken(value));
      return true;
    case "bigint":
      out.push(value.toString());
      return true;
    case "boolean":
      out.push(value ? "true" : "false");
      return true;
    case "undefined":
    case "function":
    case "symbol":
      return false;
  }
  if (value === null) {
    out.push("null");
    return true;
  }
  if (value instanceof PythonFloat) {
    out.push(floatToken(value.value));
    return true;
  }
  if (Array.isArray(value) || ArrayBuffer.isView(value)) {
    const items = value as ArrayLike<unknown>;
    out.push("[");
    for (let i = 0; i < items.length; i++) {
      if (i > 0) out.push(", ");
      if (!write(items[i], out)) out.push("null");
    }
    out.push("]");
    return true;
  }
  if (value instanceof Map) return write(Object.fromEntries(value), out);
  if (value instanceof Set) return write([...value], out);
  const object = value as object;
  if (hasToJSON(object)) return write(object.toJSON(), out);
  out.push("{");
  let first = true;
  for (const [key, item] of Object.entries(object)) {
    const mark = out.length;
    out.push(first ? "" : ", ", JSON.stringify(key), ": ");
    if (write(item, out)) first = false;
    else out.length = mark;
  }
  out.push("}");
  return true;
}

/** Serializes `value` as Python's `json.dumps` would (see the module comment). */
export function pythonJson(value: unknown): string {
  const out: string[] = [];
  if (!write(value, out)) return "null";
  return out.join("");
}
