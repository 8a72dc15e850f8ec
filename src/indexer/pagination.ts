/**
 * Keyset pagination (spec rest §11): `limit` clamped to `max_limit`,
 * multi-key `sort` with `asc|desc[-nullsfirst|-nullslast]`, a unique
 * tiebreaker appended, and `marker` = the last row of the previous page,
 * looked up by id (or `id@revision` with history) and turned into a
 * "strictly after this row" WHERE fragment. Errors carry Gnocchi's texts:
 * - ``Invalid pagination: `Sort key supplied is invalid: <key>'``
 * - ``Invalid pagination: `Unknown sort direction, must be one of: asc-nullsfirst, asc-nullslast, desc-nullsfirst, desc-nullslast'``
 * - ``Invalid pagination: `Invalid marker: `<marker>''``
 * - `{"cause": "Argument value error", "reason": "expected int for dictionary value @ data['limit']"}`
 *
 * Typical use (resources):
 *   const columns = resourceColumns(target, { history });
 *   const page = parsePagination(query, { columns, defaults: RESOURCE_DEFAULT_SORT,
 *     tiebreakers: history ? HISTORY_TIEBREAKERS : RESOURCE_TIEBREAKERS, maxLimit });
 *   const after = page.marker === undefined ? TRUE
 *     : await markerCondition(db, page, { source, columns, history });
 *   sql`SELECT ... FROM ${source} WHERE ${filter} AND ${after} ORDER BY ${orderBy(page.sorts, columns)} LIMIT ${page.limit}`
 *   Link header when rows.length === page.limit: limit=page.limit, marker=<last id>, sort=page.linkSorts.
 */

import type { SqlExecutor } from "./driver.js";
import { type SqlParam, timestampParam } from "./driver.js";
import { ArgumentValueError, InvalidPaginationError } from "./errors.js";
import { parseUuid } from "./resource-id.js";
import type { Column } from "./search-sql.js";
import { PG_TYPE } from "./search-sql.js";
import { and, concat, fragment, or, raw, TRUE } from "./sql-compose.js";
import type { SqlFragment } from "./sql-fragment.js";

export const DEFAULT_MAX_LIMIT = 1000;

/** Default sorts (spec rest §11). */
export const RESOURCE_DEFAULT_SORT: readonly string[] = ["revision_start:asc", "started_at:asc"];
export const METRIC_DEFAULT_SORT: readonly string[] = ["id:asc"];

/** Unique tiebreakers appended when absent. */
export const RESOURCE_TIEBREAKERS: readonly string[] = ["id"];
export const HISTORY_TIEBREAKERS: readonly string[] = ["id", "revision"];
export const METRIC_TIEBREAKERS: readonly string[] = ["id"];

const VALID_SORT_DIRS = ["asc-nullsfirst", "asc-nullslast", "desc-nullsfirst", "desc-nullslast"];
const UNKNOWN_DIRECTION = `Unknown sort direction, must be one of: ${VALID_SORT_DIRS.join(", ")}`;

export interface SortKey {
  readonly key: string;
  readonly descending: boolean;
  readonly nullsFirst: boolean;
}

export interface PaginationInput {
  /** `limit` as given (query string text or number); undefined = max. */
  readonly limit?: unknown;
  readonly marker?: string | undefined;
  /** `sort` as given, one or several `key[:dir]`; undefined or empty = the defaults. */
  readonly sort?: string | readonly string[] | undefined;
}

export interface PaginationOptions {
  /** Sortable columns by key (e.g. `resourceColumns(target, {history})`, or the metric columns). */
  readonly columns: ReadonlyMap<string, Column>;
  readonly defaults: readonly string[];
  readonly tiebreakers: readonly string[];
  /** `[api] max_limit` (default 1000). */
  readonly maxLimit?: number;
}

export interface Page {
  readonly limit: number;
  /** The full sort, tiebreakers included. */
  readonly sorts: readonly SortKey[];
  /** The `sort` values for the Link header: as requested, or the defaults. */
  readonly linkSorts: readonly string[];
  readonly marker?: string;
}

/** voluptuous `Coerce(int), Range(min=1), Clamp(max=max_limit)` on `limit`. */
export function parseLimit(raw: unknown, maxLimit = DEFAULT_MAX_LIMIT): number {
  if (raw === undefined || raw === null) return maxLimit;
  let n: number;
  if (typeof raw === "number" && Number.isFinite(raw)) {
    n = Math.trunc(raw);
  } else if (typeof raw === "string" && /^\s*[+-]?\d(?:_?\d)*\s*$/.test(raw)) {
    n = Number(raw.trim().replaceAll("_", ""));
  } else {
    throw new ArgumentValueError("expected int for dictionary value @ data['limit']");
  }
  if (!(n >= 1)) {
    throw new ArgumentValueError("value must be at least 1 for dictionary value @ data['limit']");
  }
  return Math.min(n, maxLimit);
}

/** Parses `key[:dir]` values, validating keys and directions in order, and appends tiebreakers. */
export function parseSorts(
  sorts: readonly string[],
  columns: ReadonlyMap<string, Column>,
  tiebreakers: readonly string[],
): SortKey[] {
  const parsed: { key: string; dir: string }[] = [];
  for (const s of sorts) {
    const colon = s.indexOf(":");
    const key = (colon === -1 ? s : s.slice(0, colon)).trim();
    const dir = colon === -1 ? "" : s.slice(colon + 1);
    parsed.push({ key, dir: dir || "asc" });
  }
  for (const t of tiebreakers) {
    if (!parsed.some((p) => p.key === t)) parsed.push({ key: t, dir: "asc" });
  }
  return parsed.map(({ key, dir }) => {
    if (!columns.has(key)) throw new InvalidPaginationError(`Sort key supplied is invalid: ${key}`);
    const [main, nulls, ...extra] = dir.split("-");
    const descending = main === "desc";
    if (
      (main !== "asc" && main !== "desc") ||
      extra.length > 0 ||
      (nulls !== undefined && nulls !== "nullsfirst" && nulls !== "nullslast")
    ) {
      throw new InvalidPaginationError(UNKNOWN_DIRECTION);
    }
    // Without an explicit choice NULLs are "larger": last ascending, first descending.
    const nullsFirst = nulls === undefined ? descending : nulls === "nullsfirst";
    return { key, descending, nullsFirst };
  });
}

/** Limit, sorts and marker of a list/search request. */
export function parsePagination(input: PaginationInput, options: PaginationOptions): Page {
  const limit = parseLimit(input.limit, options.maxLimit ?? DEFAULT_MAX_LIMIT);
  const given =
    input.sort === undefined ? [] : typeof input.sort === "string" ? [input.sort] : [...input.sort];
  const linkSorts = given.length > 0 ? given : [...options.defaults];
  const sorts = parseSorts(linkSorts, options.columns, options.tiebreakers);
  return {
    limit,
    sorts,
    linkSorts,
    ...(input.marker !== undefined && input.marker !== "" ? { marker: input.marker } : {}),
  };
}

function column(columns: ReadonlyMap<string, Column>, key: string): Column {
  const c = columns.get(key);
  if (c === undefined) throw new InvalidPaginationError(`Sort key supplied is invalid: ${key}`);
  return c;
}

/** `ORDER BY` list (without the keywords), e.g. `r.revision_start ASC NULLS LAST, r.id ASC NULLS LAST`. */
export function orderBy(
  sorts: readonly SortKey[],
  columns: ReadonlyMap<string, Column>,
): SqlFragment {
  return raw(
    sorts
      .map((s) => {
        const c = column(columns, s.key);
        return `${c.sql} ${s.descending ? "DESC" : "ASC"} NULLS ${s.nullsFirst ? "FIRST" : "LAST"}`;
      })
      .join(", "),
  );
}

/** A value read back from the marker row, as a parameter of its column type. */
function markerParam(value: unknown, type: Column["type"]): SqlParam {
  if (type === "datetime") return timestampParam(value as number);
  if (type === "number" && typeof value === "number" && !Number.isFinite(value)) {
    return Number.isNaN(value) ? "NaN" : value > 0 ? "Infinity" : "-Infinity";
  }
  return value as SqlParam;
}

/**
 * "Strictly after the marker row in this order": for keys k1..kn,
 * OR over i of (k1 = m1 AND ... AND k(i-1) = m(i-1) AND ki after mi), with
 * NULL handled per key direction and null placement.
 */
export function keysetAfter(
  sorts: readonly SortKey[],
  columns: ReadonlyMap<string, Column>,
  marker: Readonly<Record<string, unknown>>,
): SqlFragment {
  const equal: SqlFragment[] = [];
  const branches: SqlFragment[] = [];
  for (const s of sorts) {
    const c = column(columns, s.key);
    const v = marker[s.key];
    const cast = PG_TYPE[c.type];
    let after: SqlFragment | undefined;
    let same: SqlFragment;
    if (v === null || v === undefined) {
      same = raw(`${c.sql} IS NULL`);
      // Only non-NULL values follow a NULL, and only when NULLs come first.
      after = s.nullsFirst ? raw(`${c.sql} IS NOT NULL`) : undefined;
    } else {
      const p = markerParam(v, c.type);
      same = fragment(`${c.sql} = CAST($1 AS ${cast})`, [p]);
      const cmp = fragment(`${c.sql} ${s.descending ? "<" : ">"} CAST($1 AS ${cast})`, [p]);
      after = s.nullsFirst ? cmp : concat("(", cmp, ` OR ${c.sql} IS NULL)`);
    }
    if (after !== undefined) branches.push(and([...equal, after]));
    equal.push(same);
  }
  return or(branches);
}

export interface MarkerOptions {
  /** The FROM item the marker must be found in (e.g. `resourceSource(target, {history})`, or `metric m`). */
  readonly source: SqlFragment;
  readonly columns: ReadonlyMap<string, Column>;
  /** The id column expression (default `r.id`). */
  readonly idColumn?: string;
  /** Markers are `<uuid>@<revision>` (history listing); the revision column is `r.revision`. */
  readonly history?: boolean;
  /** Extra condition the marker row must satisfy (e.g. metric status). */
  readonly where?: SqlFragment;
}

/**
 * Reads the marker row's sort values and returns the keyset condition.
 * @throws InvalidPaginationError ``Invalid marker: `<m>'`` when it is not found.
 */
export async function markerCondition(
  db: SqlExecutor,
  page: Page,
  options: MarkerOptions,
): Promise<SqlFragment> {
  const marker = page.marker;
  if (marker === undefined) return TRUE;
  const invalid = () => new InvalidPaginationError(`Invalid marker: \`${marker}'`);
  let id: string | undefined;
  let revision: number | undefined;
  if (options.history) {
    const at = marker.lastIndexOf("@");
    if (at === -1) throw invalid();
    id = parseUuid(marker.slice(0, at));
    const rev = marker.slice(at + 1);
    if (!/^-?\d{1,16}$/.test(rev)) throw invalid();
    revision = Number(rev);
  } else {
    id = parseUuid(marker);
  }
  if (id === undefined) throw invalid();
  const idColumn = options.idColumn ?? "r.id";
  const keys = page.sorts.map((s) => s.key);
  const select = keys.map((k, i) => `${column(options.columns, k).sql} AS k${i}`).join(", ");
  const conditions: SqlFragment[] = [fragment(`${idColumn} = CAST($1 AS uuid)`, [id])];
  if (revision !== undefined)
    conditions.push(fragment("r.revision = CAST($1 AS bigint)", [revision]));
  if (options.where) conditions.push(options.where);
  const q = concat(
    `SELECT ${select} FROM `,
    options.source,
    " WHERE ",
    and(conditions),
    " LIMIT 1",
  );
  const r = await db.query<Record<string, unknown>>(q.sql, q.params);
  const row = r.rows[0];
  if (row === undefined) throw invalid();
  const values: Record<string, unknown> = {};
  keys.forEach((k, i) => {
    values[k] = row[`k${i}`];
  });
  return keysetAfter(page.sorts, options.columns, values);
}

/** The metric columns sortable in `GET /v1/metric` (alias `m` = metric, `ap` = archive_policy). */
export function metricColumns(): ReadonlyMap<string, Column> {
  return new Map<string, Column>([
    ["id", { sql: "m.id", type: "uuid" }],
    ["name", { sql: "m.name", type: "string" }],
    ["unit", { sql: "m.unit", type: "string" }],
    ["resource_id", { sql: "m.resource_id", type: "uuid" }],
    ["creator", { sql: "m.creator", type: "string" }],
    ["created_by_user_id", { sql: "m.created_by_user_id", type: "string" }],
    ["created_by_project_id", { sql: "m.created_by_project_id", type: "string" }],
    ["status", { sql: "m.status", type: "string" }],
    ["archive_policy_name", { sql: "ap.name", type: "string" }],
  ]);
}
