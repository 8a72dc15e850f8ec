/**
 * The storage layer's view of the indexer (its `MetricCatalog` interface in
 * src/storage/metric-catalog.ts, matched structurally because the indexer
 * imports nothing above it): which metrics are active and under which
 * archive policy, which await expunge, and expunge itself.
 *
 * Policies are cached by name for a few seconds: metricd asks for every
 * batch, and a PATCHed definition only needs to reach it within the next
 * processing round.
 */
import type { ArchivePolicy } from "../carbonara/archive-policy.js";
import { getArchivePolicies } from "./archive-policy-store.js";
import type { SqlExecutor } from "./driver.js";
import { expungeMetrics, listMetricsToExpunge } from "./metric-store.js";

const POLICY_TTL_MS = 5_000;

export class IndexerMetricCatalog {
  private readonly policies = new Map<string, { policy: ArchivePolicy; at: number }>();

  constructor(
    private readonly db: SqlExecutor,
    private readonly policyTtlMs = POLICY_TTL_MS,
  ) {}

  async activeMetrics(metricIds: readonly string[]): Promise<Map<string, ArchivePolicy>> {
    const out = new Map<string, ArchivePolicy>();
    if (metricIds.length === 0) return out;
    const r = await this.db.query<{ id: string; ap_name: string }>(
      `SELECT m.id, p.name AS ap_name FROM metric m
         JOIN archive_policy p ON p.id = m.archive_policy_id
        WHERE m.id = ANY($1::uuid[]) AND m.status = 'active'`,
      [[...metricIds]],
    );
    const now = Date.now();
    const missing = new Set<string>();
    for (const row of r.rows) {
      const cached = this.policies.get(row.ap_name);
      if (cached === undefined || now - cached.at >= this.policyTtlMs) missing.add(row.ap_name);
    }
    if (missing.size > 0) {
      const fresh = await getArchivePolicies(this.db, [...missing]);
      for (const [name, policy] of fresh) this.policies.set(name, { policy, at: now });
    }
    for (const row of r.rows) {
      const cached = this.policies.get(row.ap_name);
      if (cached !== undefined) out.set(row.id, cached.policy);
    }
    return out;
  }

  async deletedMetrics(): Promise<string[]> {
    const list = await listMetricsToExpunge(this.db, 10_000);
    return list.map((m) => m.id);
  }

  async expunge(metricId: string): Promise<void> {
    await expungeMetrics(this.db, [metricId]);
  }
}
