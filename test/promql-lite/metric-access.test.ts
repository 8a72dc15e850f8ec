/**
 * The metric rows PromQL reads through (metric-access.ts): the process-wide
 * MetricRowCache reuses the rows of a set of ids while nothing they depend on
 * changed, and reads them again after a delete, a move to a resource or a
 * policy change; the read check still applies to cached rows.
 */
import { expect, it } from "vitest";
import { resolveArchivePolicyItem } from "../../src/carbonara/archive-policy.js";
import { basicCredentials } from "../../src/indexer/acl.js";
import { updateArchivePolicy } from "../../src/indexer/archive-policy-store.js";
import type { SqlExecutor } from "../../src/indexer/driver.js";
import { createMetric, deleteMetric } from "../../src/indexer/metric-store.js";
import { createResource } from "../../src/indexer/resource-store.js";
import { MetricRowCache, readableMetrics } from "../../src/promql-lite/metric-access.js";
import { describeDrivers } from "../indexer/drivers.js";

describeDrivers(
  "MetricRowCache",
  ({ db }) => {
    /** The real driver, counting the statements sent through it. */
    function counted(): { exec: SqlExecutor; statements: () => number } {
      let n = 0;
      return {
        exec: {
          query: (sql, params) => {
            n++;
            return db().query(sql, params);
          },
        },
        statements: () => n,
      };
    }

    it("reuses rows until a metric is deleted, moved or its policy changes", async () => {
      const ids: string[] = [];
      for (const name of ["a", "b", "c"])
        ids.push((await createMetric(db(), { name, archivePolicyName: "low" }, "alice")).id);
      const cache = new MetricRowCache();
      const sql = counted();

      const first = await cache.find(sql.exec, ids);
      expect([...first.keys()].sort()).toEqual([...ids].sort());
      const afterFirst = sql.statements();
      const again = await cache.find(sql.exec, ids);
      expect(sql.statements() - afterFirst).toBe(1); // the digest only
      expect(again).toEqual(first);

      await deleteMetric(db(), ids[0]!);
      const deleted = await cache.find(sql.exec, ids);
      expect([...deleted.keys()].sort()).toEqual([ids[1], ids[2]].sort());

      const r = await createResource(
        db(),
        "generic",
        { id: "host-1", metrics: { cpu: ids[1]! } },
        "alice",
      );
      expect((await cache.find(sql.exec, ids)).get(ids[1]!)?.resourceId).toBe(r.id);

      const before = (await cache.find(sql.exec, ids)).get(ids[2]!)!.archivePolicy.definition;
      const points = before.map((d) => ({
        granularity: d.granularity,
        points: (d.points ?? 1) + 1,
      }));
      await updateArchivePolicy(
        db(),
        "low",
        points.map((p) => resolveArchivePolicyItem(p)),
      );
      const after = (await cache.find(sql.exec, ids)).get(ids[2]!)!.archivePolicy.definition;
      expect(after.map((d) => d.points)).toEqual(points.map((p) => p.points));
    });

    it("cached rows still go through the read check of each caller", async () => {
      const mine = await createMetric(db(), { name: "m", archivePolicyName: "low" }, "bob");
      const cache = new MetricRowCache();
      const bob = await readableMetrics(db(), basicCredentials("bob"), [mine.id], cache);
      expect([...bob.keys()]).toEqual([mine.id]);
      const eve = await readableMetrics(db(), basicCredentials("eve"), [mine.id], cache);
      expect(eve.size).toBe(0);
      // The caller may change the map it gets without touching the cache.
      bob.clear();
      expect((await readableMetrics(db(), basicCredentials("bob"), [mine.id], cache)).size).toBe(1);
    });
  },
  { upgrade: true },
);
