/**
 * Resources as values: the generic columns read from `resource` (current
 * revision) or `resource_history` (past ones), the custom attributes read
 * from the per-type tables, and the JSON form of spec rest §8.1. Shared by
 * the resource store, history listing, and the search/list engine.
 */
import type { Micros } from "../carbonara/time.js";
import { formatTimestamp } from "../carbonara/timestamp.js";
import { ident } from "./driver.js";
import type { AttributeValue } from "./resource-type-schema.js";
import { attributeJSON, historyTable, type ResourceType } from "./resource-type-store.js";

export interface Resource {
  readonly id: string;
  readonly type: string;
  readonly creator: string | null;
  readonly createdByUserId: string | null;
  readonly createdByProjectId: string | null;
  readonly originalResourceId: string;
  readonly userId: string | null;
  readonly projectId: string | null;
  readonly startedAt: Micros;
  readonly endedAt: Micros | null;
  readonly revisionStart: Micros;
  /** null for the current revision. */
  readonly revisionEnd: Micros | null;
  /** -1 for the current revision, else the history row's number (global sequence). */
  readonly revision: number;
  /** name → id of the active metrics (current revision only; absent on history rows). */
  readonly metrics?: Readonly<Record<string, string>>;
  /**
   * Custom attributes by name, JSON-ready (datetimes as ISO strings, missing
   * optional ones null). Empty in the generic view.
   */
  readonly attributes: Readonly<Record<string, AttributeValue | null>>;
}

export interface ResourceRow {
  id: string;
  type: string;
  creator: string | null;
  created_by_user_id: string | null;
  created_by_project_id: string | null;
  original_resource_id: string;
  user_id: string | null;
  project_id: string | null;
  started_at: number;
  ended_at: number | null;
  revision_start: number;
  revision_end: number | null;
  revision: number;
  metrics?: Record<string, string> | null;
  [column: string]: unknown;
}

/** The columns every resource row has, whatever its type. */
export const GENERIC_COLUMNS: readonly string[] = [
  "id",
  "type",
  "creator",
  "created_by_user_id",
  "created_by_project_id",
  "original_resource_id",
  "user_id",
  "project_id",
  "started_at",
  "ended_at",
  "revision_start",
];

/**
 * The generic columns of alias `alias` (`resource` when `history` is false,
 * `resource_history` otherwise), aliased to the {@link ResourceRow} names.
 */
export function genericColumns(alias: string, history: boolean): string {
  const cols = GENERIC_COLUMNS.map((c) => `${alias}.${c}`);
  cols.push(
    history ? `${alias}.revision_end` : "NULL::timestamptz AS revision_end",
    history ? `${alias}.revision` : "-1::bigint AS revision",
  );
  return cols.join(", ");
}

/** `(SELECT json_object_agg(name, id) ...) AS metrics` for resource alias `alias`. */
export function metricsColumn(alias: string): string {
  return `(SELECT json_object_agg(m.name, m.id) FROM metric m
      WHERE m.resource_id = ${alias}.id AND m.status = 'active' AND m.name IS NOT NULL) AS metrics`;
}

/** The custom attribute columns of alias `alias` of a per-type table, as `attr_<column>`. */
export function attributeColumns(rt: ResourceType, alias: string): string {
  return rt.attributes
    .map((a) => `, ${alias}.${ident(a.column)} AS ${ident(`attr_${a.column}`)}`)
    .join("");
}

/** `JOIN <per-type table> alias ON ...` for the current (`history` false) or history table. */
export function attributeJoin(
  rt: ResourceType,
  alias: string,
  on: string,
  history: boolean,
  kind: "JOIN" | "LEFT JOIN" = "JOIN",
): string {
  if (rt.tablename === null) return "";
  const table = history ? historyTable(rt.tablename) : rt.tablename;
  const key = history ? "revision" : "id";
  return ` ${kind} ${ident(table)} ${alias} ON ${alias}.${key} = ${on}`;
}

/** A row → Resource; `rt` (the resource's own type) gives the custom attributes, if selected. */
export function resourceFromRow(row: ResourceRow, rt?: ResourceType): Resource {
  const attributes: Record<string, AttributeValue | null> = {};
  if (rt !== undefined) {
    for (const a of rt.attributes) attributes[a.name] = attributeJSON(a, row[`attr_${a.column}`]);
  }
  const resource: Resource = {
    id: row.id,
    type: row.type,
    creator: row.creator,
    createdByUserId: row.created_by_user_id,
    createdByProjectId: row.created_by_project_id,
    originalResourceId: row.original_resource_id,
    userId: row.user_id,
    projectId: row.project_id,
    startedAt: row.started_at,
    endedAt: row.ended_at,
    revisionStart: row.revision_start,
    revisionEnd: row.revision_end,
    revision: row.revision,
    attributes,
  };
  if (row.metrics !== undefined) return { ...resource, metrics: row.metrics ?? {} };
  return resource;
}

/**
 * The JSON form (spec rest §8.1): the 13 generic keys in order, then the
 * custom attributes; `metrics` only when the resource carries them.
 */
export function resourceToJSON(r: Resource): Record<string, unknown> {
  const out: Record<string, unknown> = {
    id: r.id,
    type: r.type,
    original_resource_id: r.originalResourceId,
    creator: r.creator,
    created_by_user_id: r.createdByUserId,
    created_by_project_id: r.createdByProjectId,
    user_id: r.userId,
    project_id: r.projectId,
    started_at: formatTimestamp(r.startedAt),
    ended_at: r.endedAt === null ? null : formatTimestamp(r.endedAt),
    revision_start: formatTimestamp(r.revisionStart),
    revision_end: r.revisionEnd === null ? null : formatTimestamp(r.revisionEnd),
  };
  if (r.metrics !== undefined) out.metrics = { ...r.metrics };
  for (const [name, value] of Object.entries(r.attributes)) out[name] = value;
  return out;
}
