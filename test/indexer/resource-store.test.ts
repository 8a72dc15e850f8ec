import { expect, it } from "vitest";
import { NoArchivePolicyRuleMatchError } from "../../src/carbonara/errors.js";
import {
  createArchivePolicyRule,
  deleteArchivePolicyRule,
} from "../../src/indexer/archive-policy-rule-store.js";
import {
  InvalidMetricNameError,
  NoSuchArchivePolicyError,
  NoSuchMetricError,
  NoSuchResourceError,
  NoSuchResourceTypeError,
  ResourceAlreadyExistsError,
  ResourceTimestampsError,
} from "../../src/indexer/errors.js";
import {
  createMetric,
  findMetric,
  listMetrics,
  listMetricsToExpunge,
} from "../../src/indexer/metric-store.js";
import { resourceETag, resourceLastModified } from "../../src/indexer/resource-etag.js";
import { listResourceHistory, resourceRevisionStart } from "../../src/indexer/resource-history.js";
import { resourceIdFromInput } from "../../src/indexer/resource-id.js";
import { resourceToJSON } from "../../src/indexer/resource-row.js";
import {
  createResource,
  deleteResource,
  deleteResources,
  findResource,
  getResource,
  patchResource,
} from "../../src/indexer/resource-store.js";
import { createResourceType } from "../../src/indexer/resource-type-store.js";
import { describeDrivers } from "./drivers.js";

const fail = (p: Promise<unknown>) =>
  p.then(
    () => expect.fail("did not throw"),
    (e: unknown) => e as Error,
  );
const T = (iso: string) => Date.parse(iso) * 1000;

describeDrivers(
  "resource store",
  ({ db }) => {
    it("creates a generic resource with the 13 keys, the original id and the §0.9 ids", async () => {
      const now = T("2014-01-03T05:00:00Z") + 123456;
      const r = await createResource(
        db(),
        "generic",
        { id: "75C44741-CC60-4033-804E-2D3098C7D2E9", startedAt: T("2014-01-03T02:02:02Z") },
        "foobar",
        { now },
      );
      expect(resourceToJSON(r)).toEqual({
        id: "75c44741-cc60-4033-804e-2d3098c7d2e9",
        type: "generic",
        original_resource_id: "75C44741-CC60-4033-804E-2D3098C7D2E9",
        creator: "foobar",
        created_by_user_id: "foobar",
        created_by_project_id: "",
        user_id: null,
        project_id: null,
        started_at: "2014-01-03T02:02:02+00:00",
        ended_at: null,
        revision_start: "2014-01-03T05:00:00.123456+00:00",
        revision_end: null,
        metrics: {},
      });
      const a = await createResource(db(), "generic", { id: "foobar" }, "foobar");
      expect(a.id).toBe("2fbfbb20-8d56-5e1e-afb9-b3007da11fdf");
      const b = await createResource(db(), "generic", { id: "foobar" }, "admin");
      expect(b.id).toBe("b4d568e4-7af1-5aec-ac3f-9c09fa3685a9");
      const c = await createResource(db(), "generic", { id: "1.2.3.4" }, "foobar");
      expect(c.id).toBe("a9c729cc-d1b0-5e6b-b5ba-8b5a7f45f1fc");
      expect(c.originalResourceId).toBe("1.2.3.4");
      const k = await createResource(db(), "generic", { id: "kk" }, "user:project");
      expect([k.createdByUserId, k.createdByProjectId]).toEqual(["user", "project"]);
      const dup = await fail(createResource(db(), "generic", { id: "foobar" }, "foobar"));
      expect(dup).toBeInstanceOf(ResourceAlreadyExistsError);
      expect(dup.message).toBe("Resource 2fbfbb20-8d56-5e1e-afb9-b3007da11fdf already exists");
      expect((dup as ResourceAlreadyExistsError).description).toEqual({
        cause: "Resource already exists",
        detail: "2fbfbb20-8d56-5e1e-afb9-b3007da11fdf",
      });
      expect(await fail(createResource(db(), "nope", { id: "x" }, null))).toBeInstanceOf(
        NoSuchResourceTypeError,
      );
      const ts = await fail(
        createResource(
          db(),
          "generic",
          { id: "ts", startedAt: T("2014-01-02T00:00:00Z"), endedAt: T("2014-01-01T00:00:00Z") },
          null,
        ),
      );
      expect(ts).toBeInstanceOf(ResourceTimestampsError);
      expect(ts.message).toBe("Start timestamp cannot be after end timestamp");
      expect((await fail(createResource(db(), "generic", { id: "a/b" }, null))).message).toBe(
        "'/' is not supported in resource id",
      );
    });

    it("creates metrics by definition (rule or policy) and by id, with Gnocchi's errors", async () => {
      const m = await createMetric(db(), { archivePolicyName: "low" }, "alice");
      const other = await createMetric(db(), { archivePolicyName: "low" }, "bob");
      const r = await createResource(
        db(),
        "generic",
        {
          id: "with-metrics",
          metrics: {
            "cpu.util": { archivePolicyName: "high", unit: "%" },
            disk: {},
            mine: m.id.toUpperCase(),
          },
        },
        "alice",
      );
      expect(Object.keys(r.metrics!).sort()).toEqual(["cpu.util", "disk", "mine"]);
      expect(r.metrics!.mine).toBe(m.id);
      const cpu = (await findMetric(db(), r.metrics!["cpu.util"]!))!;
      expect([cpu.archivePolicyName, cpu.unit, cpu.creator, cpu.resourceId]).toEqual([
        "high",
        "%",
        "alice",
        r.id,
      ]);
      expect((await findMetric(db(), r.metrics!.disk!))!.archivePolicyName).toBe("low");
      const attached = (await findMetric(db(), m.id))!;
      expect([attached.name, attached.resourceId]).toEqual(["mine", r.id]);

      // Another creator's metric is "not found"; nothing of the failed create remains.
      const e = await fail(
        createResource(db(), "generic", { id: "steal", metrics: { x: other.id, y: {} } }, "alice"),
      );
      expect(e).toBeInstanceOf(NoSuchMetricError);
      expect(e.message).toBe(`Metric ${other.id} does not exist`);
      expect(
        await findResource(db(), "generic", resourceIdFromInput("steal", "alice")),
      ).toBeUndefined();
      expect(
        await fail(createResource(db(), "generic", { id: "bad", metrics: { "a/b": {} } }, "alice")),
      ).toBeInstanceOf(InvalidMetricNameError);
      expect(
        await fail(
          createResource(
            db(),
            "generic",
            { id: "bad", metrics: { a: { archivePolicyName: "nope" } } },
            "alice",
          ),
        ),
      ).toBeInstanceOf(NoSuchArchivePolicyError);
      await deleteArchivePolicyRule(db(), "default");
      try {
        const n = await fail(
          createResource(db(), "generic", { id: "bad", metrics: { a: {} } }, "alice"),
        );
        expect(n).toBeInstanceOf(NoArchivePolicyRuleMatchError);
      } finally {
        await createArchivePolicyRule(db(), {
          name: "default",
          metricPattern: "*",
          archivePolicyName: "low",
        });
      }
    });

    it("PATCH makes a revision only when a non-metrics value changes", async () => {
      await createResourceType(db(), "instance", {
        host: { type: "string" },
        size: { type: "number", required: false },
        at: { type: "datetime", required: false },
      });
      const t0 = T("2020-01-01T00:00:00Z");
      const r = await createResource(
        db(),
        "instance",
        {
          id: "i1",
          attributes: { host: "h1", at: "2020-01-01T00:00:00Z" },
          userId: "u",
          metrics: { cpu: {} },
        },
        "alice",
        { now: t0 },
      );
      // Identical values, and metrics only: no revision.
      const same = await patchResource(
        db(),
        "instance",
        r.id,
        { userId: "u", attributes: { host: "h1", at: 1577836800 } },
        { now: t0 + 5 },
      );
      expect(same.revisionStart).toBe(t0);
      const cpu = r.metrics!.cpu!;
      const m2 = await patchResource(
        db(),
        "instance",
        r.id,
        { metrics: { mem: {} } },
        { now: t0 + 6 },
      );
      expect(m2.revisionStart).toBe(t0);
      expect(Object.keys(m2.metrics!)).toEqual(["mem"]);
      const detached = (await findMetric(db(), cpu))!;
      expect([detached.resourceId, detached.status, detached.name]).toEqual([
        null,
        "active",
        "cpu",
      ]);
      expect((await listResourceHistory(db(), "instance", r.id)).length).toBe(1);

      const t1 = t0 + 1_000_000;
      const changed = await patchResource(
        db(),
        "instance",
        r.id,
        { attributes: { host: "h2", size: 3 }, projectId: "p" },
        { now: t1 },
      );
      expect(changed.revisionStart).toBe(t1);
      expect(changed.attributes).toMatchObject({
        host: "h2",
        size: 3,
        at: "2020-01-01T00:00:00+00:00",
      });
      const t2 = t1 + 1_000_000;
      await patchResource(db(), "instance", r.id, { endedAt: t2 }, { now: t2 });
      const history = await listResourceHistory(db(), "instance", r.id);
      expect(history.map((h) => [h.revision > 0, h.revisionStart, h.revisionEnd])).toEqual([
        [true, t0, t1],
        [true, t1, t2],
        [false, t2, null],
      ]);
      expect(history[0]!.revision).toBeLessThan(history[1]!.revision);
      expect(history.map((h) => h.attributes.host)).toEqual(["h1", "h2", "h2"]);
      expect(history.map((h) => h.projectId)).toEqual([null, "p", "p"]);
      expect(history[2]!.metrics).toEqual(m2.metrics);
      // The generic view sees it with generic columns only; details gives the attributes.
      expect((await getResource(db(), "generic", r.id)).attributes).toEqual({});
      expect((await getResource(db(), "generic", r.id, { details: true })).attributes.host).toBe(
        "h2",
      );
      expect((await listResourceHistory(db(), "generic", r.id)).length).toBe(3);
      // A generic resource is not found under a custom type.
      const g = await createResource(db(), "generic", { id: "g1" }, "alice");
      expect(await fail(getResource(db(), "instance", g.id))).toBeInstanceOf(NoSuchResourceError);
      expect(await fail(patchResource(db(), "instance", g.id, { userId: "x" }))).toBeInstanceOf(
        NoSuchResourceError,
      );
      // PATCH through generic still writes the custom history row.
      await patchResource(db(), "generic", r.id, { userId: "v" });
      const h2 = await listResourceHistory(db(), "instance", r.id);
      expect(h2.map((h) => h.attributes.host)).toEqual(["h1", "h2", "h2", "h2"]);
      expect(
        await fail(patchResource(db(), "instance", r.id, { startedAt: t2 + 1 })),
      ).toBeInstanceOf(ResourceTimestampsError);
      expect(
        (await fail(patchResource(db(), "generic", r.id, { attributes: { host: "x" } }))).message,
      ).toContain("extra keys not allowed");
      // Atomic: a bad metric leaves the resource as it was.
      await fail(
        patchResource(db(), "instance", r.id, {
          userId: "zzz",
          metrics: { bad: { archivePolicyName: "nope" } },
        }),
      );
      expect((await getResource(db(), "instance", r.id)).userId).toBe("v");
      expect(Object.keys((await getResource(db(), "instance", r.id)).metrics!)).toEqual(["mem"]);
    });

    it("gives the ETag and Last-Modified inputs", async () => {
      const r = await createResource(db(), "generic", { id: "etag" }, "alice", {
        now: T("2014-01-03T05:00:00Z") + 5,
      });
      const rev = (await resourceRevisionStart(db(), r.id))!;
      expect(rev.revisionStart).toBe(r.revisionStart);
      expect(resourceETag(r.id, rev.revisionStart)).toMatch(/^"[0-9a-f]{40}"$/);
      expect(resourceLastModified(rev.revisionStart).toISOString()).toBe(
        "2014-01-03T05:00:00.000Z",
      );
      const p = await patchResource(db(), "generic", r.id, { userId: "x" });
      expect(resourceETag(p.id, p.revisionStart)).not.toBe(resourceETag(r.id, r.revisionStart));
    });

    it("deletes a resource (metrics marked delete and detached) and batches by filter", async () => {
      const r = await createResource(
        db(),
        "generic",
        { id: "del", metrics: { a: {}, b: {} } },
        "alice",
      );
      await deleteResource(db(), "generic", r.id);
      expect(await findResource(db(), "generic", r.id)).toBeUndefined();
      const gone = await listMetrics(db(), { status: "delete", ids: Object.values(r.metrics!) });
      expect(gone.map((m) => m.resourceId)).toEqual([null, null]);
      expect((await listMetricsToExpunge(db())).map((m) => m.id)).toEqual(
        expect.arrayContaining(Object.values(r.metrics!)),
      );
      expect(await fail(deleteResource(db(), "generic", r.id))).toBeInstanceOf(NoSuchResourceError);

      await createResourceType(db(), "batch", { color: { type: "string" } });
      for (const [i, color] of ["red", "red", "blue"].entries()) {
        await createResource(
          db(),
          "batch",
          { id: `b${i}`, attributes: { color }, metrics: { m: {} } },
          "alice",
        );
      }
      expect(await deleteResources(db(), "batch", { sql: "x.a1 = $1", params: ["red"] })).toBe(2);
      expect(await deleteResources(db(), "batch", (p) => `r.creator = ${p("nobody")}`)).toBe(0);
      expect(
        await deleteResources(db(), "generic", {
          sql: "r.original_resource_id = $1",
          params: ["b2"],
        }),
      ).toBe(1);
    });
  },
  { upgrade: true },
);
