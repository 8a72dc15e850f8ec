/** `/v1/archive_policy_rule` (spec rest §4): the upstream archive-rule.yaml, in order. */
import { expect, it } from "vitest";
import { describeDrivers } from "../indexer/drivers.js";
import { ADMIN, BASE, harness } from "./helpers.js";

const admin = { authorization: ADMIN };

describeDrivers(
  "archive policy rule API (archive-rule.yaml)",
  (ctx) => {
    const api = harness(ctx.db);
    const rule = (body: unknown, headers: Record<string, string> = admin) =>
      api.request("POST", "/v1/archive_policy_rule", { headers, body });

    it("creates rules", async () => {
      const policy = await api.request("POST", "/v1/archive_policy", {
        headers: admin,
        body: { name: "low", definition: [{ granularity: "1 hour" }] },
      });
      expect(policy.status).toBe(201);
      for (const [name, pattern] of [
        ["test_rule1", "*"],
        ["test_rule2", "disk.foo.*"],
        ["test_rule3", "disk.*"],
      ] as const) {
        const res = await rule({ name, metric_pattern: pattern, archive_policy_name: "low" });
        expect(res.status).toBe(201);
        expect(res.headers.get("location")).toBe(`${BASE}/v1/archive_policy_rule/${name}`);
        expect(await res.json()).toEqual({
          name,
          metric_pattern: pattern,
          archive_policy_name: "low",
        });
      }
    });

    it("refuses invalid rules", async () => {
      expect((await rule({ name: "test_rule", metric_pattern: "disk.foo.*" })).status).toBe(400);
      const unknown = await rule(
        { name: "test_rule", archive_policy_name: "not-exists", metric_pattern: "disk.foo.*" },
        { ...admin, accept: "application/json" },
      );
      expect(unknown.status).toBe(400);
      expect(await unknown.json()).toMatchObject({
        code: 400,
        description: { cause: "Archive policy does not exist", detail: "not-exists" },
      });
      const body = { name: "x", metric_pattern: "disk.foo.*", archive_policy_name: "low" };
      expect((await rule(body, {})).status).toBe(403);
      const wrongType = await api.request("POST", "/v1/archive_policy_rule", {
        headers: { ...admin, "content-type": "text/plain" },
      });
      expect(wrongType.status).toBe(415);
      expect(await wrongType.text()).toContain("Unsupported Media Type");
      const extra = await rule({ whaa: "foobar" }, { ...admin, accept: "application/json" });
      expect(extra.status).toBe(400);
      const json = (await extra.json()) as { description: Record<string, unknown> };
      expect(json.description.cause).toBe("Invalid input");
      expect(json.description.reason).toMatch(/^extra keys not allowed @ data/);
      expect(json.description.detail).toEqual(["whaa"]);
      const dup = await rule({
        name: "test_rule1",
        metric_pattern: "a",
        archive_policy_name: "low",
      });
      expect(dup.status).toBe(409);
      expect(await dup.text()).toContain("Archive policy rule test_rule1 already exists");
    });

    it("lists in matching order and 404s unknown rules", async () => {
      const res = await api.request("GET", "/v1/archive_policy_rule");
      const list = (await res.json()) as { metric_pattern: string }[];
      expect(list.map((r) => r.metric_pattern)).toEqual(["disk.foo.*", "disk.*", "*"]);
      const missing = await api.request("GET", "/v1/archive_policy_rule/foo");
      expect(missing.status).toBe(404);
      expect(await missing.text()).toContain("Archive policy rule foo does not exist");
      const inUse = await api.request("DELETE", "/v1/archive_policy/low", { headers: admin });
      expect(inUse.status).toBe(400);
    });

    it("renames", async () => {
      const noBody = await api.request("PATCH", "/v1/archive_policy_rule/test_rule3", {
        headers: admin,
      });
      expect(noBody.status).toBe(400);
      const renamed = await api.request("PATCH", "/v1/archive_policy_rule/test_rule3", {
        headers: admin,
        body: { name: "test_rule3_renamed" },
      });
      expect(renamed.status).toBe(200);
      const got = await api.request("GET", "/v1/archive_policy_rule/test_rule3_renamed");
      expect(await got.json()).toEqual({
        name: "test_rule3_renamed",
        metric_pattern: "disk.*",
        archive_policy_name: "low",
      });
      expect((await api.request("GET", "/v1/archive_policy_rule/test_rule3")).status).toBe(404);
      const taken = await api.request("PATCH", "/v1/archive_policy_rule/test_rule2", {
        headers: admin,
        body: { name: "test_rule3_renamed" },
      });
      expect(taken.status).toBe(400);
      expect(await taken.text()).toContain(
        "Archive policy rule test_rule2 does not support change: Archive policy rule test_rule3_renamed already exists.",
      );
      const denied = await api.request("PATCH", "/v1/archive_policy_rule/test_rule2", {
        body: { name: "other" },
      });
      expect(denied.status).toBe(403);
    });

    it("deletes (admin only)", async () => {
      expect((await api.request("DELETE", "/v1/archive_policy_rule/test_rule1")).status).toBe(403);
      for (const name of ["test_rule1", "test_rule2", "test_rule3_renamed"]) {
        const res = await api.request("DELETE", `/v1/archive_policy_rule/${name}`, {
          headers: admin,
        });
        expect(res.status).toBe(204);
      }
      const again = await api.request("DELETE", "/v1/archive_policy_rule/test_rule1", {
        headers: admin,
      });
      expect(again.status).toBe(404);
      const utf8 = await api.request(
        "DELETE",
        "/v1/archive_policy_rule/%E2%9C%94%C3%A9%C3%B1%E2%98%83",
        { headers: admin },
      );
      expect(utf8.status).toBe(404);
      expect(await utf8.text()).toContain("Archive policy rule ✔éñ☃ does not exist");
    });
  },
  { upgrade: { createDefaultPolicies: false } },
);
