/**
 * `/v1/metric` (spec rest §5.1–§5.6): the metric.yaml, metric-list.yaml,
 * create-metric-with-resource-id.yaml and base.yaml metric cases, in file
 * order (they build on each other), plus the spec's shapes and error texts.
 */
import { expect, it } from "vitest";
import { createResource } from "../../src/indexer/resource-store.js";
import { describeDrivers } from "../indexer/drivers.js";
import { ADMIN, BASE, harness } from "./helpers.js";

const admin = { authorization: ADMIN };
const adminJson = { authorization: ADMIN, accept: "application/json" };
const json = { accept: "application/json" };
const FOOBAZ = "basic Zm9vYmF6Og==";
const JD = "basic amQ6";

type Obj = Record<string, unknown>;
type Desc = { description: Obj };

describeDrivers(
  "metric API (metric.yaml, create-metric-with-resource-id.yaml)",
  (ctx) => {
    const api = harness(ctx.db);
    let metricId = "";

    it("answers 404 to a metric id that is not a UUID", async () => {
      const res = await api.request("GET", "/v1/metric/foobar");
      expect(res.status).toBe(404);
      expect(await res.text()).toContain("Metric foobar does not exist");
    });

    it("creates the policies and rules of the file", async () => {
      for (const [name, granularity] of [
        ["cookies", "1 second"],
        ["cream", "5 second"],
      ]) {
        const res = await api.request("POST", "/v1/archive_policy", {
          headers: admin,
          body: { name, definition: [{ granularity }] },
        });
        expect(res.status).toBe(201);
      }
      for (const [name, pattern, policy] of [
        ["test_rule", "disk.io.*", "cookies"],
        ["test_ignore_rule", "disk.*", "cream"],
      ]) {
        const res = await api.request("POST", "/v1/archive_policy_rule", {
          headers: admin,
          body: { name, metric_pattern: pattern, archive_policy_name: policy },
        });
        expect(res.status).toBe(201);
      }
    });

    it("lists no metric, and refuses an unknown sort key", async () => {
      const empty = await api.request("GET", "/v1/metric");
      expect(empty.status).toBe(200);
      expect(await empty.text()).toBe("[]");
      const bad = await api.request("GET", "/v1/metric?sort=nonexistent_key:asc");
      expect(bad.status).toBe(400);
      expect(await bad.text()).toContain("Sort key supplied is invalid: nonexistent_key");
    });

    it("creates a metric by rule, the most specific pattern winning", async () => {
      const res = await api.request("POST", "/v1/metric", {
        body: { name: "disk.io.rate", unit: "B/s" },
      });
      expect(res.status).toBe(201);
      const body = (await res.json()) as Obj;
      expect(body).toMatchObject({
        archive_policy_name: "cookies",
        name: "disk.io.rate",
        unit: "B/s",
      });
      expect(res.headers.get("location")).toBe(`${BASE}/v1/metric/${body.id}`);
      expect(Object.keys(body)).toEqual([
        "id",
        "creator",
        "name",
        "unit",
        "resource_id",
        "archive_policy_name",
        "created_by_user_id",
        "created_by_project_id",
      ]);
      expect(body).toMatchObject({
        creator: "foobar",
        resource_id: null,
        created_by_user_id: "foobar",
        created_by_project_id: "",
      });
    });

    it("refuses '/' in a name, a long unit, no matching rule, an unknown policy", async () => {
      const slash = await api.request("POST", "/v1/metric", {
        body: { name: "disk/io/rate", unit: "B/s" },
      });
      expect(slash.status).toBe(400);
      expect(await slash.text()).toContain("'/' is not supported in metric name");

      const unit = await api.request("POST", "/v1/metric", {
        headers: json,
        body: { name: "disk.io.rate", unit: "over_length_unit_over_length_unit" },
      });
      expect(unit.status).toBe(400);
      const d = ((await unit.json()) as Desc).description;
      expect(d.cause).toBe("Invalid input");
      expect(d.reason).toMatch(/^length of value must be at most 31 for dictionary value @ data/);
      expect(d.detail).toEqual(["unit"]);

      const rule = await api.request("POST", "/v1/metric", { body: { name: "volume.io.rate" } });
      expect(rule.status).toBe(400);
      expect(await rule.text()).toContain(
        "No archive policy name specified and no archive policy rule found matching the metric name volume.io.rate",
      );

      const policy = await api.request("POST", "/v1/metric", {
        body: { archive_policy_name: "bad-cookie" },
      });
      expect(policy.status).toBe(400);
      expect(await policy.text()).toContain("Archive policy bad-cookie does not exist");
    });

    it("refuses extra keys, wrong types and a non-JSON content type", async () => {
      const extra = await api.request("POST", "/v1/metric", {
        headers: json,
        body: { archive_policy_name: "cookies", colour: "red" },
      });
      expect(extra.status).toBe(400);
      expect(((await extra.json()) as Desc).description).toMatchObject({
        cause: "Invalid input",
        reason: "extra keys not allowed @ data['colour']",
        detail: ["colour"],
      });
      const typed = await api.request("POST", "/v1/metric", {
        headers: json,
        body: { archive_policy_name: 12 },
      });
      expect(((await typed.json()) as Desc).description.reason).toMatch(/^expected str/);
      const ct = await api.request("POST", "/v1/metric", {
        headers: { "content-type": "plain/text" },
        body: '{"archive_policy_name": "cookies"}',
      });
      expect(ct.status).toBe(415);
      const anon = await api.request("POST", "/v1/metric", {
        headers: { authorization: "" },
        body: { archive_policy_name: "cookies" },
      });
      expect(anon.status).toBe(401);
    });

    it("creates a metric by policy name and shows its detailed shape", async () => {
      const res = await api.request("POST", "/v1/metric", {
        body: { archive_policy_name: "cookies" },
      });
      expect(res.status).toBe(201);
      metricId = ((await res.json()) as Obj).id as string;
      const got = await api.request("GET", `/v1/metric/${metricId}`);
      expect(got.status).toBe(200);
      const body = (await got.json()) as Obj;
      expect(Object.keys(body)).toEqual([
        "id",
        "creator",
        "name",
        "unit",
        "resource",
        "archive_policy",
        "created_by_user_id",
        "created_by_project_id",
      ]);
      expect(body.resource).toBeNull();
      expect(body.archive_policy).toEqual({
        name: "cookies",
        back_window: 0,
        aggregation_methods: expect.arrayContaining(["mean", "min", "max", "sum", "std", "count"]),
        definition: [{ granularity: "0:00:01", points: null, timespan: null }],
      });
      // Any UUID spelling finds it.
      const upper = await api.request("GET", `/v1/metric/${metricId.toUpperCase()}`);
      expect(upper.status).toBe(200);
    });

    it("lists metrics with the full policy", async () => {
      const res = await api.request("GET", "/v1/metric");
      const list = (await res.json()) as Obj[];
      expect(list).toHaveLength(2);
      expect(list.map((m) => (m.archive_policy as Obj).name)).toEqual(["cookies", "cookies"]);
      expect(Object.keys(list[0]!)).toContain("resource_id");
      expect(Object.keys(list[0]!)).not.toContain("resource");
      // Basic mode filters nothing: another user sees them too.
      const other = await api.request("GET", "/v1/metric", { headers: { authorization: FOOBAZ } });
      expect(((await other.json()) as Obj[]).length).toBe(2);
    });

    it("keeps another user's metric to its creator and admin", async () => {
      const other = await api.request("GET", `/v1/metric/${metricId}`, {
        headers: { authorization: FOOBAZ },
      });
      expect(other.status).toBe(403);
      const adm = await api.request("GET", `/v1/metric/${metricId}`, { headers: admin });
      expect(adm.status).toBe(200);
      const del = await api.request("DELETE", `/v1/metric/${metricId}`, {
        headers: { authorization: FOOBAZ },
      });
      expect(del.status).toBe(403);
    });

    it("deletes a metric once, then answers 404", async () => {
      const del = await api.request("DELETE", `/v1/metric/${metricId}`);
      expect(del.status).toBe(204);
      const again = await api.request("DELETE", `/v1/metric/${metricId}`);
      expect(again.status).toBe(404);
      expect(await again.text()).toContain(`Metric ${metricId} does not exist`);
      expect((await api.request("GET", `/v1/metric/${metricId}`)).status).toBe(404);
      expect((await api.request("DELETE", "/v1/metric/foo")).status).toBe(404);
      const deleted = await api.request("GET", "/v1/metric?status=delete");
      expect(((await deleted.json()) as Obj[]).map((m) => m.id)).toEqual([metricId]);
    });

    it("answers 405 to PUT on a metric and on the collection", async () => {
      const one = await api.request("PUT", `/v1/metric/${metricId}`);
      expect(one.status).toBe(405);
      expect(one.headers.get("allow")?.split(", ").sort()).toEqual(["DELETE", "GET", "HEAD"]);
      const all = await api.request("PATCH", "/v1/metric");
      expect(all.status).toBe(405);
    });

    it("creates a metric on a non-UUID resource id (create-metric-with-resource-id.yaml)", async () => {
      await api.request("POST", "/v1/archive_policy", {
        headers: admin,
        body: { name: "medium", definition: [{ granularity: "1 second" }] },
      });
      await createResource(ctx.db(), "generic", { id: "foobar" }, "foobar");
      const res = await api.request("POST", "/v1/metric", {
        headers: json,
        body: { resource_id: "foobar", archive_policy_name: "medium", name: "cpu" },
      });
      expect(res.status).toBe(201);
      expect(await res.json()).toMatchObject({
        archive_policy_name: "medium",
        resource_id: "2fbfbb20-8d56-5e1e-afb9-b3007da11fdf",
        creator: "foobar",
        name: "cpu",
      });

      const dup = await api.request("POST", "/v1/metric", {
        headers: json,
        body: { resource_id: "foobar", archive_policy_name: "medium", name: "cpu" },
      });
      expect(dup.status).toBe(400);
      expect(((await dup.json()) as Desc).description).toEqual({
        cause: "Named metric already exists",
        detail: "cpu",
      });

      const noName = await api.request("POST", "/v1/metric", {
        headers: json,
        body: { resource_id: "foobar", archive_policy_name: "medium" },
      });
      expect(noName.status).toBe(400);
      expect(((await noName.json()) as Desc).description).toEqual({
        cause: "Attribute value error",
        detail: "name",
        reason: "Name cannot be null if resource_id is not null",
      });
    });

    it("refuses an unknown resource (404), another user's (403) and a bad id (400)", async () => {
      const unknown = await api.request("POST", "/v1/metric", {
        body: { resource_id: "nothere", archive_policy_name: "medium", name: "cpu" },
      });
      expect(unknown.status).toBe(404);
      expect(await unknown.text()).toContain("Resource ");
      // foobaz's "foobar" is another UUID; the real one is foobar's.
      const theirs = await api.request("POST", "/v1/metric", {
        headers: { authorization: FOOBAZ },
        body: {
          resource_id: "2fbfbb20-8d56-5e1e-afb9-b3007da11fdf",
          archive_policy_name: "medium",
          name: "mem",
        },
      });
      expect(theirs.status).toBe(403);
      const slash = await api.request("POST", "/v1/metric", {
        headers: json,
        body: { resource_id: "a/b", archive_policy_name: "medium", name: "mem" },
      });
      expect(slash.status).toBe(400);
      expect(((await slash.json()) as Desc).description).toMatchObject({
        reason: "'/' is not supported in resource id for dictionary value @ data['resource_id']",
        detail: ["resource_id"],
      });
    });

    it("shows the resource of an attached metric in the detailed shape", async () => {
      const list = (await (
        await api.request("GET", "/v1/metric?name=cpu", { headers: admin })
      ).json()) as Obj[];
      expect(list).toHaveLength(1);
      const got = (await (await api.request("GET", `/v1/metric/${list[0]!.id}`)).json()) as {
        resource: Obj;
      };
      expect(got.resource).toMatchObject({
        id: "2fbfbb20-8d56-5e1e-afb9-b3007da11fdf",
        type: "generic",
        original_resource_id: "foobar",
        creator: "foobar",
      });
      expect(got.resource).not.toHaveProperty("metrics");
    });
  },
  { upgrade: { createDefaultPolicies: false } },
);

describeDrivers(
  "metric list (metric-list.yaml)",
  (ctx) => {
    const api = harness(ctx.db);
    const ids: Record<string, string> = {};

    it("creates four metrics as three users", async () => {
      for (const name of ["first_archive", "second_archive"]) {
        const res = await api.request("POST", "/v1/archive_policy", {
          headers: admin,
          body: { name, definition: [{ granularity: "1 second" }] },
        });
        expect(res.status).toBe(201);
      }
      const create = async (
        key: string,
        user: string | undefined,
        body: Record<string, string>,
      ) => {
        const res = await api.request("POST", "/v1/metric", {
          headers: user === undefined ? {} : { authorization: user },
          body,
        });
        expect(res.status).toBe(201);
        ids[key] = ((await res.json()) as Obj).id as string;
      };
      await create("1", undefined, {
        name: "disk.io.rate",
        unit: "B/s",
        archive_policy_name: "first_archive",
      });
      await create("2", FOOBAZ, {
        name: "disk.io.rate",
        unit: "B/s",
        archive_policy_name: "first_archive",
      });
      await create("3", JD, { name: "cpu_util", unit: "%", archive_policy_name: "first_archive" });
      await create("4", undefined, {
        name: "cpu",
        unit: "ns",
        archive_policy_name: "second_archive",
      });
      const all = (await (await api.request("GET", "/v1/metric")).json()) as Obj[];
      expect(all).toHaveLength(4);
      // Default order: id ascending.
      expect(all.map((m) => m.id)).toEqual(Object.values(ids).sort());
    });

    it("filters by id, name, unit, policy and creator", async () => {
      const list = async (query: string, headers: Record<string, string> = admin) =>
        (await (await api.request("GET", `/v1/metric?${query}`, { headers })).json()) as Obj[];
      const byId = await list(`id=${ids["1"]}`, {});
      expect(byId).toHaveLength(1);
      expect(byId[0]).toMatchObject({ name: "disk.io.rate" });
      expect((byId[0]!.archive_policy as Obj).name).toBe("first_archive");
      expect(await list("id=not-a-uuid")).toEqual([]);
      expect((await list("name=disk.io.rate")).map((m) => m.name)).toEqual([
        "disk.io.rate",
        "disk.io.rate",
      ]);
      const byUnit = await list("unit=ns", {});
      expect(byUnit.map((m) => m.name)).toEqual(["cpu"]);
      expect((byUnit[0]!.archive_policy as Obj).name).toBe("second_archive");
      expect(await list("creator=jd")).toHaveLength(1);
      expect(await list("creator=foobaz")).toHaveLength(1);
      // Legacy user_id/project_id become a creator "<user>:<project>".
      expect(await list("user_id=foobaz")).toHaveLength(0);
      expect(await list("unknown_param=1")).toHaveLength(4);
      const bad = await api.request("GET", "/v1/metric?status=gone", { headers: adminJson });
      expect(bad.status).toBe(400);
    });

    it("sorts, pages with a Link header and follows the marker", async () => {
      const res = await api.request(
        "GET",
        "/v1/metric?archive_policy_name=first_archive&sort=name:desc",
        { headers: admin },
      );
      const all = (await res.json()) as Obj[];
      expect(all.map((m) => m.name)).toEqual(["disk.io.rate", "disk.io.rate", "cpu_util"]);
      expect(res.headers.get("link")).toBeNull();

      const page1 = await api.request(
        "GET",
        "/v1/metric?archive_policy_name=first_archive&sort=name:desc&limit=2",
        { headers: admin },
      );
      const first = (await page1.json()) as Obj[];
      expect(first.map((m) => m.name)).toEqual(["disk.io.rate", "disk.io.rate"]);
      expect(page1.headers.get("link")).toBe(
        `<${BASE}/v1/metric?archive_policy_name=first_archive&limit=2&marker=${first[1]!.id}&sort=name%3Adesc>; rel="next"`,
      );
      const page2 = await api.request(
        "GET",
        `/v1/metric?archive_policy_name=first_archive&limit=2&marker=${first[1]!.id}&sort=name:desc`,
        { headers: admin },
      );
      expect(((await page2.json()) as Obj[]).map((m) => m.name)).toEqual(["cpu_util"]);
      const badMarker = await api.request("GET", "/v1/metric?marker=nope");
      expect(badMarker.status).toBe(400);
      expect(await badMarker.text()).toContain("Invalid marker: `nope'");
      const badLimit = await api.request("GET", "/v1/metric?limit=-2", { headers: json });
      expect(badLimit.status).toBe(400);
    });

    it("clamps to max_limit (7) and links to the next page", async () => {
      for (let i = 0; i < 6; i++) {
        await api.request("POST", "/v1/metric", { body: { archive_policy_name: "first_archive" } });
      }
      const res = await api.request("GET", "/v1/metric?limit=50");
      const page = (await res.json()) as Obj[];
      expect(page).toHaveLength(7);
      expect(res.headers.get("link")).toBe(
        `<${BASE}/v1/metric?limit=7&marker=${page[6]!.id}&sort=id%3Aasc>; rel="next"`,
      );
      const rest = await api.request("GET", `/v1/metric?marker=${page[6]!.id}`);
      expect(((await rest.json()) as Obj[]).length).toBe(3);
    });
  },
  { upgrade: { createDefaultPolicies: false } },
);
