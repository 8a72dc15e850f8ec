import { expect, it } from "vitest";
import { ResourceAlreadyExistsError } from "../../src/indexer/errors.js";
import { type IngestTarget, resolveMetrics } from "../../src/indexer/ingest-resolver.js";
import { findMetric, listMetrics } from "../../src/indexer/metric-store.js";
import { resourceIdFromInput } from "../../src/indexer/resource-id.js";
import { createResource, getResource } from "../../src/indexer/resource-store.js";
import { createResourceType } from "../../src/indexer/resource-type-store.js";
import { describeDrivers } from "./drivers.js";

const target = (original: string, metricName: string, creator = "admin"): IngestTarget => ({
  resourceId: resourceIdFromInput(original, creator),
  originalResourceId: original,
  metricName,
});

describeDrivers(
  "ingest resolver",
  ({ db }) => {
    it("resolves existing pairs, reports missing ones, creates on demand", async () => {
      const r = await createResource(
        db(),
        "generic",
        { id: "node1", metrics: { cpu: {} } },
        "admin",
      );
      const t = [
        target("node1", "cpu"),
        target("node1", "mem"),
        target("ghost", "cpu"),
        target("node1", "cpu"),
      ];
      const first = await resolveMetrics(db(), t, { creator: "admin" });
      expect(first.metricIds).toEqual([r.metrics!.cpu, undefined, undefined, r.metrics!.cpu]);
      expect(first.missingResources).toEqual([
        { resourceId: t[2]!.resourceId, originalResourceId: "ghost" },
      ]);
      const second = await resolveMetrics(db(), t, {
        creator: "admin",
        createMetrics: true,
        unit: () => "B",
      });
      expect(second.metricIds[1]).toBeDefined();
      expect(second.metricIds[2]).toBeUndefined();
      const mem = (await findMetric(db(), second.metricIds[1]!))!;
      expect([mem.name, mem.unit, mem.archivePolicyName, mem.creator]).toEqual([
        "mem",
        "B",
        "low",
        "admin",
      ]);
    });

    it("creates missing resources of a type with their attributes", async () => {
      const attr = { type: "string", min_length: 1, max_length: 512, required: true };
      await expect(createResourceType(db(), "prometheus", { job: attr })).rejects.toThrow(
        "value must be at most 255",
      );
      await createResourceType(
        db(),
        "prometheus",
        { job: attr, instance: attr },
        { internal: true },
      );
      const ts = [
        target("prometheus@localhost:9090", "up"),
        target("prometheus@localhost:9090", "scrape_duration_seconds"),
      ];
      const res = await resolveMetrics(db(), ts, {
        creator: "admin",
        createMetrics: true,
        archivePolicyName: "medium",
        createResources: {
          type: "prometheus",
          attributes: () => ({ job: "prometheus", instance: "localhost:9090" }),
        },
      });
      expect(ts[0]!.resourceId).toBe("a943787c-3e17-584c-b236-a5597aeabd2e");
      expect(res.metricIds.every((id) => id !== undefined)).toBe(true);
      expect(res.missingResources).toEqual([]);
      const r = await getResource(db(), "prometheus", ts[0]!.resourceId);
      expect(r.attributes).toEqual({ job: "prometheus", instance: "localhost:9090" });
      expect(r.originalResourceId).toBe("prometheus@localhost:9090");
      expect(Object.keys(r.metrics!).sort()).toEqual(["scrape_duration_seconds", "up"]);
      // A resource of another type with that id is a conflict.
      await createResource(db(), "generic", { id: "taken" }, "admin");
      await expect(
        resolveMetrics(db(), [target("taken", "x")], {
          creator: "admin",
          createMetrics: true,
          createResources: { type: "prometheus", attributes: () => ({ job: "j", instance: "i" }) },
        }),
      ).rejects.toBeInstanceOf(ResourceAlreadyExistsError);
    });

    it("is safe under concurrent creation of the same names (no duplicate, no error)", async () => {
      await createResourceType(db(), "conc", { job: { type: "string" } });
      const targets: IngestTarget[] = [];
      for (let r = 0; r < 20; r++)
        for (let m = 0; m < 25; m++) targets.push(target(`host${r}`, `metric.${m}`));
      const callers = 6;
      const results = await Promise.all(
        Array.from({ length: callers }, (_, i) =>
          resolveMetrics(db(), i % 2 === 0 ? targets : [...targets].reverse(), {
            creator: "admin",
            createMetrics: true,
            createResources: { type: "conc", attributes: () => ({ job: "j" }) },
          }),
        ),
      );
      const first = results[0]!.metricIds;
      expect(first.every((id) => id !== undefined)).toBe(true);
      for (const [i, r] of results.entries()) {
        expect(i % 2 === 0 ? r.metricIds : [...r.metricIds].reverse()).toEqual(first);
      }
      const all = await listMetrics(db(), { archivePolicyName: "low" });
      const names = all.filter((m) => targets.some((t) => t.resourceId === m.resourceId));
      expect(names).toHaveLength(targets.length);
    });

    it("resolves 2,000 existing pairs in one query", async () => {
      const ts: IngestTarget[] = [];
      for (let i = 0; i < 2000; i++) ts.push(target(`bulk${i % 40}`, `m${i}`));
      const created = await resolveMetrics(db(), ts, {
        creator: "admin",
        createMetrics: true,
        createResources: { type: "generic" },
      });
      let queries = 0;
      const counting = {
        query: ((sql: string, params?: readonly unknown[]) => {
          queries++;
          return db().query(sql, params as never);
        }) as ReturnType<typeof db>["query"],
      };
      const again = await resolveMetrics(counting, ts, { creator: "admin", createMetrics: true });
      expect(again.metricIds).toEqual(created.metricIds);
      expect(queries).toBe(1);
    });
  },
  { upgrade: true },
);
