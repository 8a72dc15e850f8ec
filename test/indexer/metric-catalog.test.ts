import { expect, it } from "vitest";
import { updateArchivePolicy } from "../../src/indexer/archive-policy-store.js";
import { IndexerMetricCatalog } from "../../src/indexer/metric-catalog.js";
import { createMetric, deleteMetric } from "../../src/indexer/metric-store.js";
import { describeDrivers } from "./drivers.js";

describeDrivers(
  "metric catalog for storage",
  ({ db }) => {
    it("answers active metrics with their policy, leaves out deleted and unknown ones", async () => {
      const a = await createMetric(db(), { archivePolicyName: "low" }, "admin");
      const b = await createMetric(db(), { archivePolicyName: "high" }, "admin");
      const gone = await createMetric(db(), { archivePolicyName: "low" }, "admin");
      await deleteMetric(db(), gone.id);
      const catalog = new IndexerMetricCatalog(db());
      const unknown = "00000000-0000-4000-8000-000000000000";
      const active = await catalog.activeMetrics([a.id, b.id, gone.id, unknown]);
      expect([...active.keys()].sort()).toEqual([a.id, b.id].sort());
      expect(active.get(a.id)?.name).toBe("low");
      expect(active.get(b.id)?.definition.map((d) => d.granularity)).toEqual(
        b.archivePolicy.definition.map((d) => d.granularity),
      );
      expect(await catalog.activeMetrics([])).toEqual(new Map());
    });

    it("lists deleted metrics for the janitor and expunges them", async () => {
      const m = await createMetric(db(), { archivePolicyName: "low" }, "admin");
      const catalog = new IndexerMetricCatalog(db());
      expect(await catalog.deletedMetrics()).not.toContain(m.id);
      await deleteMetric(db(), m.id);
      expect(await catalog.deletedMetrics()).toContain(m.id);
      await catalog.expunge(m.id);
      expect(await catalog.deletedMetrics()).not.toContain(m.id);
      const r = await db().query("SELECT 1 FROM metric WHERE id = $1", [m.id]);
      expect(r.rowCount).toBe(0);
    });

    it("sees a changed policy definition once its cache entry expires", async () => {
      const m = await createMetric(db(), { archivePolicyName: "low" }, "admin");
      const catalog = new IndexerMetricCatalog(db(), 0);
      const before = (await catalog.activeMetrics([m.id])).get(m.id);
      const changed = before?.definition.map((d, i) =>
        i === 0 ? { ...d, points: (d.points ?? 1) * 2, timespan: null } : d,
      );
      await updateArchivePolicy(db(), "low", changed ?? []);
      const after = (await catalog.activeMetrics([m.id])).get(m.id);
      expect(after?.definition[0]?.points).toBe((before?.definition[0]?.points ?? 1) * 2);
    });
  },
  { upgrade: { createDefaultPolicies: true } },
);
