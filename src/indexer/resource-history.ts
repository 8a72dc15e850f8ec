/**
 * A resource's revisions (spec rest §8.10): its history rows, numbered by
 * the global revision sequence, then the current revision (-1), each with
 * its own `revision_start`/`revision_end`. As for a GET, the resource must be
 * visible through the type in the path; the custom attributes are those of
 * that type (or of the resource's own type for `generic` with `details`).
 */
import type { SqlExecutor } from "./driver.js";
import { NoSuchResourceError } from "./errors.js";
import {
  attributeColumns,
  attributeJoin,
  genericColumns,
  type Resource,
  type ResourceRow,
  resourceFromRow,
} from "./resource-row.js";
import { findResource } from "./resource-store.js";
import { GENERIC, getResourceType, type ResourceType } from "./resource-type-store.js";

/**
 * All revisions, oldest first (history by revision number, current last).
 * Only the current revision carries `metrics`.
 * @throws NoSuchResourceTypeError, NoSuchResourceError
 */
export async function listResourceHistory(
  db: SqlExecutor,
  typeName: string,
  id: string,
  options: { readonly details?: boolean } = {},
): Promise<Resource[]> {
  const current = await findResource(db, typeName, id, options);
  if (current === undefined) throw new NoSuchResourceError(id);
  let rt: ResourceType | undefined;
  if (typeName !== GENERIC) rt = await getResourceType(db, typeName);
  else if (options.details && current.type !== GENERIC)
    rt = await getResourceType(db, current.type);
  const cols = rt === undefined ? "" : attributeColumns(rt, "th");
  const join = rt === undefined ? "" : attributeJoin(rt, "th", "h.revision", true, "LEFT JOIN");
  const r = await db.query<ResourceRow>(
    `SELECT ${genericColumns("h", true)}${cols}
       FROM resource_history h${join}
      WHERE h.id = $1 ORDER BY h.revision`,
    [id],
  );
  return [...r.rows.map((row) => resourceFromRow(row, rt)), current];
}

/** The inputs of a resource's `ETag`/`Last-Modified` (spec rest §8.9), or undefined. */
export async function resourceRevisionStart(
  db: SqlExecutor,
  id: string,
): Promise<{ readonly type: string; readonly revisionStart: number } | undefined> {
  const r = await db.query<{ type: string; revision_start: number }>(
    "SELECT type, revision_start FROM resource WHERE id = $1",
    [id],
  );
  const row = r.rows[0];
  return row === undefined ? undefined : { type: row.type, revisionStart: row.revision_start };
}
