/**
 * Composition helpers for {@link SqlFragment}s (sql-fragment.ts): build a
 * fragment from pieces, each with its own `$1..$n`, renumbering as they are
 * joined, so no value is ever spliced into SQL text.
 *
 *   const where = compileFilter(filter, target);              // {sql: "x.a1 = $1", params: ["web"]}
 *   const q = sqlf`SELECT r.id FROM resource r WHERE r.type = ${type} AND ${where}`;
 *   await db.query(q.sql, q.params);                          // "... r.type = $1 AND x.a1 = $2"
 *
 * In {@link sqlf}, interpolated fragments are inserted as SQL and every
 * other value becomes a parameter. {@link raw} is for constant SQL only;
 * identifiers go through {@link identifier} (`ident()`).
 */
import { ident, type SqlParam } from "./driver.js";
import type { SqlFragment } from "./sql-fragment.js";

/** A fragment from SQL that already uses `$1..$n` for exactly these params. */
export function fragment(sql: string, params: readonly SqlParam[] = []): SqlFragment {
  let max = 0;
  for (const m of sql.matchAll(/\$(\d+)/g)) max = Math.max(max, Number(m[1]));
  if (max > params.length)
    throw new Error(`SQL fragment uses $${max} but has ${params.length} parameter(s)`);
  return { sql, params };
}

/** Constant SQL without parameters (never user input). */
export function raw(sql: string): SqlFragment {
  return { sql, params: [] };
}

/** One parameter: `$1`. */
export function param(value: SqlParam): SqlFragment {
  return { sql: "$1", params: [value] };
}

/** A quoted generated identifier (`rt_<hex>`, `a3`), checked by `ident()`. */
export function identifier(name: string): SqlFragment {
  return raw(ident(name));
}

export const TRUE: SqlFragment = raw("TRUE");
export const FALSE: SqlFragment = raw("FALSE");

/** Shifts every `$n` of `sql` by `offset`. */
export function renumber(sql: string, offset: number): string {
  if (offset === 0) return sql;
  return sql.replace(/\$(\d+)/g, (_, n: string) => `$${Number(n) + offset}`);
}

/** Whether a value is a fragment (`{sql, params}`) rather than a parameter value. */
export function isSqlFragment(value: unknown): value is SqlFragment {
  return (
    typeof value === "object" &&
    value !== null &&
    !Array.isArray(value) &&
    !(value instanceof Uint8Array) &&
    typeof (value as { sql?: unknown }).sql === "string" &&
    Array.isArray((value as { params?: unknown }).params)
  );
}

/** Concatenation: strings are constant SQL, fragments keep their params (renumbered). */
export function concat(...parts: readonly (string | SqlFragment)[]): SqlFragment {
  let sql = "";
  const params: SqlParam[] = [];
  for (const part of parts) {
    if (typeof part === "string") {
      sql += part;
    } else {
      sql += renumber(part.sql, params.length);
      params.push(...part.params);
    }
  }
  return { sql, params };
}

/** `parts` separated by constant SQL (`", "`, `" AND "`). */
export function join(parts: readonly SqlFragment[], separator: string): SqlFragment {
  const pieces: (string | SqlFragment)[] = [];
  parts.forEach((p, i) => {
    if (i > 0) pieces.push(separator);
    pieces.push(p);
  });
  return concat(...pieces);
}

/** `(a) AND (b) ...`; TRUE when empty. */
export function and(parts: readonly SqlFragment[]): SqlFragment {
  if (parts.length === 0) return TRUE;
  if (parts.length === 1) return parts[0]!;
  return join(
    parts.map((p) => concat("(", p, ")")),
    " AND ",
  );
}

/** `(a) OR (b) ...`; FALSE when empty. */
export function or(parts: readonly SqlFragment[]): SqlFragment {
  if (parts.length === 0) return FALSE;
  if (parts.length === 1) return parts[0]!;
  return join(
    parts.map((p) => concat("(", p, ")")),
    " OR ",
  );
}

/** Tagged template: fragments are inserted as SQL, any other value becomes a parameter. */
export function sqlf(
  strings: TemplateStringsArray,
  ...values: readonly (SqlParam | SqlFragment)[]
): SqlFragment {
  const parts: (string | SqlFragment)[] = [];
  strings.forEach((s, i) => {
    parts.push(s);
    if (i < values.length) {
      const v = values[i]!;
      parts.push(isSqlFragment(v) ? v : param(v as SqlParam));
    }
  });
  return concat(...parts);
}
