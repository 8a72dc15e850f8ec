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

/**
 * The readable active metrics among `ids`, by id (with their archive
 * policy); with a `cache`, the rows of a set of ids read before are reused
 * while unchanged.
 */
export async function readableMetrics(
  db: SqlExecutor,
  creds: Credentials,
  ids: readonly string[],
  cache?: MetricRowCache,
): Promise<Map<string, MetricWithPolicy>> {
  if (ids.length === 0) return new Map();
  const found = cache === undefined ? await findMetrics(db, ids) : await cache.find(db, ids);
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

/**
 * Everything the rows of a set of metrics depend on, as one short row:
 * which of them are active, their resource, their policy, and the content
 * of every policy (definitions can be changed).
 */
const DIGEST_SQL = `SELECT
    md5(string_agg(m.id::text || ' ' || coalesce(m.resource_id::text, '') || ' '
        || m.archive_policy_id::text, ',' ORDER BY m.id)) AS metrics,
    (SELECT md5(string_agg(p.id::text || ' ' || p.back_window::text || ' '
        || p.aggregation_methods::text || ' ' || p.definition::text, ',' ORDER BY p.id))
      FROM archive_policy p) AS policies
  FROM metric m WHERE m.id = ANY($1::uuid[]) AND m.status = 'active'`;

/**
 * Metric rows kept between queries, per set of ids (the series a selector
 * matched). Reading 1,000 rows with their policies costs about 60–100 ms of
 * CPU on PGlite (rows and JSON through the wire protocol); the digest of
 * what they depend on (DIGEST_SQL) about a fifth of that, so a dashboard
 * refreshing the same selectors reads the rows once. A deleted metric, a
 * metric moved to another resource or a changed policy changes the digest:
 * the rows are read again. The digest is taken before the rows, so a change
 * between the two makes the next query read them again too.
 */
export class MetricRowCache {
  readonly #entries = new Map<
    string,
    { readonly digest: string; readonly rows: ReadonlyMap<string, MetricWithPolicy> }
  >();

  /** `capacity`: id sets kept (least recently used dropped first). */
  constructor(readonly capacity = 64) {}

  /** The active metrics among `ids`, by id (a new map the caller may change). */
  async find(db: SqlExecutor, ids: readonly string[]): Promise<Map<string, MetricWithPolicy>> {
    const key = ids.join(",");
    const d = await db.query<{ metrics: string | null; policies: string | null }>(DIGEST_SQL, [
      [...new Set(ids)],
    ]);
    const digest = `${d.rows[0]?.metrics} ${d.rows[0]?.policies}`;
    const hit = this.#entries.get(key);
    this.#entries.delete(key);
    if (hit !== undefined && hit.digest === digest) {
      this.#entries.set(key, hit);
      return new Map(hit.rows);
    }
    const rows = await findMetrics(db, ids);
    this.#entries.set(key, { digest, rows: new Map(rows) });
    if (this.#entries.size > this.capacity)
      this.#entries.delete(this.#entries.keys().next().value!);
    return rows;
  }
}
