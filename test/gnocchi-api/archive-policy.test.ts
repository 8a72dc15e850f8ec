/**
 * `/v1/archive_policy` (spec rest §3): the upstream archive.yaml cases that
 * need no metrics, in file order (they build on each other), plus the
 * spec's derived-value and error-text examples.
 */
import { expect, it } from "vitest";
import { describeDrivers } from "../indexer/drivers.js";
import { ADMIN, BASE, harness } from "./helpers.js";

const admin = { authorization: ADMIN };
const adminJson = { authorization: ADMIN, accept: "application/json" };

describeDrivers(
  "archive policy API (archive.yaml)",
  (ctx) => {
    const api = harness(ctx.db);

    it("lists no policy at first, as JSON", async () => {
      const res = await api.request("GET", "/v1/archive_policy");
      expect(res.status).toBe(200);
      expect(res.headers.get("content-type")).toMatch(/application\/json/);
      expect(await res.text()).toBe("[]");
    });

    it("answers 406 to text/plain and text/html only clients", async () => {
      for (const accept of ["text/plain", "text/html"]) {
        const res = await api.request("GET", "/v1/archive_policy", { headers: { accept } });
        expect(res.status).toBe(406);
        expect(await res.text()).toContain("406 Not Acceptable");
      }
      const ok = await api.request("GET", "/v1/archive_policy", {
        headers: { accept: "text/plain, application/json; q=0.8" },
      });
      expect(ok.status).toBe(200);
    });

    it("refuses a non-JSON content type with 415", async () => {
      const res = await api.request("POST", "/v1/archive_policy", {
        headers: { ...admin, "content-type": "text/plain" },
      });
      expect(res.status).toBe(415);
      expect(await res.text()).toContain("Unsupported Media Type");
    });

    it("answers 405 with Allow to a wrong method", async () => {
      const res = await api.request("PUT", "/v1/archive_policy", { headers: admin });
      expect(res.status).toBe(405);
      expect(res.headers.get("allow")?.split(", ").sort()).toEqual(["GET", "HEAD", "POST"]);
    });

    it("checks the admin role (403) before validating, and identity (401) first", async () => {
      const body = { name: "medium", definition: [{ granularity: "1 second" }] };
      expect((await api.request("POST", "/v1/archive_policy", { body })).status).toBe(403);
      const bad = await api.request("POST", "/v1/archive_policy", {
        body: { definition: [{ granularity: "1 second", points: 20 }] },
      });
      expect(bad.status).toBe(403);
      expect(await bad.text()).toContain("Access was denied to this resource");
      const anon = await api.request("POST", "/v1/archive_policy", {
        headers: { authorization: "" },
        body,
      });
      expect(anon.status).toBe(401);
    });

    it.each([
      [{ cowsay: "moo" }, /^extra keys not allowed @ data\['cowsay'\]/, ["cowsay"]],
      [{ name: "medium" }, /^required key not provided/, ["definition"]],
      [{ name: "medium", definition: [] }, /^length of value must be at least 1/, ["definition"]],
      [{ name: "somename", definition: "foobar" }, /^expected a list/, ["definition"]],
      [
        { name: "medium", definition: [{ cowsay: "moo" }] },
        /^extra keys not allowed/,
        ["definition", "0", "cowsay"],
      ],
      [
        { name: "complex", definition: [{ granularity: 0, points: 60 }] },
        /^Timespan must be positive for dictionary value/,
        ["definition", "0", "granularity"],
      ],
      [
        { name: "complex", definition: [{ granularity: 10, points: 0 }] },
        /^value must be at least 1 for dictionary value/,
        ["definition", "0", "points"],
      ],
    ])("rejects invalid input %j", async (body, reason, detail) => {
      const res = await api.request("POST", "/v1/archive_policy", { headers: adminJson, body });
      expect(res.status).toBe(400);
      const json = (await res.json()) as { code: number; description: Record<string, unknown> };
      expect(json.code).toBe(400);
      expect(json.description.cause).toBe("Invalid input");
      expect(json.description.reason).toMatch(reason);
      expect(json.description.detail).toEqual(detail);
    });

    it("reports an undecodable body", async () => {
      const res = await api.request("POST", "/v1/archive_policy", {
        headers: adminJson,
        body: '{"name": ',
      });
      expect(res.status).toBe(400);
      const json = (await res.json()) as { description: Record<string, unknown> };
      expect(json.description.cause).toBe("Unable to decode body");
      expect(json.description.detail).toEqual(['{"name": ']);
    });

    it("creates a policy with a prefixed Location", async () => {
      const res = await api.request("POST", "/v1/archive_policy", {
        headers: admin,
        body: {
          name: "medium",
          definition: [{ granularity: "1 second", points: 20 }, { granularity: "2 second" }],
        },
      });
      expect(res.status).toBe(201);
      expect(res.headers.get("location")).toBe(`${BASE}/v1/archive_policy/medium`);
      const got = await api.request("GET", "/v1/archive_policy/medium");
      expect(got.headers.get("content-type")).toMatch(/application\/json/);
      const json = (await got.json()) as { name: string; definition: unknown[] };
      expect(json.name).toBe("medium");
      expect(json.definition).toEqual([
        { granularity: "0:00:01", points: 20, timespan: "0:00:20" },
        { granularity: "0:00:02", points: null, timespan: null },
      ]);
      const text = await api.request("GET", "/v1/archive_policy/medium", {
        headers: { accept: "text/plain" },
      });
      expect(text.status).toBe(406);
    });

    it("refuses definition changes other than points/timespan", async () => {
      const patch = (definition: unknown) =>
        api.request("PATCH", "/v1/archive_policy/medium", { headers: admin, body: { definition } });
      let res = await patch([
        { granularity: "1 second", points: 50, timespan: "1 hour" },
        { granularity: "2 second" },
      ]);
      expect(res.status).toBe(400);
      expect(await res.text()).toContain("timespan ≠ granularity × points");
      res = await patch([{ granularity: "1 second", points: 50 }]);
      expect(res.status).toBe(400);
      expect(await res.text()).toContain(
        "Archive policy medium does not support change: Cannot add or drop granularities",
      );
      res = await patch([{ granularity: "5 second", points: 20 }, { granularity: "2 second" }]);
      expect(res.status).toBe(400);
      expect(await res.text()).toContain(
        "Archive policy medium does not support change: 1.0 granularity interval was changed",
      );
      res = await patch([{ granularity: "1 second", points: 50 }, { granularity: "2 second" }]);
      expect(res.status).toBe(200);
      const json = (await res.json()) as { definition: unknown[] };
      expect(json.definition[0]).toEqual({
        granularity: "0:00:01",
        points: 50,
        timespan: "0:00:50",
      });
      const again = (await (await api.request("GET", "/v1/archive_policy/medium")).json()) as {
        definition: unknown[];
      };
      expect(again.definition[0]).toEqual({
        granularity: "0:00:01",
        points: 50,
        timespan: "0:00:50",
      });
    });

    it("answers 404 to PATCH of a missing policy and 403 to non-admins", async () => {
      const missing = await api.request("PATCH", "/v1/archive_policy/nope", {
        headers: admin,
        body: { definition: [{ granularity: 1 }] },
      });
      expect(missing.status).toBe(404);
      expect(await missing.text()).toContain("Archive policy nope does not exist");
      const denied = await api.request("PATCH", "/v1/archive_policy/medium", {
        body: { definition: [{ granularity: 1 }] },
      });
      expect(denied.status).toBe(403);
    });

    it("answers 405 to POST and PUT on a policy", async () => {
      expect((await api.request("POST", "/v1/archive_policy/medium")).status).toBe(405);
      expect((await api.request("PUT", "/v1/archive_policy/medium")).status).toBe(405);
    });

    it("refuses a duplicate name with 409", async () => {
      const body = { name: "large", definition: [{ granularity: "1 hour" }] };
      const first = await api.request("POST", "/v1/archive_policy", { headers: admin, body });
      expect(first.status).toBe(201);
      expect(first.headers.get("location")).toBe(`${BASE}/v1/archive_policy/large`);
      const dup = await api.request("POST", "/v1/archive_policy", { headers: admin, body });
      expect(dup.status).toBe(409);
      expect(await dup.text()).toContain("Archive policy large already exists");
    });

    it("handles unicode names, percent-encoded in Location", async () => {
      for (const [name, encoded] of [
        ["✔éñ☃", "%E2%9C%94%C3%A9%C3%B1%E2%98%83"],
        ["æ", "%C3%A6"],
      ] as const) {
        const res = await api.request("POST", "/v1/archive_policy", {
          headers: admin,
          body: { name, definition: [{ granularity: "1 minute", points: 20 }] },
        });
        expect(res.status).toBe(201);
        expect(res.headers.get("location")).toBe(`${BASE}/v1/archive_policy/${encoded}`);
        expect(((await res.json()) as { name: string }).name).toBe(name);
        const got = await api.request("GET", `/v1/archive_policy/${encoded}`);
        expect(((await got.json()) as { name: string }).name).toBe(name);
      }
    });

    it("lists with Python JSON separators", async () => {
      const res = await api.request("GET", "/v1/archive_policy");
      const text = await res.text();
      expect(text).toContain('"name": "medium"');
      expect(text).toContain('"name": "large"');
      const list = JSON.parse(text) as { name: string; definition: { points: unknown }[] }[];
      expect(list.find((p) => p.name === "large")?.definition[0]?.points).toBeNull();
    });

    it("deletes (admin only), then 404", async () => {
      expect((await api.request("DELETE", "/v1/archive_policy/medium")).status).toBe(403);
      const del = await api.request("DELETE", "/v1/archive_policy/medium", { headers: admin });
      expect(del.status).toBe(204);
      expect(await del.text()).toBe("");
      expect(del.headers.get("content-type")).toBeNull();
      expect((await api.request("GET", "/v1/archive_policy/medium")).status).toBe(404);
      const missing = await api.request("DELETE", "/v1/archive_policy/grandiose", {
        headers: admin,
      });
      expect(missing.status).toBe(404);
      expect(await missing.text()).toContain("Archive policy grandiose does not exist");
      const enc = "/v1/archive_policy/%E2%9C%94%C3%A9%C3%B1%E2%98%83";
      expect((await api.request("DELETE", enc, { headers: admin })).status).toBe(204);
      const gone = await api.request("DELETE", enc, { headers: admin });
      expect(gone.status).toBe(404);
      expect(await gone.text()).toContain("Archive policy ✔éñ☃ does not exist");
    });

    it("accepts DELETE with Accept: application/json (gnocchiclient)", async () => {
      const res = await api.request("DELETE", "/v1/archive_policy/%C3%A6", {
        headers: { ...admin, accept: "application/json" },
      });
      expect(res.status).toBe(204);
    });

    it.each([
      [
        [{ granularity: "1 second", points: 60, timespan: "0:01:01" }],
        "timespan ≠ granularity × points",
      ],
      [
        [
          { granularity: "1 second", points: 60 },
          { granularity: "1 second", points: 120 },
        ],
        "More than one archive policy uses granularity `1.0'",
      ],
      [[{ granularity: "1 second", timespan: "1 shenanigan" }], "Unable to parse timespan"],
      [[{ granularity: "2 hour", timespan: "1 hour" }], "Calculated number of points is < 0"],
      [[{ points: 10 }], "At least two of granularity/points/timespan must be provided"],
    ])("refuses illogical definition %j", async (definition, text) => {
      const res = await api.request("POST", "/v1/archive_policy", {
        headers: admin,
        body: { name: "complex", definition },
      });
      expect(res.status).toBe(400);
      expect(await res.text()).toContain(text);
    });

    it("refuses an unknown aggregation method", async () => {
      const res = await api.request("POST", "/v1/archive_policy", {
        headers: adminJson,
        body: {
          name: "invalid-agg-method",
          aggregation_methods: ["wtf"],
          definition: [{ granularity: "1 second", timespan: "1 hour" }],
        },
      });
      expect(res.status).toBe(400);
      const json = (await res.json()) as { description: { detail: string[] } };
      expect(json.description.detail).toEqual(["aggregation_methods", "0"]);
    });

    it("creates with back windows, derived points and granularities, rate methods", async () => {
      const create = async (body: object) => {
        const res = await api.request("POST", "/v1/archive_policy", { headers: admin, body });
        expect(res.status).toBe(201);
        return (await res.json()) as {
          back_window: number;
          aggregation_methods: string[];
          definition: { granularity: string; points: number; timespan: string }[];
        };
      };
      let p = await create({
        name: "bw1",
        back_window: 1,
        definition: [{ granularity: "10s", points: 20 }],
      });
      expect(p.back_window).toBe(1);
      expect(p.definition[0]?.timespan).toBe("0:03:20");
      p = await create({
        name: "bw0",
        back_window: 0,
        definition: [{ granularity: 10, points: 20 }],
      });
      expect(p.definition[0]).toEqual({ granularity: "0:00:10", points: 20, timespan: "0:03:20" });
      p = await create({ name: "float-g", definition: [{ timespan: "1 hour", points: 1000 }] });
      expect(p.definition[0]).toEqual({
        granularity: "0:00:03.600000",
        points: 1000,
        timespan: "1:00:00",
      });
      p = await create({
        name: "float-t",
        definition: [{ timespan: "1 hour", granularity: "7s" }],
      });
      expect(p.definition[0]).toEqual({ granularity: "0:00:07", points: 514, timespan: "0:59:58" });
      p = await create({
        name: "rated",
        aggregation_methods: ["rate:mean", "rate:last"],
        definition: [{ timespan: "1 hour", points: 1000 }],
      });
      expect([...p.aggregation_methods].sort()).toEqual(["rate:last", "rate:mean"]);
      p = await create({
        name: "modifiers",
        aggregation_methods: ["-std", "+last"],
        definition: [{ granularity: 60, points: "5" }],
      });
      expect([...p.aggregation_methods].sort()).toEqual(
        ["count", "last", "max", "mean", "min", "sum"].sort(),
      );
      expect(p.definition[0]?.points).toBe(5);
    });

    it("refuses to delete a policy a rule uses", async () => {
      const rule = await api.request("POST", "/v1/archive_policy_rule", {
        headers: admin,
        body: { name: "r", metric_pattern: "*", archive_policy_name: "large" },
      });
      expect(rule.status).toBe(201);
      const res = await api.request("DELETE", "/v1/archive_policy/large", { headers: admin });
      expect(res.status).toBe(400);
      expect(await res.text()).toContain("Archive policy large is still in use");
    });
  },
  { upgrade: { createDefaultPolicies: false } },
);
