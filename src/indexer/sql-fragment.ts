/**
 * Pieces of SQL with their own parameters, composed into one statement: the
 * visibility filters (acl.ts), the compiled search filters, the metric list
 * filters. A fragment numbers its placeholders from `$1`; {@link embed}
 * renumbers them after the parameters the host statement already has.
 * Fragments never contain literals: every value is a parameter.
 */
import type { SqlParam } from "./driver.js";

export interface SqlFragment {
  readonly sql: string;
  readonly params: readonly SqlParam[];
}

/** Hands out `$n` placeholders for values appended to a statement's parameter list. */
export type ParamSink = (value: SqlParam) => string;

/** A fragment given as text with `$1..$n`, or built against the host's parameter sink. */
export type WhereInput = SqlFragment | ((param: ParamSink) => string);

/** A parameter list and the sink that appends to it. */
export function paramList(initial: readonly SqlParam[] = []): {
  params: SqlParam[];
  param: ParamSink;
} {
  const params = [...initial];
  return {
    params,
    param: (value) => {
      params.push(value);
      return `$${params.length}`;
    },
  };
}

/** The fragment's SQL with its placeholders moved to the end of `params` (its values appended). */
export function embed(where: WhereInput, param: ParamSink): string {
  if (typeof where === "function") return where(param);
  const mapped = where.params.map((value) => param(value));
  return where.sql.replace(/\$(\d+)/g, (whole, n: string) => {
    const placeholder = mapped[Number(n) - 1];
    if (placeholder === undefined) throw new Error(`fragment has no parameter ${whole}`);
    return placeholder;
  });
}

/** `a AND b AND ...` of fragments (TRUE when none). */
export function andAll(parts: readonly string[]): string {
  return parts.length === 0 ? "TRUE" : parts.map((p) => `(${p})`).join(" AND ");
}
