/**
 * The per-metric read check of the aggregation endpoints (policy `get
 * metric` / `search metric`, spec rest §1.3): admin, the metric's creator or
 * its creator's project, or the project of the resource it is attached to.
 * The resources' projects are only looked up when the caller has a project
 * (the only case `metric_owner` can match).
 */
import type { SqlExecutor } from "../../indexer/driver.js";
import type { MetricWithPolicy } from "../../indexer/metric-store.js";
import type { Credentials } from "../auth.js";
import { forbidden } from "../errors.js";
import { isAllowed, type PolicyAction } from "../policy.js";

/** The policy target of a metric (its JSON fields the rules read). */
function target(metric: MetricWithPolicy, projectId: string | null | undefined): object {
  return {
    creator: metric.creator,
    created_by_project_id: metric.createdByProjectId,
    ...(projectId === undefined ? {} : { resource: { project_id: projectId } }),
  };
}

/**
 * 403 unless the caller may read every metric. `resourceProjects` gives the
 * attached resources' `project_id` when the caller already has them.
 */
export async function enforceMetricsRead(
  db: SqlExecutor,
  creds: Credentials,
  action: PolicyAction,
  metrics: readonly MetricWithPolicy[],
  resourceProjects?: ReadonlyMap<string, string | null>,
): Promise<void> {
  let projects = resourceProjects;
  if (projects === undefined && creds.projectId !== undefined) {
    const ids = [...new Set(metrics.map((m) => m.resourceId).filter((id) => id !== null))];
    const r = await db.query<{ id: string; project_id: string | null }>(
      "SELECT id, project_id FROM resource WHERE id = ANY($1::uuid[])",
      [ids],
    );
    projects = new Map(r.rows.map((row) => [row.id, row.project_id]));
  }
  for (const m of metrics) {
    const project = m.resourceId === null ? undefined : projects?.get(m.resourceId);
    if (!isAllowed(creds, action, target(m, project))) throw forbidden();
  }
}
