/**
 * Gnocchi's model as the Grafana JSON data source browses it: resource
 * types, the metric names of a type's resources, the metrics a resource
 * search selects (with a label attribute for the legend), attribute values
 * for template variables and ad-hoc filters. Every answer is limited to
 * what the caller may read (src/indexer/acl.ts: canReadResource for
 * resources, canReadMetric for metrics); deleted metrics never appear.
 * Searches compile to parameterized SQL through the indexer's search
 * compiler (the same filters as `/v1/search/resource`).
 */
import { compareCodePoints } from "../../carbonara/code-points.js";
import { type Credentials, canReadMetric, canReadResource, isAdmin } from "../../indexer/acl.js";
import type { SqlExecutor } from "../../indexer/driver.js";
import {
  getResourceType,
  listResourceTypes,
  type ResourceType,
} from "../../indexer/resource-type-store.js";
import { andFilters, parseStringFilter, type SearchFilter } from "../../indexer/search-filter.js";
import { compileFilter, resourceColumns, resourceSource } from "../../indexer/search-sql.js";
import { and, concat, param, raw } from "../../indexer/sql-compose.js";

/** Most metrics one target reads, and most values one listing returns. */
export const MAX_ROWS = 1000;

interface OwnerColumns {
  creator: string | null;
  created_by_project_id: string | null;
  project_id: string | null;
}

function resourceReadable(creds: Credentials, row: OwnerColumns): boolean {
  return canReadResource(creds, {
    creator: row.creator,
    createdByProjectId: row.created_by_project_id,
    projectId: row.project_id,
  });
}

function metricReadable(
  creds: Credentials,
  row: OwnerColumns & { m_creator: string | null; m_project: string | null },
): boolean {
  return canReadMetric(creds, {
    creator: row.m_creator,
    createdByProjectId: row.m_project,
    resource: { projectId: row.project_id },
  });
}

export async function resourceTypeNames(db: SqlExecutor): Promise<string[]> {
  return (await listResourceTypes(db)).map((t) => t.name);
}

/** @throws NoSuchResourceTypeError */
export function resourceType(db: SqlExecutor, name: string): Promise<ResourceType> {
  return getResourceType(db, name);
}

/** Names of the metrics attached to resources of `type` (every type when undefined) the caller may read. */
export async function metricNames(
  db: SqlExecutor,
  creds: Credentials,
  type?: string,
): Promise<string[]> {
  const r = await db.query<
    OwnerColumns & { name: string; m_creator: string | null; m_project: string | null }
  >(
    `SELECT DISTINCT m.name, m.creator AS m_creator, m.created_by_project_id AS m_project,
            r.creator, r.created_by_project_id, r.project_id
       FROM metric m JOIN resource r ON r.id = m.resource_id
      WHERE m.status = 'active' AND m.name IS NOT NULL AND ($1::text IS NULL OR r.type = $1)`,
    [type ?? null],
  );
  const names = new Set<string>();
  for (const row of r.rows) if (isAdmin(creds) || metricReadable(creds, row)) names.add(row.name);
  return [...names].sort(compareCodePoints);
}

/** The stored methods and granularities (µs) of the policies of metrics named `name`. */
export async function metricArchives(
  db: SqlExecutor,
  name: string,
): Promise<{ methods: string[]; granularities: number[] }> {
  const r = await db.query<{ methods: string[]; definition: { granularity: number }[] }>(
    `SELECT DISTINCT p.aggregation_methods AS methods, p.definition
       FROM metric m JOIN archive_policy p ON p.id = m.archive_policy_id
      WHERE m.status = 'active' AND m.name = $1`,
    [name],
  );
  const methods = new Set<string>();
  const granularities = new Set<number>();
  for (const row of r.rows) {
    for (const m of row.methods) methods.add(m);
    for (const d of row.definition) granularities.add(d.granularity);
  }
  return {
    methods: [...methods].sort(compareCodePoints),
    granularities: [...granularities].sort((a, b) => a - b),
  };
}

/** A Grafana ad-hoc filter (`key operator value`) as a search filter. */
export interface AdhocFilter {
  readonly key: string;
  readonly operator: string;
  readonly value: string;
}

const ADHOC_OPS = new Set(["=", "!=", "<", ">", "<=", ">="]);

/** @throws Error (message for the user) on an operator the search cannot express */
export function adhocToFilter(filters: readonly AdhocFilter[]): SearchFilter | null {
  return andFilters(
    ...filters.map((f): SearchFilter => {
      if (!ADHOC_OPS.has(f.operator))
        throw new GrafanaInputError(`ad-hoc filter operator ${f.operator} is not supported`);
      return { kind: "compare", op: f.operator as "=", attribute: f.key, value: f.value };
    }),
  );
}

/** A request the data source cannot answer as asked (400). */
export class GrafanaInputError extends Error {
  override name = "GrafanaInputError";
  readonly status = 400;
}

export interface MetricSelection {
  readonly type: string;
  readonly metric: string;
  /** Gnocchi string filter (`host = 'a' and started_at > '2024-01-01'`), or "". */
  readonly search: string;
  readonly adhoc: readonly AdhocFilter[];
  /** Resource attribute naming each series (default `original_resource_id`). */
  readonly label: string;
}

export interface SelectedMetric {
  readonly metricId: string;
  readonly resourceId: string;
  readonly label: string;
}

/**
 * The metrics named `metric` of the resources of `type` matching the search,
 * readable by the caller, ordered by label, at most {@link MAX_ROWS}.
 * @throws NoSuchResourceTypeError, InvalidFilterError, QueryError (400s)
 */
export async function selectMetrics(
  db: SqlExecutor,
  creds: Credentials,
  sel: MetricSelection,
): Promise<SelectedMetric[]> {
  const type = await getResourceType(db, sel.type);
  const search =
    sel.search.trim() === "" ? null : parseStringFilter(sel.search, { creator: creds.creator });
  const filter = andFilters(search, adhocToFilter(sel.adhoc));
  const columns = resourceColumns(type);
  const labelColumn = columns.get(sel.label);
  if (labelColumn === undefined)
    throw new GrafanaInputError(`resource type ${sel.type} has no attribute ${sel.label}`);
  const statement = concat(
    `SELECT m.id::text AS metric_id, r.id::text AS resource_id, (${labelColumn.sql})::text AS label,
            m.creator AS m_creator, m.created_by_project_id AS m_project,
            r.creator, r.created_by_project_id, r.project_id FROM `,
    resourceSource(type),
    " JOIN metric m ON m.resource_id = r.id WHERE ",
    and([
      raw("m.status = 'active'"),
      concat("m.name = ", param(sel.metric)),
      compileFilter(filter, type),
    ]),
    " ORDER BY label, r.id LIMIT ",
    param(MAX_ROWS),
  );
  const r = await db.query<
    OwnerColumns & {
      metric_id: string;
      resource_id: string;
      label: string | null;
      m_creator: string | null;
      m_project: string | null;
    }
  >(statement.sql, statement.params);
  return r.rows
    .filter((row) => isAdmin(creds) || metricReadable(creds, row))
    .map((row) => ({
      metricId: row.metric_id,
      resourceId: row.resource_id,
      label: row.label ?? row.resource_id,
    }));
}

/** Attribute names usable as ad-hoc filter keys and labels: the generic ones, then each type's own (of `type` only when given). */
export async function attributeNames(db: SqlExecutor, type?: string): Promise<string[]> {
  const types =
    type === undefined ? await listResourceTypes(db) : [await getResourceType(db, type)];
  const names = new Set<string>();
  for (const t of types) for (const name of resourceColumns(t).keys()) names.add(name);
  return [...names];
}

/**
 * Distinct values of an attribute among the resources (of `type`, or of
 * every type having the attribute) the caller may read, optionally matching
 * a search, in code-point order, at most {@link MAX_ROWS}.
 */
export async function attributeValues(
  db: SqlExecutor,
  creds: Credentials,
  attribute: string,
  type?: string,
  search = "",
): Promise<string[]> {
  let types: ResourceType[];
  if (type !== undefined) types = [await getResourceType(db, type)];
  else {
    const all = await listResourceTypes(db);
    const generic = all.find((t) => t.tablename === null);
    // A generic attribute is read once over every resource, a custom one from each type having it.
    types = generic !== undefined && resourceColumns(generic).has(attribute) ? [generic] : all;
  }
  const filter =
    search.trim() === "" ? null : parseStringFilter(search, { creator: creds.creator });
  const values = new Set<string>();
  for (const t of types) {
    const column = resourceColumns(t).get(attribute);
    if (column === undefined) {
      if (type !== undefined)
        throw new GrafanaInputError(`resource type ${type} has no attribute ${attribute}`);
      continue;
    }
    const statement = concat(
      `SELECT DISTINCT (${column.sql})::text AS value, r.creator, r.created_by_project_id, r.project_id FROM `,
      resourceSource(t),
      " WHERE ",
      and([
        t.tablename === null ? raw("TRUE") : concat("r.type = ", param(t.name)),
        compileFilter(filter, t),
      ]),
      " LIMIT ",
      param(MAX_ROWS * 10),
    );
    const r = await db.query<OwnerColumns & { value: string | null }>(
      statement.sql,
      statement.params,
    );
    for (const row of r.rows)
      if (row.value !== null && (isAdmin(creds) || resourceReadable(creds, row)))
        values.add(row.value);
  }
  return [...values].sort(compareCodePoints).slice(0, MAX_ROWS);
}
