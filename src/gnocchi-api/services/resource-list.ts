/**
 * One page of resources (spec rest §8.7, §8.10, §9.3, §11): the resources
 * of a type (every type for `generic`), or all their revisions with
 * `history`, that match a compiled search filter and the caller's visibility
 * filter, after the marker row in the requested order, with their active
 * metrics. With `details` on `generic`, each resource also gets its own
 * type's attributes (one query per type on the page). One statement for the
 * page; every value is a parameter.
 */
import { ident, type SqlExecutor } from "../../indexer/driver.js";
import {
  HISTORY_TIEBREAKERS,
  markerCondition,
  orderBy,
  type Page,
  RESOURCE_DEFAULT_SORT,
  RESOURCE_TIEBREAKERS,
} from "../../indexer/pagination.js";
import {
  attributeColumns,
  genericColumns,
  metricsColumn,
  type Resource,
  type ResourceRow,
  resourceFromRow,
} from "../../indexer/resource-row.js";
import {
  findResourceType,
  GENERIC,
  historyTable,
  type ResourceType,
} from "../../indexer/resource-type-store.js";
import type { SearchFilter } from "../../indexer/search-filter.js";
import { compileFilter, resourceColumns, resourceSource } from "../../indexer/search-sql.js";
import { and, concat, param, TRUE } from "../../indexer/sql-compose.js";
import type { SqlFragment } from "../../indexer/sql-fragment.js";
import type { PageOptions } from "../pagination.js";

export interface ResourceListQuery {
  readonly type: ResourceType;
  /** The search filter (null: all). */
  readonly filter: SearchFilter | null;
  /** The caller's visibility filter over alias `r` (acl.ts), if any. */
  readonly visibility?: SqlFragment | undefined;
  readonly details: boolean;
  readonly history: boolean;
  readonly page: Page;
}

/** Sort keys, default sort and tiebreakers of a resource listing (spec rest §11). */
export function resourcePageOptions(type: ResourceType, history: boolean): PageOptions {
  return {
    columns: resourceColumns(type, { history }),
    defaults: RESOURCE_DEFAULT_SORT,
    tiebreakers: history ? HISTORY_TIEBREAKERS : RESOURCE_TIEBREAKERS,
  };
}

/** The `marker` of the item a page ends with: its id, or `id@revision` with history. */
export function resourceMarker(resource: Resource, history: boolean): string {
  return history ? `${resource.id}@${resource.revision}` : resource.id;
}

/**
 * The page.
 * @throws InvalidPaginationError (bad sort key, unknown marker), QueryError
 *   and subclasses (filter attribute or value the type cannot answer)
 */
export async function listResources(db: SqlExecutor, q: ResourceListQuery): Promise<Resource[]> {
  const { type, history, page } = q;
  const options = { history };
  const source = resourceSource(type, options);
  const columns = resourceColumns(type, options);
  const where = compileFilter(q.filter, type, options);
  const after = await markerCondition(db, page, { source, columns, history });
  // Custom columns are `x.a<n>` on the joined table, `r.a<n>` in the history union.
  const custom = type.tablename === null ? "" : attributeColumns(type, history ? "r" : "x");
  const statement = concat(
    `SELECT ${genericColumns("r", history)}, ${metricsColumn("r")}${custom} FROM `,
    source,
    " WHERE ",
    and([where, q.visibility ?? TRUE, after]),
    " ORDER BY ",
    orderBy(page.sorts, columns),
    " LIMIT ",
    param(page.limit),
  );
  const r = await db.query<ResourceRow>(statement.sql, statement.params);
  if (type.name === GENERIC && q.details) return withOwnAttributes(db, r.rows);
  const rt = type.tablename === null ? undefined : type;
  return r.rows.map((row) => resourceFromRow(row, rt));
}

/**
 * Generic rows with the attributes of each one's own type, read from the
 * per-type tables (history rows from `<table>_history` by revision), in
 * page order. A type deleted meanwhile leaves its rows in the generic view.
 */
async function withOwnAttributes(db: SqlExecutor, rows: ResourceRow[]): Promise<Resource[]> {
  const byType = new Map<string, ResourceRow[]>();
  for (const row of rows) {
    if (row.type === GENERIC) continue;
    const list = byType.get(row.type) ?? [];
    list.push(row);
    byType.set(row.type, list);
  }
  const types = new Map<string, ResourceType>();
  for (const [name, typed] of byType) {
    const rt = await findResourceType(db, name);
    if (rt === undefined || rt.tablename === null) continue;
    types.set(name, rt);
    const current = typed.filter((row) => row.revision === -1);
    const past = typed.filter((row) => row.revision !== -1);
    const columns = attributeColumns(rt, "t");
    if (current.length > 0) {
      const found = await db.query<Record<string, unknown>>(
        `SELECT t.id${columns} FROM ${ident(rt.tablename)} t WHERE t.id = ANY($1::uuid[])`,
        [current.map((row) => row.id)],
      );
      merge(current, found.rows, (row) => row.id, "id");
    }
    if (past.length > 0) {
      const found = await db.query<Record<string, unknown>>(
        `SELECT t.revision${columns} FROM ${ident(historyTable(rt.tablename))} t
          WHERE t.revision = ANY($1::bigint[])`,
        [past.map((row) => row.revision)],
      );
      merge(past, found.rows, (row) => String(row.revision), "revision");
    }
  }
  return rows.map((row) => resourceFromRow(row, types.get(row.type)));
}

/** Copies the `attr_*` columns of `found` onto the matching rows. */
function merge(
  rows: ResourceRow[],
  found: readonly Record<string, unknown>[],
  key: (row: ResourceRow) => string,
  column: string,
): void {
  const byKey = new Map(found.map((f) => [String(f[column]), f]));
  for (const row of rows) {
    const values = byKey.get(key(row));
    if (values === undefined) continue;
    for (const [name, value] of Object.entries(values)) if (name !== column) row[name] = value;
  }
}
