/**
 * Named metrics of a resource, `/v1/resource/{type}/{id}/metric...` (spec
 * rest §8.11): the NamedMetricController cases of resource.yaml, async.yaml
 * and transformedids.yaml. Resources are created through the indexer (the
 * resource routes are another module's), as the files' earlier steps would.
 */
import { expect, it } from "vitest";
import { createResource } from "../../src/indexer/resource-store.js";
import { describeDrivers } from "../indexer/drivers.js";
import { ADMIN, harness } from "./helpers.js";

const admin = { authorization: ADMIN };
const PASTA = "basic cGFzdGE6";
const FOOBAZ = "basic Zm9vYmF6Og==";
const RID = "85C44741-CC60-4033-804E-2D3098C7D2E9";
const rid = RID.toLowerCase();

type Obj = Record<string, unknown>;

describeDrivers(
  "resource metric API (resource.yaml, async.yaml, transformedids.yaml)",
  (ctx) => {
    const api = harness(ctx.db);
    const base = `/v1/resource/generic/${RID}/metric`;

    it("sets up policies, a rule and a resource with a metric", async () => {
      for (const name of ["medium", "moderate"]) {
        const res = await api.request("POST", "/v1/archive_policy", {
          headers: admin,
          body: { name, definition: [{ granularity: "1 second" }] },
        });
        expect(res.status).toBe(201);
      }
      const rule = await api.request("POST", "/v1/archive_policy_rule", {
        headers: admin,
        body: { name: "disks", metric_pattern: "disk.*", archive_policy_name: "medium" },
      });
      expect(rule.status).toBe(201);
      await createResource(
        ctx.db(),
        "generic",
        { id: RID, metrics: { "cpu.util": { archivePolicyName: "medium" } } },
        "foobar",
      );
    });

    it("answers 404 for unknown resources, types and names", async () => {
      const missing = await api.request(
        "GET",
        "/v1/resource/generic/77777777-CC60-4033-804E-2D3098C7D2E9/metric/cpu.util",
      );
      expect(missing.status).toBe(404);
      expect(await missing.text()).toContain(
        "Resource 77777777-cc60-4033-804e-2d3098c7d2e9 does not exist",
      );
      expect((await api.request("GET", "/v1/resource/generic/not.a.uuid/metric")).status).toBe(404);
      const type = await api.request("GET", `/v1/resource/nosuchtype/${RID}/metric`);
      expect(type.status).toBe(404);
      expect(await type.text()).toContain("Resource type nosuchtype does not exist");
      const name = await api.request("POST", `${base}/unknown/measures`, {
        body: [{ timestamp: "2015-03-06T14:33:57", value: 43.1 }],
      });
      expect(name.status).toBe(404);
      expect(await name.text()).toContain("Metric unknown does not exist");
      const slash = await api.request("GET", "/v1/resource/generic/a%2Fb/metric");
      expect(slash.status).toBe(404);
    });

    it("lists the resource's metrics and shows one in the detailed shape", async () => {
      const list = await api.request("GET", base);
      expect(list.status).toBe(200);
      const metrics = (await list.json()) as Obj[];
      expect(metrics).toHaveLength(1);
      expect(metrics[0]).toMatchObject({ name: "cpu.util", resource_id: rid });
      expect((metrics[0]!.archive_policy as Obj).name).toBe("medium");
      const one = await api.request("GET", `${base}/cpu.util`);
      const body = (await one.json()) as Obj;
      expect((body.archive_policy as Obj).name).toBe("medium");
      expect((body.resource as Obj).id).toBe(rid);
      expect((await api.request("GET", base, { headers: { authorization: FOOBAZ } })).status).toBe(
        403,
      );
    });

    it("answers 405 to POST on a named metric", async () => {
      const res = await api.request("POST", `${base}/cpu.util`, { body: {} });
      expect(res.status).toBe(405);
      expect(res.headers.get("allow")?.split(", ").sort()).toEqual(["DELETE", "GET", "HEAD"]);
    });

    it("posts and reads measures by name (async.yaml)", async () => {
      const empty = await api.request("GET", `${base}/cpu.util/measures`);
      expect(await empty.text()).toBe("[]");
      const posted = await api.request("POST", `${base}/cpu.util/measures`, {
        body: [
          { timestamp: "2015-03-06T14:33:57", value: 43.1 },
          { timestamp: "2015-03-06T14:34:12", value: 12 },
        ],
      });
      expect(posted.status).toBe(202);
      expect(posted.headers.get("content-length")).toBe("0");
      const got = await api.request("GET", `${base}/cpu.util/measures?refresh=true`);
      const points = (await got.json()) as [string, number, number][];
      expect(points[0]).toEqual(["2015-03-06T14:33:57+00:00", 1.0, 43.1]);
      expect(points[points.length - 1]![2]).toBe(12);
    });

    it("appends named metrics: 200 with the whole list, 409 on a taken name", async () => {
      const res = await api.request("POST", base, {
        body: { "electron.spin": { archive_policy_name: "medium" } },
      });
      expect(res.status).toBe(200);
      const list = (await res.json()) as Obj[];
      expect(list.map((m) => m.name).sort()).toEqual(["cpu.util", "electron.spin"]);
      expect(list.every((m) => m.resource_id === rid)).toBe(true);

      const noRule = await api.request("POST", base, { body: { "foo.bar": {} } });
      expect(noRule.status).toBe(400);
      expect(await noRule.text()).toContain(
        "No archive policy name specified and no archive policy rule found matching the metric name foo.bar",
      );
      const byRule = await api.request("POST", base, { body: { "disk.io.rate": {} } });
      expect(byRule.status).toBe(200);
      const named = ((await byRule.json()) as Obj[]).find((m) => m.name === "disk.io.rate")!;
      expect(named.resource_id).toBe(rid);
      expect(named.creator).toBe("foobar");

      const dup = await api.request("POST", base, {
        body: { "electron.spin": { archive_policy_name: "medium" } },
      });
      expect(dup.status).toBe(409);
      expect(await dup.text()).toContain("Named metric electron.spin already exists");
      const policy = await api.request("POST", base, {
        body: { "electron.charge": { archive_policy_name: "high" } },
      });
      expect(policy.status).toBe(400);
      expect(await policy.text()).toContain("Archive policy high does not exist");
      const value = await api.request("POST", base, {
        headers: { accept: "application/json" },
        body: { "cpu.other": 10 },
      });
      expect(value.status).toBe(400);
      expect(((await value.json()) as { description: Obj }).description).toEqual({
        cause: "Invalid input",
        reason: "not a valid value for dictionary value @ data['cpu.other']",
        detail: ["cpu.other"],
      });
      // Nothing of a refused request was created.
      const after = (await (await api.request("GET", base)).json()) as Obj[];
      expect(after.map((m) => m.name).sort()).toEqual([
        "cpu.util",
        "disk.io.rate",
        "electron.spin",
      ]);
    });

    it("attaches an existing metric by id, and refuses other users", async () => {
      const created = await api.request("POST", "/v1/metric", {
        body: { archive_policy_name: "medium" },
      });
      const id = ((await created.json()) as Obj).id as string;
      const res = await api.request("POST", base, { body: { "by.id": id } });
      expect(res.status).toBe(200);
      expect(((await res.json()) as Obj[]).find((m) => m.name === "by.id")?.id).toBe(id);
      const denied = await api.request("POST", base, {
        headers: { authorization: FOOBAZ },
        body: { x: { archive_policy_name: "medium" } },
      });
      expect(denied.status).toBe(403);
    });

    it("answers 404 to appends on missing resources", async () => {
      const body = { "some.metric": { archive_policy_name: "medium" } };
      expect(
        (await api.request("POST", "/v1/resource/generic/not.a.uuid/metric", { body })).status,
      ).toBe(404);
      expect(
        (
          await api.request(
            "POST",
            "/v1/resource/generic/d5a5994e-ee90-11e4-88cf-685b35afa334/metric",
            { body },
          )
        ).status,
      ).toBe(404);
    });

    it("deletes a named metric, then answers 404", async () => {
      const del = await api.request("DELETE", `${base}/electron.spin`);
      expect(del.status).toBe(204);
      const again = await api.request("DELETE", `${base}/electron.spin`);
      expect(again.status).toBe(404);
      expect(await again.text()).toContain("Metric electron.spin does not exist");
    });

    it("addresses a resource by its original non-UUID id, per user (transformedids.yaml)", async () => {
      await createResource(
        ctx.db(),
        "generic",
        { id: "generic one", metrics: { cattle: { archivePolicyName: "medium" } } },
        "foobar",
      );
      const path = "/v1/resource/generic/generic%20one/metric";
      const list = (await (await api.request("GET", path)).json()) as Obj[];
      expect(list[0]?.name).toBe("cattle");
      expect(await (await api.request("GET", `${path}/cattle/measures`)).json()).toEqual([]);
      const posted = await api.request("POST", `${path}/cattle/measures`, {
        body: [
          { timestamp: "2015-03-06T14:33:57", value: 43.1 },
          { timestamp: "2015-03-06T14:34:12", value: 12 },
        ],
      });
      expect(posted.status).toBe(202);
      const points = (await (
        await api.request("GET", `${path}/cattle/measures?refresh=true`)
      ).json()) as [string, number, number][];
      expect(points.map((p) => p[2])).toEqual([43.1, 12]);
      // Another user's "generic one" is another UUID: not found.
      const other = await api.request("GET", path, { headers: { authorization: PASTA } });
      expect(other.status).toBe(404);
    });
  },
  { upgrade: { createDefaultPolicies: false } },
);
