/**
 * `POST /v1/search/resource/{type}` (spec rest §9) and resource pagination
 * (§11): the upstream search.yaml cases and the resource half of
 * pagination.yaml, in file order (they build on each other), plus typed
 * searches.
 */
import { expect, it } from "vitest";
import { describeDrivers } from "../indexer/drivers.js";
import { ADMIN, BASE, harness } from "./helpers.js";

const admin = { authorization: ADMIN };
const USER = "0fbb231484614b1a80131fc22f6afc9c";
const PROJECT = "f3d41b770cc14f0bb94a1d5be9c0e3ea";
const A = "faef212f-0bf4-4030-a461-2186fef79be0";
const B = "df7e5e75-6a1d-4ff7-85cb-38eb9d75da7e";

type Json = Record<string, unknown>;

describeDrivers(
  "resource search API (search.yaml)",
  (ctx) => {
    const api = harness(ctx.db);
    const search = (query: string, body?: unknown, headers: Record<string, string> = {}) =>
      api.request("POST", `/v1/search/resource/generic${query}`, { body, headers });
    const found = async (query: string, body?: unknown) =>
      (await (await search(query, body)).json()) as Json[];

    it("404s unknown paths and types, 405s other methods", async () => {
      expect((await api.request("GET", "/v1/search/notexists")).status).toBe(404);
      const typo = await api.request("GET", "/v1/search/resource/foobar");
      expect(typo.status).toBe(404);
      expect(await typo.text()).toContain("Resource type foobar does not exist");
      expect((await api.request("POST", "/v1/search/resource/foobar", { body: {} })).status).toBe(
        404,
      );
      const get = await api.request("GET", "/v1/search/resource/generic");
      expect(get.status).toBe(405);
      expect(get.headers.get("allow")).toBe("POST");
    });

    it("accepts a non-UUID id (derived, so it matches nothing)", async () => {
      const res = await search("", { "=": { id: "cd9eef" } });
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual([]);
    });

    it.each([
      [{ and: { project_id: "foobar" } }, /^expected a list for dictionary value @ data/, ["and"]],
      [{ like: { id: "fa%" } }, /^extra keys not allowed @ data/, ["like", "id"]],
      [{ like: { id: ["fa%"] } }, /^extra keys not allowed @ data/, ["like", "id"]],
      [
        { ne: { project_id: ["foobar"] } },
        /^expected (unicode|str) for dictionary value @ data/,
        ["ne", "project_id"],
      ],
      [
        { not: [{ project_id: "foobar" }] },
        /^expected a dictionary for dictionary value @ data/,
        ["not"],
      ],
    ])("refuses %j with voluptuous's text", async (body, reason, detail) => {
      const res = await search("", body, { accept: "application/json" });
      expect(res.status).toBe(400);
      const d = ((await res.json()) as Json).description as Json;
      expect(d.cause).toBe("Invalid input");
      expect(d.reason).toMatch(reason);
      expect(d.detail).toEqual(detail);
    });

    it("searches with in, eq, like and the string form", async () => {
      for (const id of [A, B]) {
        const res = await api.request("POST", "/v1/resource/generic", {
          body: {
            id,
            started_at: "2014-01-03T02:02:02.000000",
            user_id: USER,
            project_id: PROJECT,
          },
        });
        expect(res.status).toBe(201);
      }
      expect(await found("", { in: { id: [A, B] } })).toHaveLength(2);
      expect(await found("", { eq: { created_by_project_id: PROJECT } })).toHaveLength(0);
      expect(await found("", { eq: { creator: "foobar" } })).toHaveLength(2);
      expect(await found("", { like: { creator: "foo%" } })).toHaveLength(2);
      const invalid = await search("?filter=id%20%3D%3D%20foobar");
      expect(invalid.status).toBe(400);
      expect(await invalid.text()).toContain("Invalid filter: Expected");
      const inList = encodeURIComponent(`id in [${A}, ${B}]`);
      expect(await found(`?filter=${inList}`)).toHaveLength(2);
      expect(await found(`?filter=not%20${inList}`)).toHaveLength(0);
      const emptyIn = await search("", { in: { id: [] } });
      expect(emptyIn.status).toBe(400);
      expect(await emptyIn.text()).toContain("length of value must be at least 1");
      const emptyInString = await search("?filter=id%20in%20%5B%5D");
      expect(emptyInString.status).toBe(400);
      expect(await emptyInString.text()).toContain("length of value must be at least 1");
      expect(await found("", {})).toHaveLength(2);
      expect(await found("")).toHaveLength(2);
    });

    it("pages the search with a Link that keeps the query", async () => {
      const first = await search("?limit=1", {});
      expect(first.headers.get("link")).toBe(
        `<${BASE}/v1/search/resource/generic?limit=1&marker=${A}&sort=revision_start%3Aasc&sort=started_at%3Aasc>; rel="next"`,
      );
      expect((await first.json()) as Json[]).toHaveLength(1);
      const last = await search(`?marker=${A}&sort=revision_start:asc&sort=started_at:asc`, {});
      expect(last.headers.get("link")).toBeNull();
      expect((await last.json()) as Json[]).toHaveLength(1);
    });

    it("matches NULL with ne, selects attrs, refuses unknown attributes and bad values", async () => {
      const res = await api.request("POST", "/v1/resource/generic", {
        body: { id: "95573760-b085-4e69-9280-91f66fc3ed3c", started_at: "2014-01-03T02:02:02" },
      });
      expect(res.status).toBe(201);
      expect(await found("", {})).toHaveLength(3);
      expect(await found("", { ne: { project_id: "foobar" } })).toHaveLength(3);
      const attrs = await found("?attrs=id&attrs=started_at&attrs=user_id", {});
      expect(Object.keys(attrs[0]!)).toEqual(["id", "user_id", "started_at"]);
      expect(Object.keys(attrs[1]!)).toHaveLength(3);
      const invalid = await found("?attrs=id&attrs=foo&attrs=bar", {});
      expect(Object.keys(invalid[0]!)).toEqual(["id"]);
      const all = await found("", {});
      expect(Object.keys(all[0]!)).toHaveLength(13);
      const unknown = await search("", { "=": { nope: 1 } });
      expect(unknown.status).toBe(400);
      expect(await unknown.text()).toContain("Resource type generic has no nope attribute");
      const badValue = await search("", { "=": { started_at: "yesterday-ish" } });
      expect(badValue.status).toBe(400);
      expect(await badValue.text()).toContain(
        "Invalid value: `yesterday-ish' for field `started_at'",
      );
      const badContentType = await search("", "{}", { "content-type": "text/plain" });
      expect(badContentType.status).toBe(415);
      const anon = await search("", {}, { authorization: "" });
      expect(anon.status).toBe(401);
    });

    it("searches a custom type on its attributes, with history", async () => {
      const rt = await api.request("POST", "/v1/resource_type", {
        headers: admin,
        body: {
          name: "instance",
          attributes: { flavor: { type: "string" }, vcpus: { type: "number", required: false } },
        },
      });
      expect(rt.status).toBe(201);
      const id = "6868da77-fa82-4e67-aba9-270c5ae8cbca";
      await api.request("POST", "/v1/resource/instance", {
        body: { id, flavor: "small", vcpus: 1 },
      });
      await api.request("PATCH", `/v1/resource/instance/${id}`, {
        body: { flavor: "large", vcpus: 4 },
      });
      const typed = (q: string, body: unknown) =>
        api.request("POST", `/v1/search/resource/instance${q}`, { body });
      const now = (await (await typed("", { ">=": { vcpus: 2 } })).json()) as Json[];
      expect(now.map((r) => r.flavor)).toEqual(["large"]);
      const past = (await (
        await typed("?history=true", { "=": { flavor: "small" } })
      ).json()) as Json[];
      expect(past).toHaveLength(1);
      expect(past[0]).toMatchObject({ id, vcpus: 1 });
      expect(past[0]!.revision_end).not.toBeNull();
      const str = (await (
        await typed(`?filter=${encodeURIComponent("flavor = 'large' and vcpus > 3")}`, undefined)
      ).json()) as Json[];
      expect(str).toHaveLength(1);
      const sorted = (await (await typed("?history=true&sort=vcpus:desc", {})).json()) as Json[];
      expect(sorted.map((r) => r.vcpus)).toEqual([4, 1]);
      const generic = await found("?details=true", { "=": { id } });
      expect(generic[0]).toMatchObject({ type: "instance", flavor: "large" });
      const genericAttr = await search("", { "=": { flavor: "large" } });
      expect(genericAttr.status).toBe(400);
    });
  },
  { upgrade: { createDefaultPolicies: false } },
);

const P = [
  ["57a9e836-87b8-4a21-9e30-18a474b98fef", "2014-01-01T02:02:02.000000"],
  ["4facbf7e-a900-406d-a828-82393f7006b3", "2014-01-02T02:02:02.000000"],
  ["36775172-ebc9-4060-9870-a649361bc3ab", "2014-01-03T02:02:02.000000"],
  ["28593168-52bb-43b5-a6db-fc2343aac02a", "2014-01-04T02:02:02.000000"],
  ["1e3d5702-2cbf-46e0-ba13-0ddaa3c71150", "2014-01-05T02:02:02.000000"],
] as const;

describeDrivers(
  "resource pagination (pagination.yaml)",
  (ctx) => {
    const api = harness(ctx.db);
    const get = async (path: string) => {
      const res = await api.request("GET", path);
      return { res, rows: res.status === 200 ? ((await res.json()) as Json[]) : [] };
    };
    const ids = (rows: Json[]) => rows.map((r) => r.id);
    const post = async (id: string, started_at: string) => {
      const res = await api.request("POST", "/v1/resource/generic", {
        body: { id, started_at, user_id: USER, project_id: PROJECT },
      });
      expect(res.status).toBe(201);
    };

    it("pages in the default order and by id", async () => {
      for (const [id, at] of P) await post(id, at);
      expect(ids((await get("/v1/resource/generic?limit=2")).rows)).toEqual([P[0][0], P[1][0]]);
      expect(ids((await get(`/v1/resource/generic?limit=4&marker=${P[1][0]}`)).rows)).toEqual([
        P[2][0],
        P[3][0],
        P[4][0],
      ]);
      expect(ids((await get("/v1/resource/generic?limit=2&sort=id")).rows)).toEqual([
        P[4][0],
        P[3][0],
      ]);
      const byId = await get("/v1/resource/generic?limit=2&sort=id:asc");
      expect(byId.res.headers.get("link")).toBe(
        `<${BASE}/v1/resource/generic?limit=2&marker=${P[3][0]}&sort=id%3Aasc>; rel="next"`,
      );
      expect(ids(byId.rows)).toEqual([P[4][0], P[3][0]]);
      expect(
        ids((await get(`/v1/resource/generic?limit=4&sort=id:asc&marker=${P[3][0]}`)).rows),
      ).toEqual([P[2][0], P[1][0], P[0][0]]);
      const searched = await api.request(
        "POST",
        `/v1/search/resource/generic?limit=2&sort=id:asc&marker=${P[2][0]}`,
        {
          body: {
            or: [{ "=": { id: P[2][0] } }, { "=": { id: P[1][0] } }, { "=": { id: P[0][0] } }],
          },
        },
      );
      expect(ids((await searched.json()) as Json[])).toEqual([P[1][0], P[0][0]]);
    });

    it.each([
      "sort=invalid:asc",
      "sort=id:invalid",
      "marker=d44b3f4c-27bc-4ace-b81c-2a8e60026874",
      "limit=-2",
      "limit=invalid",
    ])("refuses %s with 400", async (query) => {
      expect((await get(`/v1/resource/generic?${query}`)).res.status).toBe(400);
    });

    it("defaults to max_limit and pages history with multiple sort keys", async () => {
      await post("465f87b2-61f7-4118-adec-1d96a78af401", "2014-01-02T02:02:02.000000");
      await post("9b6af245-57df-4ed6-a8c0-f64b77d8867f", "2014-01-28T02:02:02.000000");
      await post("d787aa85-5743-4443-84f9-204270bc141a", "2014-01-31T02:02:02.000000");
      const all = await get("/v1/resource/generic");
      expect(all.rows).toHaveLength(7);
      expect(all.rows.at(-1)!.id).toBe("9b6af245-57df-4ed6-a8c0-f64b77d8867f");
      const five = `/v1/resource/generic/${P[4][0]}`;
      for (const ended_at of ["2014-01-30T02:02:02.000000", "2014-01-31T02:02:02.000000"]) {
        expect((await api.request("PATCH", five, { body: { ended_at } })).status).toBe(200);
      }
      const multi = await get(
        "/v1/resource/generic?history=true&sort=id:asc&sort=ended_at:desc-nullslast",
      );
      expect(multi.rows).toHaveLength(7);
      expect(multi.rows.slice(0, 3).map((r) => [r.id, r.ended_at])).toEqual([
        [P[4][0], "2014-01-31T02:02:02+00:00"],
        [P[4][0], "2014-01-30T02:02:02+00:00"],
        [P[4][0], null],
      ]);
      const sorts = "sort=id%3Aasc&sort=ended_at%3Aasc-nullsfirst";
      const page1 = await get(
        "/v1/resource/generic?history=true&sort=id:asc&sort=ended_at:asc-nullsfirst&limit=1",
      );
      const link1 = page1.res.headers.get("link")!;
      const rev1 = /marker=[0-9a-f-]+%40(\d+)&/.exec(link1)![1];
      expect(link1).toBe(
        `<${BASE}/v1/resource/generic?history=true&limit=1&marker=${P[4][0]}%40${rev1}&${sorts}>; rel="next"`,
      );
      expect(page1.rows.map((r) => [r.id, r.ended_at])).toEqual([[P[4][0], null]]);
      const page2 = await get(
        `/v1/resource/generic?history=true&limit=1&marker=${P[4][0]}@${rev1}&sort=id:asc&sort=ended_at:asc-nullsfirst`,
      );
      const link2 = page2.res.headers.get("link")!;
      const rev2 = /marker=[0-9a-f-]+%40(\d+)&/.exec(link2)![1];
      expect(Number(rev2)).toBeGreaterThan(Number(rev1));
      expect(page2.rows.map((r) => r.ended_at)).toEqual(["2014-01-30T02:02:02+00:00"]);
      const page3 = await get(
        `/v1/resource/generic?history=true&marker=${P[4][0]}@${rev2}&sort=id:asc&sort=ended_at:asc-nullsfirst`,
      );
      expect(page3.res.headers.get("link")).toBe(
        `<${BASE}/v1/resource/generic?history=true&limit=7&marker=9b6af245-57df-4ed6-a8c0-f64b77d8867f%40-1&${sorts}>; rel="next"`,
      );
      expect(page3.rows).toHaveLength(7);
      expect(page3.rows[0]).toMatchObject({ id: P[4][0], ended_at: "2014-01-31T02:02:02+00:00" });
    });
  },
  { upgrade: { createDefaultPolicies: false } },
);
