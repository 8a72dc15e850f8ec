/**
 * SimpleJSON annotations from Gnocchi's model: the query `<type>[: <search>]`
 * marks when each matching resource (readable by the caller) started and
 * ended within the dashboard's range, titled by its original id.
 */
import { type Credentials, canReadResource, isAdmin } from "../../indexer/acl.js";
import type { SqlExecutor } from "../../indexer/driver.js";
import { getResourceType } from "../../indexer/resource-type-store.js";
import { parseStringFilter } from "../../indexer/search-filter.js";
import { compileFilter, resourceSource } from "../../indexer/search-sql.js";
import { and, concat, param } from "../../indexer/sql-compose.js";
import { MAX_ROWS } from "./model.js";

export interface ResourceEvent {
  /** ms */
  time: number;
  title: string;
  text: string;
  tags: string[];
}

export async function resourceEvents(
  db: SqlExecutor,
  creds: Credentials,
  query: string,
  from: number,
  to: number,
): Promise<ResourceEvent[]> {
  const colon = query.indexOf(":");
  const typeName = (colon < 0 ? query : query.slice(0, colon)).trim() || "generic";
  const search = colon < 0 ? "" : query.slice(colon + 1).trim();
  const type = await getResourceType(db, typeName);
  const filter = search === "" ? null : parseStringFilter(search, { creator: creds.creator });
  const fromTs = new Date(from / 1000).toISOString();
  const toTs = new Date(to / 1000).toISOString();
  const statement = concat(
    `SELECT r.id::text AS id, r.original_resource_id, r.type,
            (extract(epoch FROM r.started_at) * 1000)::float8 AS started,
            (extract(epoch FROM r.ended_at) * 1000)::float8 AS ended,
            r.creator, r.created_by_project_id, r.project_id FROM `,
    resourceSource(type),
    " WHERE ",
    and([
      compileFilter(filter, type),
      concat(
        "((r.started_at >= ",
        param(fromTs),
        "::timestamptz AND r.started_at <= ",
        param(toTs),
        "::timestamptz) OR (r.ended_at >= ",
        param(fromTs),
        "::timestamptz AND r.ended_at <= ",
        param(toTs),
        "::timestamptz))",
      ),
    ]),
    " ORDER BY r.started_at LIMIT ",
    param(MAX_ROWS),
  );
  const r = await db.query<{
    id: string;
    original_resource_id: string | null;
    type: string;
    started: number | null;
    ended: number | null;
    creator: string | null;
    created_by_project_id: string | null;
    project_id: string | null;
  }>(statement.sql, statement.params);
  const out: ResourceEvent[] = [];
  for (const row of r.rows) {
    const readable =
      isAdmin(creds) ||
      canReadResource(creds, {
        creator: row.creator,
        createdByProjectId: row.created_by_project_id,
        projectId: row.project_id,
      });
    if (!readable) continue;
    const title = row.original_resource_id ?? row.id;
    const tags = [row.type];
    if (row.started !== null && row.started * 1000 >= from && row.started * 1000 <= to)
      out.push({ time: row.started, title: `${title} started`, text: `resource ${row.id}`, tags });
    if (row.ended !== null && row.ended * 1000 >= from && row.ended * 1000 <= to)
      out.push({ time: row.ended, title: `${title} ended`, text: `resource ${row.id}`, tags });
  }
  return out.sort((a, b) => a.time - b.time);
}
