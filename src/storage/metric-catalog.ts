/**
 * What the storage layer needs to know of the indexer (spec carbonara §10.3,
 * §10.6): which metrics are active and under which archive policy, which are
 * marked deleted, and how to expunge one. The real implementation wraps the
 * indexer (wired in src/server.ts); tests use `InMemoryMetricCatalog`.
 */
import type { ArchivePolicy } from "../carbonara/archive-policy.js";

export interface MetricCatalog {
  /**
   * The active metrics among `metricIds` (canonical lowercase dashed UUIDs),
   * with their archive policy. Unknown and deleted metrics are simply absent.
   */
  activeMetrics(metricIds: readonly string[]): Promise<Map<string, ArchivePolicy>>;
  /** Metrics marked deleted and not yet expunged (the janitor's work list). */
  deletedMetrics(): Promise<string[]>;
  /** Removes a deleted metric's row for good (after its storage is gone). */
  expunge(metricId: string): Promise<void>;
}

/** A catalog held in a Map: tests, fixtures and benchmarks. */
export class InMemoryMetricCatalog implements MetricCatalog {
  private readonly metrics = new Map<string, { policy: ArchivePolicy; deleted: boolean }>();

  add(metricId: string, policy: ArchivePolicy): void {
    this.metrics.set(metricId.toLowerCase(), { policy, deleted: false });
  }

  /** Marks the metric deleted (what DELETE /v1/metric does to the row). */
  markDeleted(metricId: string): void {
    const m = this.metrics.get(metricId.toLowerCase());
    if (m) m.deleted = true;
  }

  has(metricId: string): boolean {
    return this.metrics.has(metricId.toLowerCase());
  }

  async activeMetrics(metricIds: readonly string[]): Promise<Map<string, ArchivePolicy>> {
    const out = new Map<string, ArchivePolicy>();
    for (const id of metricIds) {
      const m = this.metrics.get(id);
      if (m && !m.deleted) out.set(id, m.policy);
    }
    return out;
  }

  async deletedMetrics(): Promise<string[]> {
    return [...this.metrics].filter(([, m]) => m.deleted).map(([id]) => id);
  }

  async expunge(metricId: string): Promise<void> {
    this.metrics.delete(metricId.toLowerCase());
  }
}
