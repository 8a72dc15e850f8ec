/**
 * `GET /v1/metric` (spec rest §5.4, §11): the exact-match filters, the
 * caller's visibility (src/indexer/acl.ts), keyset pagination over any
 * sortable metric column. One query picks the page's ids in order, a second
 * loads those metrics with their policies.
 */
import type { SqlExecutor } from "../../indexer/driver.js";
import { listMetrics, type MetricFilter, metricFilterWhere } from "../../indexer/metric-store.js";
import { markerCondition, metricColumns, orderBy, type Page } from "../../indexer/pagination.js";
import { parseUuid } from "../../indexer/resource-id.js";
import type { Column } from "../../indexer/search-sql.js";
import { and, concat, fragment, param, raw, TRUE } from "../../indexer/sql-compose.js";
import { embed, paramList, type SqlFragment } from "../../indexer/sql-fragment.js";
import type { MetricListQuery } from "../schemas/metric.js";
import type { MetricWithPolicy } from "./metrics.js";

/** The policy is joined as `p` here, as metric-store's filters expect. */
const SOURCE = raw("metric m JOIN archive_policy p ON p.id = m.archive_policy_id");

/** Sortable columns of the list, over {@link SOURCE}. */
export function metricListColumns(): ReadonlyMap<string, Column> {
  const columns = new Map(metricColumns());
  columns.set("archive_policy_name", { sql: "p.name", type: "string" });
  return columns;
}

/**
 * The store filter the query string asks for, or undefined when it can
 * match nothing (an `id` that is not a UUID). Legacy `user_id`/`project_id`
 * become a `creator` of `<user>:<project>` and override `creator`.
 */
export function metricFilterOf(query: MetricListQuery): MetricFilter | undefined {
  let creator = query.creator;
  if (query.user_id !== undefined || query.project_id !== undefined) {
    creator = `${query.user_id ?? ""}:${query.project_id ?? ""}`;
  }
  let ids: string[] | undefined;
  if (query.id !== undefined) {
    const id = parseUuid(query.id);
    if (id === undefined) return undefined;
    ids = [id];
  }
  return {
    ...(ids === undefined ? {} : { ids }),
    ...(query.name === undefined ? {} : { name: query.name }),
    ...(query.unit === undefined ? {} : { unit: query.unit }),
    ...(query.archive_policy_name === undefined
      ? {}
      : { archivePolicyName: query.archive_policy_name }),
    ...(creator === undefined ? {} : { creator }),
    status: query.status ?? "active",
  };
}

/**
 * One page of metrics.
 * @throws InvalidPaginationError for a marker that is not an active metric
 */
export async function listMetricsPage(
  db: SqlExecutor,
  filter: MetricFilter,
  page: Page,
  visibility: SqlFragment | undefined,
): Promise<MetricWithPolicy[]> {
  const columns = metricListColumns();
  const after = await markerCondition(db, page, {
    source: SOURCE,
    columns,
    idColumn: "m.id",
    where: raw("m.status = 'active'"),
  });
  const { params, param: sink } = paramList();
  const filterSql = fragment(embed(metricFilterWhere(filter), sink), params);
  const q = concat(
    "SELECT m.id FROM ",
    SOURCE,
    " WHERE ",
    and([filterSql, visibility ?? TRUE, after]),
    " ORDER BY ",
    orderBy(page.sorts, columns),
    " LIMIT ",
    param(page.limit),
  );
  const r = await db.query<{ id: string }>(q.sql, q.params);
  if (r.rows.length === 0) return [];
  const ids = r.rows.map((row) => row.id);
  const loaded = await listMetrics(db, { ids, status: filter.status ?? "active" });
  const byId = new Map(loaded.map((m) => [m.id, m]));
  return ids.flatMap((id) => byId.get(id) ?? []);
}
