import { expect, it } from "vitest";
import type { SqlDriver, SqlExecutor } from "../../src/indexer/driver.js";
import { ResourceAlreadyExistsError } from "../../src/indexer/errors.js";
import { type IngestTarget, resolveMetrics } from "../../src/indexer/ingest-resolver.js";
import {
  canonicalLabels,
  insertLabelSets,
  type LabelSetInput,
  labelSetHash,
} from "../../src/indexer/label-store.js";
import { deleteMetric, findMetric, listMetrics } from "../../src/indexer/metric-store.js";
import { resourceIdFromInput } from "../../src/indexer/resource-id.js";
import {
  attachResourceMetrics,
  detachResourceMetrics,
} from "../../src/indexer/resource-metrics.js";
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

    it("answers repeated pairs from its cache, never a metric unbound since, by any process", async () => {
      // `cached` is this process's driver (its own cache); `db()` plays another process.
      let statements = 0;
      const inner = db();
      const cached: SqlDriver = {
        kind: inner.kind,
        query: (sql, params) => {
          statements++;
          return inner.query(sql, params);
        },
        transaction: (fn) => inner.transaction(fn),
        close: () => Promise.resolve(),
      };
      const ids = async (targets: IngestTarget[]) =>
        (await resolveMetrics(cached, targets, { creator: "admin" })).metricIds;
      const r1 = await createResource(
        db(),
        "generic",
        { id: "cache1", metrics: { a: {}, b: {}, c: {}, d: {} } },
        "admin",
      );
      const r2 = await createResource(db(), "generic", { id: "cache2" }, "admin");
      const [a, b, c, d] = ["a", "b", "c", "d"].map((n) => target("cache1", n));
      const all = [a!, b!, c!, d!];
      const m = r1.metrics!;
      expect(await ids(all)).toEqual([m.a, m.b, m.c, m.d]);
      statements = 0;
      expect(await ids(all)).toEqual([m.a, m.b, m.c, m.d]);
      expect(statements).toBe(1); // the generation check only

      await deleteMetric(db(), m.a!);
      expect(await ids(all)).toEqual([undefined, m.b, m.c, m.d]);
      // Moved to another resource under another name.
      await db().transaction((tx) => attachResourceMetrics(tx, r2.id, "admin", { moved: m.b! }));
      expect(await ids([...all, target("cache2", "moved")])).toEqual([
        undefined,
        undefined,
        m.c,
        m.d,
        m.b,
      ]);
      // Detached (resource PATCH of its metrics).
      await db().transaction((tx) => detachResourceMetrics(tx, r1.id));
      expect(await ids(all)).toEqual([undefined, undefined, undefined, undefined]);
      // A resource removed by plain SQL: the foreign key detaches its metrics.
      await db().transaction((tx) => attachResourceMetrics(tx, r1.id, "admin", { c: m.c! }));
      expect(await ids([c!])).toEqual([m.c]);
      await db().query("DELETE FROM resource WHERE id = $1", [r1.id]);
      expect(await ids([c!])).toEqual([undefined]);
      // Created since: a miss goes to SQL.
      const r3 = await createResource(
        db(),
        "generic",
        { id: "cache1", metrics: { a: {} } },
        "admin",
      );
      expect(await ids([a!])).toEqual([r3.metrics!.a]);
      // A binding added without unbinding anything leaves the cache valid.
      statements = 0;
      expect(await ids([a!])).toEqual([r3.metrics!.a]);
      expect(statements).toBe(1);
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

    it("checks the type of resources whose metrics all exist when creating resources", async () => {
      await createResource(db(), "generic", { id: "typed", metrics: { up: {} } }, "admin");
      await expect(
        resolveMetrics(db(), [target("typed", "up")], {
          creator: "admin",
          createMetrics: true,
          createResources: { type: "conc", attributes: () => ({ job: "j" }) },
        }),
      ).rejects.toBeInstanceOf(ResourceAlreadyExistsError);
      // Without resource creation, the type does not matter.
      const plain = await resolveMetrics(db(), [target("typed", "up")], { creator: "admin" });
      expect(plain.metricIds[0]).toBeDefined();
      expect(plain.missingResources).toEqual([]);
    });

    it("creates only what is missing in a batch mixing existing and new pairs", async () => {
      await createResource(db(), "generic", { id: "mixed", metrics: { a: {} } }, "admin");
      const ts = [target("mixed", "a"), target("mixed", "b"), target("mixed", "a")];
      const res = await resolveMetrics(db(), ts, {
        creator: "admin",
        createMetrics: true,
        unit: (name) => (name === "b" ? "s" : null),
      });
      const r = await getResource(db(), "generic", ts[0]!.resourceId);
      expect(res.metricIds).toEqual([r.metrics!.a, r.metrics!.b, r.metrics!.a]);
      expect((await findMetric(db(), r.metrics!.b!))!.unit).toBe("s");
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

/** Every `seq` and label pair id handed out so far (gaps show values used up by conflicting inserts). */
async function identities(db: SqlExecutor): Promise<{ seq: number; pair: number }> {
  const r = await db.query<{ seq: number; pair: number }>(
    `SELECT (SELECT max(seq)::int FROM metric_label_set) AS seq,
            (SELECT max(id) FROM label_pair) AS pair`,
  );
  return r.rows[0]!;
}

describeDrivers(
  "ingest label sets",
  ({ db }) => {
    it("keeps the label set hash of the canonical form", () => {
      // Fixed value: series identities stored by earlier versions must still match.
      expect(
        labelSetHash({
          __name__: "node_cpu_seconds_total",
          job: "job5",
          mode: "steal",
          instance: "host-12",
          cpu: "345",
        }),
      ).toBe("1448d735-0bfa-be32-66b6-a564af550fbf");
      // Code point order: U+E000 before U+1F600 (UTF-16 order would swap them).
      expect(canonicalLabels({ "\u{1F600}": "a", "\uE000": "b" }).map((p) => p[0])).toEqual([
        "\uE000",
        "\u{1F600}",
      ]);
    });

    it("resolves existing label sets without using up identities, inserts the others", async () => {
      const ts = Array.from({ length: 6 }, (_, i) => target("labelled", `series${i}`));
      const { metricIds } = await resolveMetrics(db(), ts, {
        creator: "admin",
        createMetrics: true,
        createResources: { type: "generic" },
      });
      const ids = metricIds.map((id) => id!);
      const labels = (i: number) => ({
        __name__: `series${i}`,
        job: "node",
        instance: `h${i % 2}`,
      });
      const first: LabelSetInput[] = [0, 1, 2].map((i) => ({
        metricId: ids[i]!,
        labels: labels(i),
      }));
      const stored = await db().transaction((tx) => insertLabelSets(tx, first));
      expect(stored.map((s) => [s.inserted, s.ownerId])).toEqual(
        ids.slice(0, 3).map((id) => [true, id]),
      );
      expect(stored[0]!.pairs.map((p) => p.name).sort()).toEqual(["__name__", "instance", "job"]);
      const before = await identities(db());

      // All known: one statement, nothing inserted, no identity used up.
      let queries = 0;
      const again = await db().transaction((tx) =>
        insertLabelSets(
          {
            query: ((sql: string, params?: readonly unknown[]) => {
              queries++;
              return tx.query(sql, params as never);
            }) as SqlExecutor["query"],
          },
          first,
        ),
      );
      expect(queries).toBe(1);
      expect(again.map((s) => [s.inserted, s.ownerId])).toEqual(
        ids.slice(0, 3).map((id) => [false, id]),
      );
      expect(await identities(db())).toEqual(before);

      // Mixed: a known set, a new one, and two metrics claiming one new set.
      const mixed: LabelSetInput[] = [
        { metricId: ids[3]!, labels: labels(0) },
        { metricId: ids[4]!, labels: labels(4) },
        { metricId: ids[5]!, labels: { __name__: "series9", job: "other" } },
        { metricId: ids[2]!, labels: { job: "other", __name__: "series9" } },
      ];
      const out = await db().transaction((tx) => insertLabelSets(tx, mixed));
      expect(out.map((s) => [s.inserted, s.ownerId])).toEqual([
        [false, ids[0]],
        [true, ids[4]],
        [true, ids[5]],
        [false, ids[5]],
      ]);
      const after = await identities(db());
      // Two sets inserted (the row of ids[2] conflicts and may use up one more
      // seq value), and only the three new pairs: series4, series9, job=other.
      expect(after.seq - before.seq).toBeGreaterThanOrEqual(2);
      expect(after.seq - before.seq).toBeLessThanOrEqual(3);
      expect(after.pair - before.pair).toBe(3);
    });
  },
  { upgrade: true },
);
