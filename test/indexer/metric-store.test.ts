import { expect, it } from "vitest";
import { NoArchivePolicyRuleMatchError } from "../../src/carbonara/errors.js";
import {
  InvalidInputError,
  InvalidMetricNameError,
  MetricNameRequiredError,
  NamedMetricAlreadyExistsError,
  NoSuchArchivePolicyError,
  NoSuchMetricError,
  NoSuchResourceError,
} from "../../src/indexer/errors.js";
import {
  createMetric,
  deleteMetric,
  deleteResourceMetric,
  expungeMetrics,
  findMetric,
  getMetric,
  getResourceMetric,
  listMetrics,
  listMetricsToExpunge,
  listResourceMetrics,
} from "../../src/indexer/metric-store.js";
import { createResource } from "../../src/indexer/resource-store.js";
import { describeDrivers } from "./drivers.js";
import { HOSTILE_STRINGS } from "./hostile.js";

const fail = (p: Promise<unknown>) =>
  p.then(
    () => expect.fail("did not throw"),
    (e: unknown) => e as Error,
  );

describeDrivers(
  "metric store",
  ({ db }) => {
    it("creates metrics with Gnocchi's checks, in its order", async () => {
      const m = await createMetric(db(), { name: "disk.io", unit: "B" }, "alice:proj");
      expect([m.archivePolicyName, m.creator, m.createdByUserId, m.createdByProjectId]).toEqual([
        "low",
        "alice:proj",
        "alice",
        "proj",
      ]);
      expect(m.archivePolicy.name).toBe("low");
      expect((await fail(createMetric(db(), { name: "a/b" }, null))).message).toBe(
        "'/' is not supported in metric name",
      );
      expect(
        await fail(createMetric(db(), { name: "a/b", archivePolicyName: "nope" }, null)),
      ).toBeInstanceOf(InvalidMetricNameError);
      const unit = await fail(createMetric(db(), { unit: "u".repeat(32) }, null));
      expect(unit).toBeInstanceOf(InvalidInputError);
      expect((unit as InvalidInputError).reason).toBe("length of value must be at most 31");
      const r = await createResource(db(), "generic", { id: "res" }, "alice");
      const noName = await fail(createMetric(db(), { resourceId: r.id }, "alice"));
      expect(noName).toBeInstanceOf(MetricNameRequiredError);
      expect((noName as MetricNameRequiredError).description).toEqual({
        cause: "Attribute value error",
        detail: "name",
        reason: "Name cannot be null if resource_id is not null",
      });
      const missing = "00000000-0000-0000-0000-000000000001";
      const nr = await fail(createMetric(db(), { name: "x", resourceId: missing }, "alice"));
      expect(nr).toBeInstanceOf(NoSuchResourceError);
      expect(nr.message).toBe(`Resource ${missing} does not exist`);
      const np = await fail(createMetric(db(), { name: "x", archivePolicyName: "nope" }, "alice"));
      expect(np).toBeInstanceOf(NoSuchArchivePolicyError);
      expect(np.message).toBe("Archive policy nope does not exist");
      await createMetric(db(), { name: "cpu", resourceId: r.id }, "alice");
      const dup = await fail(createMetric(db(), { name: "cpu", resourceId: r.id }, "alice"));
      expect(dup).toBeInstanceOf(NamedMetricAlreadyExistsError);
      expect((dup as NamedMetricAlreadyExistsError).description).toEqual({
        cause: "Named metric already exists",
        detail: "cpu",
      });
      expect(dup.message).toBe("Named metric cpu already exists");
    });

    it("gets with policy and resource, lists with filters, deletes, expunges", async () => {
      const r = await createResource(db(), "generic", { id: "owner", projectId: "p1" }, "bob");
      const a = await createMetric(
        db(),
        { name: "a", resourceId: r.id, unit: "ms", archivePolicyName: "medium" },
        "bob",
      );
      const b = await createMetric(db(), { name: "b" }, "carol");
      const detail = await getMetric(db(), a.id);
      expect(detail.resource?.projectId).toBe("p1");
      expect(detail.resource?.metrics).toBeUndefined();
      expect(detail.archivePolicy.definition.length).toBeGreaterThan(0);
      expect((await getMetric(db(), b.id)).resource).toBeNull();
      expect((await getResourceMetric(db(), r.id, "a")).id).toBe(a.id);
      expect((await fail(getResourceMetric(db(), r.id, "zz"))).message).toBe(
        "Metric zz does not exist",
      );
      expect(
        await fail(getResourceMetric(db(), "00000000-0000-0000-0000-000000000002", "a")),
      ).toBeInstanceOf(NoSuchResourceError);
      expect((await listResourceMetrics(db(), r.id)).map((m) => m.name)).toEqual(["a"]);
      expect((await listMetrics(db(), { creator: "bob" })).map((m) => m.id)).toEqual([a.id]);
      expect(
        (await listMetrics(db(), { unit: "ms", archivePolicyName: "medium" })).map((m) => m.id),
      ).toEqual([a.id]);
      expect((await listMetrics(db(), { resourceId: r.id })).map((m) => m.id)).toEqual([a.id]);
      const all = await listMetrics(db());
      expect(all.map((m) => m.id)).toEqual([...all.map((m) => m.id)].sort());
      const page = await listMetrics(db(), {}, { limit: 1, afterId: all[0]!.id });
      expect(page.map((m) => m.id)).toEqual([all[1]!.id]);

      await deleteMetric(db(), b.id);
      expect((await fail(deleteMetric(db(), b.id))).message).toBe(`Metric ${b.id} does not exist`);
      expect(await findMetric(db(), b.id)).toBeUndefined();
      expect(await fail(getMetric(db(), b.id))).toBeInstanceOf(NoSuchMetricError);
      await deleteResourceMetric(db(), r.id, "a");
      expect(await fail(deleteResourceMetric(db(), r.id, "a"))).toBeInstanceOf(NoSuchMetricError);
      // The name is free again on the resource.
      await createMetric(db(), { name: "a", resourceId: r.id }, "bob");
      const deleted = await listMetrics(db(), { status: "delete" });
      expect(deleted.map((m) => m.id).sort()).toEqual([a.id, b.id].sort());
      expect(deleted.every((m) => m.resourceId === null)).toBe(true);
      const toExpunge = await listMetricsToExpunge(db());
      expect(toExpunge.map((m) => m.id).sort()).toEqual([a.id, b.id].sort());
      expect(
        await expungeMetrics(
          db(),
          toExpunge.map((m) => m.id),
        ),
      ).toBe(2);
      expect(await listMetricsToExpunge(db())).toEqual([]);
    });

    it("refuses a name when no rule matches", async () => {
      const { deleteArchivePolicyRule, createArchivePolicyRule } = await import(
        "../../src/indexer/archive-policy-rule-store.js"
      );
      await deleteArchivePolicyRule(db(), "default");
      try {
        const e = await fail(createMetric(db(), { name: "x" }, null));
        expect(e).toBeInstanceOf(NoArchivePolicyRuleMatchError);
      } finally {
        await createArchivePolicyRule(db(), {
          name: "default",
          metricPattern: "*",
          archivePolicyName: "low",
        });
      }
    });

    it("round-trips hostile names and units", async () => {
      const r = await createResource(db(), "generic", { id: "hostile" }, "h");
      for (const s of HOSTILE_STRINGS) {
        const name = [...s.replaceAll("/", "|")].slice(0, 255).join("");
        const unit = [...s].slice(0, 31).join("");
        // Creators are user names (Gnocchi: 255 characters); btree-indexed.
        const creator = [...s].slice(0, 255).join("");
        const m = await createMetric(db(), { name, unit, resourceId: r.id }, creator);
        const back = (await findMetric(db(), m.id))!;
        expect([back.name, back.unit, back.creator]).toEqual([name, unit, creator]);
        expect((await listMetrics(db(), { name })).map((x) => x.id)).toEqual([m.id]);
        expect((await getResourceMetric(db(), r.id, name)).id).toBe(m.id);
      }
    });
  },
  { upgrade: true },
);
