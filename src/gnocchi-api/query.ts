/** Query-string parameters shared by the endpoints (spec rest §0.8). */
import type { Context } from "hono";
import { badRequest } from "./errors.js";

const TRUE = new Set(["y", "yes", "t", "true", "on", "1"]);
const FALSE = new Set(["n", "no", "f", "false", "off", "0"]);

/** Python's `strtobool` on a query parameter: 400 ``Unable to parse `name': invalid truth value 'v'``. */
export function parseBool(name: string, value: string): boolean {
  const lower = value.toLowerCase();
  if (TRUE.has(lower)) return true;
  if (FALSE.has(lower)) return false;
  throw badRequest(`Unable to parse \`${name}': invalid truth value '${value}'`);
}

/** A boolean query parameter (the last one given), or `fallback` when absent. */
export function boolParam(c: Context, name: string, fallback: boolean): boolean {
  const values = c.req.queries(name);
  const value = values?.[values.length - 1];
  return value === undefined ? fallback : parseBool(name, value);
}
