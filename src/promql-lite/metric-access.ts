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
 * Metric rows with their archive policies, kept between queries (one cache
 * per process). Reading 1,000 rows with their policies costs about 60–100 ms
 * of CPU on PGlite (rows and JSON through the wire protocol). Every
 * statement changing or removing a metric or policy row bumps
 * `metric_row_generation` in its own transaction (migration 5), so a query
 * reads that counter (one tiny statement) and drops every row when it
 * moved; then only ids never seen under the current generation are read.
 *
 * What an id maps to cannot otherwise change: rows only appear by INSERT
 * (the label index only gives ids whose row is committed, and a new id
 * contradicts nothing cached), and "not active" (no row, or deleted) is
 * final. Rows read under generation g are kept only while the cache is at
 * g, so a read racing a newer query's reset never lands in the newer
 * generation.
 */
export class MetricRowCache {
  /** Active rows by id; null: no active metric. */
  readonly #rows = new Map<string, MetricWithPolicy | null>();
  #generation: string | undefined;

  /** `capacity`: ids kept (the oldest dropped first). */
  constructor(readonly capacity = 200_000) {}

  /** The active metrics among `ids`, by id (a new map the caller may change). */
  async find(db: SqlExecutor, ids: readonly string[]): Promise<Map<string, MetricWithPolicy>> {
    const g = await db.query<{ g: string }>(
      "SELECT generation::text AS g FROM metric_row_generation",
    );
    const generation = g.rows[0]?.g;
    if (generation !== this.#generation || generation === undefined) {
      this.#rows.clear();
      this.#generation = generation;
    }
    // Known rows are taken now: a concurrent query may reset the cache during the read below.
    const out = new Map<string, MetricWithPolicy>();
    const unknown: string[] = [];
    for (const id of ids) {
      const row = this.#rows.get(id);
      if (row === undefined) unknown.push(id);
      else if (row !== null) out.set(id, row);
    }
    if (unknown.length === 0) return out;
    const read = await findMetrics(db, unknown);
    for (const [id, row] of read) out.set(id, row);
    if (generation !== undefined && this.#generation === generation) {
      for (const id of unknown) this.#rows.set(id, read.get(id) ?? null);
      for (const id of this.#rows.keys()) {
        if (this.#rows.size <= this.capacity) break;
        this.#rows.delete(id);
      }
    }
    return out;
  }
}
