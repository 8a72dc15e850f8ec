/**
 * Compiles a {@link SearchFilter} (search-filter.ts) into a parameterized SQL
 * boolean expression over the resource tables (spec rest §9.1).
 *
 * Row source and aliases (see {@link resourceSource}):
 * - current resources: `resource r`, joined for a custom type with its
 *   attribute table `rt_<hex> x ON x.id = r.id`; generic columns are `r.<col>`,
 *   custom attributes `x.a<n>`;
 * - history search (`history=true`): one derived table `r` = every history
 *   revision (joined with `rt_<hex>_history`) UNION ALL the current revisions
 *   (revision -1, revision_end NULL), with the same column names
 *   (custom attributes as `r.a<n>`).
 * A caller lists with `SELECT r.*[, x.*] FROM <source> WHERE <filter> ...`.
 *
 * Semantics, as Gnocchi 4.4:
 * - values are converted to the column's type first: datetimes by spec §0.5
 *   (relative ones against `now`), numbers as Python `float()`, strings as
 *   Python `str()` (`5` → "5", `true` → "True"), uuids parsed, revision as
 *   `int()`; failure → ``Invalid value: `<v>' for field `<f>'``;
 * - `= null` is `IS NULL`, `!= null` `IS NOT NULL`; `!=` with a value also
 *   matches NULL; `<`, `>` ... with null match nothing;
 * - `like` is SQL LIKE (backslash escapes `%`/`_`; a trailing lone backslash
 *   is taken literally instead of failing); on a non-string column the
 *   column's text form is matched;
 * - `in` is `= ANY(array)`;
 * - `created_by_user_id`/`created_by_project_id`: only `=`, `!=`, `like`;
 * - `lifespan` = `ended_at - started_at` against a timespan (§0.6);
 * - unknown attribute → `Resource type <t> has no <attr> attribute`.
 * Every value is a parameter; the only identifiers are generated names
 * (`rt_<hex>`, `a<n>`) passed through `ident()`.
 */

import type { Micros } from "../carbonara/time.js";
import { parsePositiveTimespan, parsePythonFloat } from "../carbonara/timespan.js";
import { currentMicros, parseTimestamp } from "../carbonara/timestamp.js";
import { ident, type SqlParam, timestampParam } from "./driver.js";
import { QueryAttributeError, QueryError, QueryValueError } from "./errors.js";
import { parseUuid } from "./resource-id.js";
import { GENERIC_COLUMNS as GENERIC_RESOURCE_COLUMNS } from "./resource-row.js";
import { type CompareOp, type FilterValue, pyStr, type SearchFilter } from "./search-filter.js";
import { and, concat, fragment, or, raw } from "./sql-compose.js";
import type { SqlFragment } from "./sql-fragment.js";

/** Attribute types of resource types (spec rest §7.2). */
export type AttributeType = "string" | "uuid" | "number" | "bool" | "datetime";

/** One custom attribute of a resource type, as `resource_type_attribute` maps it. */
export interface TypeAttribute {
  readonly name: string;
  /** Generated column name, `a<n>`. */
  readonly column: string;
  readonly type: AttributeType;
}

/**
 * What a search or listing runs against: a resource type and its attribute
 * table (a `ResourceType` of resource-type-store.ts fits as is).
 */
export interface SearchTarget {
  /** Type name (`generic` lists resources of every type with their generic columns). */
  readonly name: string;
  /** `rt_<32 hex>`, or null for `generic`. */
  readonly tablename: string | null;
  readonly attributes: readonly TypeAttribute[];
}

/** The SQL type family of a searchable/sortable column. */
export type ColumnType = AttributeType | "revision";

export interface Column {
  /** SQL expression (`r.started_at`, `x."a3"`). */
  readonly sql: string;
  readonly type: ColumnType;
}

export interface SourceOptions {
  /** Search all revisions (history rows and current ones), spec rest §9.3 `history=true`. */
  readonly history?: boolean;
}

/** Alias of the resource row (or of the history union). */
export const RESOURCE_ALIAS = "r";
/** Alias of the type's attribute table when not searching history. */
export const ATTRIBUTE_ALIAS = "x";

const GENERIC_COLUMNS: readonly (readonly [string, ColumnType])[] = [
  ["id", "uuid"],
  ["type", "string"],
  ["creator", "string"],
  ["created_by_user_id", "string"],
  ["created_by_project_id", "string"],
  ["original_resource_id", "string"],
  ["user_id", "string"],
  ["project_id", "string"],
  ["started_at", "datetime"],
  ["ended_at", "datetime"],
  ["revision_start", "datetime"],
];

const HISTORY_COLUMNS: readonly (readonly [string, ColumnType])[] = [
  ["revision_end", "datetime"],
  ["revision", "revision"],
];

/** The columns of a target, by attribute name (generic ones first, then custom ones). */
export function resourceColumns(
  target: SearchTarget,
  options: SourceOptions = {},
): ReadonlyMap<string, Column> {
  const columns = new Map<string, Column>();
  for (const [name, type] of GENERIC_COLUMNS) columns.set(name, { sql: `r.${name}`, type });
  if (options.history) {
    for (const [name, type] of HISTORY_COLUMNS) columns.set(name, { sql: `r.${name}`, type });
  }
  if (target.tablename !== null) {
    const alias = options.history ? RESOURCE_ALIAS : ATTRIBUTE_ALIAS;
    for (const a of target.attributes) {
      if (!columns.has(a.name))
        columns.set(a.name, { sql: `${alias}.${ident(a.column)}`, type: a.type });
    }
  }
  return columns;
}

/**
 * The FROM item of a search: `resource r [JOIN rt_x x ON x.id = r.id]`, or
 * for history the derived table `r` (see the file comment).
 */
export function resourceSource(target: SearchTarget, options: SourceOptions = {}): SqlFragment {
  const table = target.tablename === null ? null : ident(target.tablename);
  if (!options.history) {
    return raw(table === null ? "resource r" : `resource r JOIN ${table} x ON x.id = r.id`);
  }
  const custom = target.tablename === null ? [] : target.attributes.map((a) => ident(a.column));
  const historyTable = target.tablename === null ? null : ident(`${target.tablename}_history`);
  const past = [
    "h.revision",
    ...GENERIC_RESOURCE_COLUMNS.map((c) => `h.${c}`),
    "h.revision_end",
    ...custom.map((c) => `hx.${c}`),
  ].join(", ");
  const current = [
    "CAST(-1 AS bigint) AS revision",
    ...GENERIC_RESOURCE_COLUMNS.map((c) => `c.${c}`),
    "CAST(NULL AS timestamptz) AS revision_end",
    ...custom.map((c) => `cx.${c}`),
  ].join(", ");
  const pastFrom =
    historyTable === null
      ? "resource_history h"
      : `resource_history h JOIN ${historyTable} hx ON hx.revision = h.revision`;
  const currentFrom = table === null ? "resource c" : `resource c JOIN ${table} cx ON cx.id = c.id`;
  return raw(
    `(SELECT ${past} FROM ${pastFrom} UNION ALL SELECT ${current} FROM ${currentFrom}) AS r`,
  );
}

// ---------------------------------------------------------------------------
// Value conversion.

export const PG_TYPE: Readonly<Record<ColumnType, string>> = {
  string: "text",
  uuid: "uuid",
  number: "double precision",
  bool: "boolean",
  datetime: "timestamptz",
  revision: "bigint",
};

const PYTHON_INT = /^\s*[+-]?\d(?:_?\d)*\s*$/;

/** Converts a non-null filter value to the parameter of a column type, or throws QueryValueError. */
export function convertValue(
  value: Exclude<FilterValue, null>,
  type: ColumnType,
  field: string,
  now: Micros,
): SqlParam {
  const invalid = () => new QueryValueError(pyStr(value), field);
  switch (type) {
    case "string":
      return pyStr(value);
    case "uuid": {
      const uuid = typeof value === "string" ? parseUuid(value) : undefined;
      if (uuid === undefined) throw invalid();
      return uuid;
    }
    case "number": {
      if (typeof value === "boolean") return value ? 1 : 0;
      if (typeof value === "number") return floatParam(value);
      const parsed = parsePythonFloat(value);
      if (parsed === undefined) throw invalid();
      if (parsed === "non-finite") {
        const t = value.trim().toLowerCase();
        if (t.includes("nan")) return "NaN";
        return t.startsWith("-") ? "-Infinity" : "Infinity";
      }
      return floatParam(Number(value.trim().replaceAll("_", "")));
    }
    case "bool":
      if (typeof value === "boolean") return value;
      if (value === 0 || value === 1) return value === 1;
      throw invalid();
    case "datetime":
      try {
        return timestampParam(parseTimestamp(value, now));
      } catch {
        throw invalid();
      }
    case "revision": {
      if (typeof value === "boolean") return value ? 1 : 0;
      if (typeof value === "number") {
        if (!Number.isFinite(value)) throw invalid();
        return Math.trunc(value);
      }
      if (!PYTHON_INT.test(value)) throw invalid();
      const n = Number(value.trim().replaceAll("_", ""));
      if (!Number.isSafeInteger(n)) throw invalid();
      return n;
    }
  }
}

function floatParam(n: number): SqlParam {
  if (Number.isNaN(n)) return "NaN";
  if (!Number.isFinite(n)) return n > 0 ? "Infinity" : "-Infinity";
  return n;
}

/** A parameter as text, for `text[]` arrays cast to the column's array type. */
function asText(p: SqlParam): string | null {
  if (p === null) return null;
  return typeof p === "string" ? p : String(p);
}

/** A LIKE pattern PostgreSQL accepts: a trailing lone backslash is escaped (matched literally). */
export function safeLikePattern(pattern: string): string {
  let trailing = 0;
  for (let i = pattern.length - 1; i >= 0 && pattern[i] === "\\"; i--) trailing++;
  return trailing % 2 === 1 ? `${pattern}\\` : pattern;
}

const SQL_OPERATOR: Readonly<Record<CompareOp, string>> = {
  "=": "=",
  "!=": "<>",
  "<": "<",
  "<=": "<=",
  ">": ">",
  ">=": ">=",
};

/** Three-valued NULL: what SQL gives for `x < NULL` (and keeps NULL under NOT). */
const UNKNOWN = raw("CAST(NULL AS boolean)");

export interface CompileOptions extends SourceOptions {
  /** "Now" for relative timestamps (`-5 minutes`); default the current time. */
  readonly now?: Micros;
}

class Compiler {
  readonly columns: ReadonlyMap<string, Column>;
  readonly now: Micros;

  constructor(
    readonly target: SearchTarget,
    options: CompileOptions,
  ) {
    this.columns = resourceColumns(target, options);
    this.now = options.now ?? currentMicros();
  }

  column(name: string): Column {
    const c = this.columns.get(name);
    if (c === undefined) throw new QueryAttributeError(this.target.name, name);
    return c;
  }

  node(f: SearchFilter): SqlFragment {
    switch (f.kind) {
      case "and":
        return and(f.children.map((c) => this.node(c)));
      case "or":
        return or(f.children.map((c) => this.node(c)));
      case "not":
        return concat("NOT (", this.node(f.child), ")");
      case "empty":
        throw new QueryError();
      case "compare":
        return this.compare(f.op, f.attribute, f.value);
      case "like":
        return this.like(f.attribute, f.value);
      case "in":
        return this.in(f.attribute, f.values);
    }
  }

  compare(op: CompareOp, attribute: string, value: FilterValue): SqlFragment {
    if (attribute === "lifespan") return this.lifespan(op, value);
    const col = this.column(attribute);
    if (
      (attribute === "created_by_user_id" || attribute === "created_by_project_id") &&
      op !== "=" &&
      op !== "!="
    ) {
      throw new QueryValueError(pyStr(value), attribute);
    }
    if (value === null) {
      if (op === "=") return raw(`${col.sql} IS NULL`);
      if (op === "!=") return raw(`${col.sql} IS NOT NULL`);
      return UNKNOWN;
    }
    const p = convertValue(value, col.type, attribute, this.now);
    const cast = PG_TYPE[col.type];
    const cmp = fragment(`${col.sql} ${SQL_OPERATOR[op]} CAST($1 AS ${cast})`, [p]);
    // Gnocchi: `!=` with a value also matches rows where the column is NULL.
    if (op === "!=") return concat("(", cmp, ` OR ${col.sql} IS NULL)`);
    return cmp;
  }

  like(attribute: string, value: FilterValue): SqlFragment {
    if (attribute === "lifespan") throw new QueryValueError(pyStr(value), attribute);
    const col = this.column(attribute);
    if (value === null) return UNKNOWN;
    const expr = col.type === "string" ? col.sql : `CAST(${col.sql} AS text)`;
    return fragment(`${expr} LIKE CAST($1 AS text)`, [safeLikePattern(pyStr(value))]);
  }

  in(attribute: string, values: readonly FilterValue[]): SqlFragment {
    if (attribute === "created_by_user_id" || attribute === "created_by_project_id") {
      throw new QueryValueError(pyStr(values), attribute);
    }
    if (attribute === "lifespan") {
      return or(values.map((v) => this.lifespan("=", v)));
    }
    const col = this.column(attribute);
    const converted = values.map((v) =>
      v === null ? null : asText(convertValue(v, col.type, attribute, this.now)),
    );
    return fragment(`${col.sql} = ANY(CAST(CAST($1 AS text[]) AS ${PG_TYPE[col.type]}[]))`, [
      converted,
    ]);
  }

  lifespan(op: CompareOp, value: FilterValue): SqlFragment {
    const expr = `(${this.column("ended_at").sql} - ${this.column("started_at").sql})`;
    if (value === null) {
      if (op === "=") return raw(`${expr} IS NULL`);
      if (op === "!=") return raw(`${expr} IS NOT NULL`);
      return UNKNOWN;
    }
    let us: Micros;
    try {
      us = parsePositiveTimespan(value);
    } catch {
      throw new QueryValueError(pyStr(value), "lifespan");
    }
    const cmp = fragment(
      `${expr} ${SQL_OPERATOR[op]} CAST($1 AS bigint) * interval '1 microsecond'`,
      [us],
    );
    if (op === "!=") return concat("(", cmp, ` OR ${expr} IS NULL)`);
    return cmp;
  }
}

/**
 * The WHERE expression of a filter against {@link resourceSource}`(target,
 * options)`; TRUE for no filter.
 * @throws QueryAttributeError | QueryValueError | QueryError
 */
export function compileFilter(
  filter: SearchFilter | null,
  target: SearchTarget,
  options: CompileOptions = {},
): SqlFragment {
  if (filter === null) return raw("TRUE");
  return new Compiler(target, options).node(filter);
}
