/**
 * Which series a caller may read: the active metrics among some ids that the
 * `get metric` rule of /v1 lets them see (src/indexer/acl.ts canReadMetric:
 * admin, the metric's creator or creator's project, or the project of its
 * resource). Deleted metrics are never returned, whatever the label index
 * still holds.
 */
import { type Credentials, canReadMetric, isAdmin } from "../indexer/acl.js";
import type { SqlExecutor } from "../indexer/driver.js";
import { findMetrics, type MetricWithPolicy } from "../indexer/metric-store.js";

/** The readable active metrics among `ids`, by id (with their archive policy). */
export async function readableMetrics(
  db: SqlExecutor,
  creds: Credentials,
  ids: readonly string[],
): Promise<Map<string, MetricWithPolicy>> {
  if (ids.length === 0) return new Map();
  const found = await findMetrics(db, ids);
  if (isAdmin(creds)) return found;
  // `metric_owner` can only match a caller with a project: look the resources up only then.
  let projects: Map<string, string | null> | undefined;
  const project = creds.projectId;
  if (project !== undefined && project !== null && project !== "") {
    const resourceIds = [
      ...new Set([...found.values()].map((m) => m.resourceId).filter((r) => r !== null)),
    ];
    const r = await db.query<{ id: string; project_id: string | null }>(
      "SELECT id::text, project_id FROM resource WHERE id = ANY($1::uuid[])",
      [resourceIds],
    );
    projects = new Map(r.rows.map((row) => [row.id, row.project_id]));
  }
  for (const [id, m] of found) {
    const resource =
      m.resourceId === null ? null : { projectId: projects?.get(m.resourceId) ?? null };
    if (
      !canReadMetric(creds, {
        creator: m.creator,
        createdByProjectId: m.createdByProjectId,
        resource,
      })
    )
      found.delete(id);
  }
  return found;
}
