/**
 * `/v1/resource` (spec rest §8): the upstream resource.yaml and
 * transformedids.yaml cases outside the `/metric` sub-routes, in file order
 * (they build on each other), plus ETag / conditional requests (§8.9).
 */
import { expect, it } from "vitest";
import { describeDrivers } from "../indexer/drivers.js";
import { ADMIN, BASE, harness } from "./helpers.js";

const admin = { authorization: ADMIN };
const PASTA = "basic cGFzdGE6";
const R1 = "f93450f2-d8a5-4d67-9985-02511241e7d1";
const UPPER = "75C44741-CC60-4033-804E-2D3098C7D2E9";
const LOWER = UPPER.toLowerCase();
const USER = "0fbb231484614b1a80131fc22f6afc9c";
const PROJECT = "f3d41b770cc14f0bb94a1d5be9c0e3ea";

type Json = Record<string, unknown>;

describeDrivers(
  "resource API (resource.yaml, transformedids.yaml)",
  (ctx) => {
    const api = harness(ctx.db);
    const json = async (res: Response) => (await res.json()) as Json;

    it("sets up a policy and a rule", async () => {
      const ap = await api.request("POST", "/v1/archive_policy", {
        headers: admin,
        body: { name: "medium", definition: [{ granularity: "1 second" }] },
      });
      expect(ap.status).toBe(201);
      const rule = await api.request("POST", "/v1/archive_policy_rule", {
        headers: admin,
        body: { name: "test_rule", metric_pattern: "disk.io.*", archive_policy_name: "medium" },
      });
      expect(rule.status).toBe(201);
    });

    it("indexes the types, 404s typos and unknown types", async () => {
      const index = await api.request("GET", "/v1/resource", { headers: { authorization: "" } });
      expect(await index.json()).toEqual({ generic: `${BASE}/v1/resource/generic` });
      expect((await api.request("GET", "/v1/resoue")).status).toBe(404);
      const unknown = await api.request("GET", "/v1/resource/foobar");
      expect(unknown.status).toBe(404);
      expect(await unknown.text()).toContain("Resource type foobar does not exist");
    });

    it("lists nothing at first, negotiating Accept", async () => {
      const list = await api.request("GET", "/v1/resource/generic");
      expect(await list.text()).toBe("[]");
      const bad = await api.request("GET", "/v1/resource/generic", {
        headers: { accept: "text/plain" },
      });
      expect(bad.status).toBe(406);
      expect(await bad.text()).toContain("406 Not Acceptable");
      const complex = await api.request("GET", "/v1/resource/generic", {
        headers: { accept: "text/plain, application/json; q=0.8" },
      });
      expect(await complex.text()).toBe("[]");
      const anon = await api.request("GET", "/v1/resource/generic", {
        headers: { authorization: "" },
      });
      expect(anon.status).toBe(401);
    });

    it("creates a generic resource: 201, Location, ETag, 13 keys", async () => {
      const res = await api.request("POST", "/v1/resource/generic", {
        body: {
          id: R1,
          started_at: "2014-01-03T02:02:02.000000",
          user_id: USER,
          project_id: PROJECT,
        },
      });
      expect(res.status).toBe(201);
      expect(res.headers.get("location")).toBe(`${BASE}/v1/resource/generic/${R1}`);
      expect(res.headers.get("content-type")).toMatch(/^application\/json/);
      expect(res.headers.get("etag")).toMatch(/^"[0-9a-f]{40}"$/);
      expect(res.headers.get("last-modified")).toMatch(/ GMT$/);
      const body = await json(res);
      expect(Object.keys(body)).toEqual([
        "id",
        "type",
        "original_resource_id",
        "creator",
        "created_by_user_id",
        "created_by_project_id",
        "user_id",
        "project_id",
        "started_at",
        "ended_at",
        "revision_start",
        "revision_end",
        "metrics",
      ]);
      expect(body).toMatchObject({
        id: R1,
        type: "generic",
        creator: "foobar",
        created_by_user_id: "foobar",
        created_by_project_id: "",
        user_id: USER,
        started_at: "2014-01-03T02:02:02+00:00",
        ended_at: null,
        revision_end: null,
        metrics: {},
      });
    });

    it("refuses a duplicate (409), a wrong content type (415), no body (400)", async () => {
      const dup = await api.request("POST", "/v1/resource/generic", {
        body: { id: R1, started_at: "2014-01-03T02:02:02.000000" },
      });
      expect(dup.status).toBe(409);
      expect(await dup.text()).toContain(`Resource ${R1} already exists`);
      const text = await api.request("POST", "/v1/resource/generic", {
        headers: { "content-type": "text/plain" },
        body: JSON.stringify({ id: R1 }),
      });
      expect(text.status).toBe(415);
      const empty = await api.request("POST", "/v1/resource/generic", {
        headers: { accept: "application/json" },
      });
      expect(empty.status).toBe(400);
      expect((await json(empty)).description).toMatchObject({ cause: "Unable to decode body" });
      const noId = await api.request("POST", "/v1/resource/generic", {
        headers: { accept: "application/json" },
        body: { user_id: "x" },
      });
      expect((await json(noId)).description).toEqual({
        cause: "Invalid input",
        reason: "required key not provided @ data['id']",
        detail: ["id"],
      });
      const badName = await api.request("POST", "/v1/resource/generic", {
        body: { id: "x", metrics: { "disk/iops": { archive_policy_name: "medium" } } },
      });
      expect(badName.status).toBe(400);
      expect(await badName.text()).toContain("'/' is not supported in metric name");
      // resource.yaml: the name is refused before the missing id is noticed.
      const badNameNoId = await api.request("POST", "/v1/resource/generic", {
        body: { metrics: { "disk/iops": { archive_policy_name: "medium" } } },
      });
      expect(badNameNoId.status).toBe(400);
      expect(await badNameNoId.text()).toContain("'/' is not supported in metric name");
      const badDate = await api.request("POST", "/v1/resource/generic", {
        headers: { accept: "application/json" },
        body: { id: "x", started_at: "not a date" },
      });
      expect((await json(badDate)).description).toMatchObject({
        reason: "not a valid value for dictionary value @ data['started_at']",
        detail: ["started_at"],
      });
    });

    let revisionStart = "";
    it("keeps the original id, PATCHes without useless revisions", async () => {
      const created = await api.request("POST", "/v1/resource/generic", {
        body: { id: UPPER, user_id: USER, project_id: PROJECT },
      });
      expect(created.status).toBe(201);
      expect(await json(created)).toMatchObject({
        id: LOWER,
        original_resource_id: UPPER,
        metrics: {},
      });
      const patched = await api.request("PATCH", `/v1/resource/generic/${LOWER}`, {
        body: { user_id: "foobar" },
      });
      expect(patched.status).toBe(200);
      const p1 = await json(patched);
      expect(p1.user_id).toBe("foobar");
      const same = await api.request("PATCH", `/v1/resource/generic/${UPPER}`, {
        body: { user_id: "foobar" },
      });
      const p2 = await json(same);
      expect(p2.user_id).toBe("foobar");
      expect(p2.revision_start).toBe(p1.revision_start);
      revisionStart = p2.revision_start as string;
    });

    it("refuses to patch the id", async () => {
      const res = await api.request("PATCH", `/v1/resource/generic/${UPPER}`, {
        headers: { accept: "application/json" },
        body: { id: "foobar" },
      });
      expect(res.status).toBe(400);
      expect((await json(res)).description).toEqual({
        cause: "Invalid input",
        reason: "extra keys not allowed @ data['id']",
        detail: ["id"],
      });
    });

    it("patches metrics without a revision; the raw body has Python spacing", async () => {
      const res = await api.request("PATCH", `/v1/resource/generic/${UPPER}`, {
        body: { metrics: { "disk.iops": { archive_policy_name: "medium" } } },
      });
      expect(res.status).toBe(200);
      const text = await res.text();
      expect(text).toContain('"disk.iops": ');
      expect(JSON.parse(text).revision_start).toBe(revisionStart);
    });

    it("lists the history with its Link pages", async () => {
      const path = `/v1/resource/generic/${UPPER}/history`;
      const all = await api.request("GET", `${path}?sort=revision_end:asc-nullslast`);
      const list = (await all.json()) as Json[];
      expect(list).toHaveLength(2);
      expect(list[1]!.revision_end).toBeNull();
      expect(Object.keys(list[1]!.metrics as Json)).toEqual(["disk.iops"]);
      expect(list[0]!.revision_end).toBe(list[1]!.revision_start);
      const page1 = await api.request("GET", `${path}?sort=revision_end:asc-nullslast&limit=1`);
      expect((await page1.json()) as Json[]).toHaveLength(1);
      const link = page1.headers.get("link");
      expect(link).toMatch(
        new RegExp(
          `^<${BASE}${path}\\?limit=1&marker=${LOWER}%40\\d+&sort=revision_end%3Aasc-nullslast>; rel="next"$`,
        ),
      );
      const next = link!.slice(1, link!.indexOf(">"));
      const page2 = await api.request("GET", next.slice(BASE.length));
      const rest = (await page2.json()) as Json[];
      expect(rest).toHaveLength(1);
      expect(rest[0]!.revision_end).toBeNull();
      expect(page2.headers.get("link")).toMatch(/marker=75c44741-cc60-4033-804e-2d3098c7d2e9%40-1/);
      for (const method of ["POST", "DELETE"]) {
        expect((await api.request(method, path)).status).toBe(405);
      }
    });

    it("refuses bad metric references atomically", async () => {
      const path = `/v1/resource/generic/${UPPER}`;
      const cases: [unknown, string][] = [
        [
          { "disk.iops": "f3d41b77-0cc1-4f0b-b94a-1d5be9c0e3ea" },
          "Metric f3d41b77-0cc1-4f0b-b94a-1d5be9c0e3ea does not exist",
        ],
        [
          { "disk.iops": { archive_policy_name: "noexist" } },
          "Archive policy noexist does not exist",
        ],
        [
          { "disk.iops": {} },
          "No archive policy name specified and no archive policy rule found matching the metric name disk.iops",
        ],
        [{ "disk/iops": { archive_policy_name: "medium" } }, "'/' is not supported in metric name"],
      ];
      for (const [metrics, text] of cases) {
        const res = await api.request("PATCH", path, { body: { user_id: "changed", metrics } });
        expect(res.status).toBe(400);
        expect(await res.text()).toContain(text);
      }
      const after = await json(await api.request("GET", path));
      expect(after.user_id).toBe("foobar");
      expect(Object.keys(after.metrics as Json)).toEqual(["disk.iops"]);
    });

    it("replaces metrics, creating by rule; {} is an existence check", async () => {
      const path = `/v1/resource/generic/${UPPER}`;
      const res = await api.request("PATCH", path, { body: { metrics: { "disk.io.rate": {} } } });
      expect(res.status).toBe(200);
      const metrics = (await json(res)).metrics as Json;
      expect(Object.keys(metrics)).toEqual(["disk.io.rate"]);
      const empty = await api.request("PATCH", path, { body: "{}" });
      expect(empty.status).toBe(200);
      expect(empty.headers.get("etag")).toMatch(/^"/);
      expect((await json(empty)).metrics).toEqual(metrics);
    });

    it("answers PATCH errors: no body, not a dict, unknown resource", async () => {
      const path = `/v1/resource/generic/${UPPER}`;
      const none = await api.request("PATCH", path, { headers: { accept: "application/json" } });
      expect(none.status).toBe(400);
      expect((await json(none)).description).toEqual({
        cause: "Unable to decode body",
        reason: "Expected object or value",
        detail: [],
      });
      const list = await api.request("PATCH", path, {
        headers: { accept: "application/json" },
        body: ["Beer and pickles"],
      });
      expect(list.status).toBe(400);
      const d = (await json(list)).description as Json;
      expect(d.cause).toBe("Invalid input");
      expect(d.reason).toMatch(/^expected a dictionary/);
      expect(d.detail).toEqual([]);
      const missing = await api.request(
        "PATCH",
        "/v1/resource/generic/77777777-CC60-4033-804E-2D3098C7D2E9",
        { body: { user_id: "x" } },
      );
      expect(missing.status).toBe(404);
      const order = await api.request("PATCH", path, {
        body: { ended_at: "2000-01-01T00:00:00" },
      });
      expect(order.status).toBe(400);
      expect(await order.text()).toContain("Start timestamp cannot be after end timestamp");
    });

    it("404s unknown and unconvertible ids", async () => {
      for (const id of ["77777777-CC60-4033-804E-2D3098C7D2E9", "noexist", "a%2Fb"]) {
        const res = await api.request("GET", `/v1/resource/generic/${id}`);
        expect(res.status).toBe(404);
        expect(await res.text()).toContain("The resource could not be found.");
      }
    });

    it("lists with attrs, 13 keys by default", async () => {
      const list = (await (await api.request("GET", "/v1/resource/generic")).json()) as Json[];
      expect(list[0]!.user_id).toBe(USER);
      expect(list.at(-1)!.user_id).toBe("foobar");
      expect(Object.keys(list[0]!)).toHaveLength(13);
      const some = (await (
        await api.request("GET", "/v1/resource/generic?attrs=id&attrs=started_at&attrs=user_id")
      ).json()) as Json[];
      expect(some[0]).toEqual({
        id: list[0]!.id,
        started_at: list[0]!.started_at,
        user_id: list[0]!.user_id,
      });
      expect(Object.keys(some[1]!)).toHaveLength(3);
      const invalid = (await (
        await api.request("GET", "/v1/resource/generic?attrs=id&attrs=foo&attrs=bar")
      ).json()) as Json[];
      expect(invalid[0]).toEqual({ id: list[0]!.id });
      const raw = await (await api.request("GET", "/v1/resource/generic")).text();
      expect(raw).toContain('"type": "generic"');
    });

    it("creates resources with metrics by definition and rule", async () => {
      const post = (body: Json) => api.request("POST", "/v1/resource/generic", { body });
      const base = { user_id: USER, project_id: PROJECT };
      const byNumber = await post({
        id: "85C44741-CC60-4033-804E-2D3098C7D2E9",
        ...base,
        metrics: { "cpu.util": 10 },
      });
      expect(byNumber.status).toBe(400);
      const badPolicy = await post({
        id: "85C44741-CC60-4033-804E-2D3098C7D2E9",
        ...base,
        metrics: { "cpu.util": { archive_policy_name: "noexist" } },
      });
      expect(badPolicy.status).toBe(400);
      const noRule = await post({
        id: "85BABE39-F7F7-455A-877B-62C22E11AA40",
        ...base,
        metrics: { "cpu.util": {} },
      });
      expect(noRule.status).toBe(400);
      expect(await noRule.text()).toContain(
        "No archive policy name specified and no archive policy rule found matching the metric name cpu.util",
      );
      const byRule = await post({
        id: "85BABE39-F7F7-455A-877B-62C22E11AA40",
        ...base,
        metrics: { "disk.io.rate": {} },
      });
      expect(byRule.status).toBe(201);
      const withMetric = await post({
        id: "d13982cb-4cce-4f84-a96e-7581be1e599c",
        ...base,
        metrics: { "disk.util": { archive_policy_name: "medium" } },
      });
      expect(withMetric.status).toBe(201);
      expect((await json(withMetric)).creator).toBe("foobar");
      const bare = await post({
        id: "85C44741-CC60-4033-804E-2D3098C7D2E9",
        metrics: { "cpu.util": { archive_policy_name: "medium" } },
      });
      expect(bare.status).toBe(201);
      const metrics = (await json(bare)).metrics as Json;
      expect(Object.keys(metrics)).toEqual(["cpu.util"]);
      const bad = await post({
        id: "95C44741-CC60-4033-804E-2D3098C7D2E9",
        ...base,
        metrics: { "cpu.util": { archive_policy_name: "medium" } },
        ended_at: "2001-12-15T02:59:43",
        started_at: "2014-12-15T02:59:43",
      });
      expect(bad.status).toBe(400);
      expect(await bad.text()).toContain("Start timestamp cannot be after end timestamp");
    });

    it("deletes one resource (204), then 404", async () => {
      const del = await api.request("DELETE", `/v1/resource/generic/${UPPER}`);
      expect(del.status).toBe(204);
      const again = await api.request(
        "DELETE",
        "/v1/resource/generic/77777777-CC60-4033-804E-2D3098C7D2E9",
      );
      expect(again.status).toBe(404);
    });

    it("batch deletes by JSON filter or filter=, refusing empty filters", async () => {
      const ids = [
        ["f93450f2-aaaa-4d67-9985-02511241e7d1", 1388714522.0],
        ["f93450f2-bbbb-4d67-9985-02511241e7d1", "2014-01-03T02:02:02.000000"],
        ["f93450f2-cccc-4d67-9985-02511241e7d1", "2014-08-04T00:00:00.000000"],
        ["f93450f2-dddd-4d67-9985-02511241e7d1", "2014-08-04T00:00:00.000000"],
        ["f93450f2-eeee-4d67-9985-02511241e7d1", "2015-08-14T00:00:00.000000"],
        ["f93450f2-ffff-4d67-9985-02511241e7d1", "2015-08-14T00:00:00.000000"],
        ["cd09ecce-3e17-4733-ad32-8a6b2034dcfd", "2015-08-14T00:00:00.000000"],
        ["05fde895-cf8a-475c-90a7-a4c8598d935d", "2015-08-14T00:00:00.000000"],
      ] as const;
      for (const [id, started_at] of ids) {
        const res = await api.request("POST", "/v1/resource/generic", {
          body: { id, started_at, user_id: USER, project_id: PROJECT },
        });
        expect(res.status).toBe(201);
        expect((await api.request("GET", `/v1/resource/generic/${id}`)).status).toBe(200);
      }
      const del = (body: unknown, query = "") =>
        api.request("DELETE", `/v1/resource/generic${query}`, { body });
      const empties: unknown[] = [
        { resource_ids: [], attrs: "test" },
        "",
        { in: { id: [] } },
        { in: {} },
        { in: { and: [] } },
        { in: { and: [{ or: [] }, { id: { "=": "" } }] } },
        { and: [] },
        { and: [{ in: { id: [] } }, { started_at: "" }] },
        {},
      ];
      for (const body of empties) expect((await del(body)).status, JSON.stringify(body)).toBe(400);
      const emptyIn = await del({ in: { id: [] } });
      expect(await emptyIn.text()).toContain("length of value must be at least 1");
      const caution = await del("");
      expect(await caution.text()).toContain("caution: the query can not be empty");
      const byDate = await del({ eq: { started_at: "2014-08-04" } });
      expect(await byDate.json()).toEqual({ deleted: 2 });
      const byIds = await del({ in: { id: [ids[0][0], ids[1][0]] } });
      expect(await byIds.json()).toEqual({ deleted: 2 });
      const mixed = await del({
        in: {
          id: [
            ids[4][0],
            ids[5][0],
            "f93450f2-yyyy-4d67-9985-02511241e7d1",
            "f93450f2-xxxx-4d67-9985-02511241e7d1",
          ],
        },
      });
      expect(await mixed.json()).toEqual({ deleted: 2 });
      const none = await del({
        in: {
          id: ["f93450f2-zzzz-4d67-9985-02511241e7d1", "f93450f2-kkkk-4d67-9985-02511241e7d1"],
        },
      });
      expect(await none.json()).toEqual({ deleted: 0 });
      const byString = await del(
        undefined,
        "?filter=id%20in%20%5Bcd09ecce-3e17-4733-ad32-8a6b2034dcfd%2C%2005fde895-cf8a-475c-90a7-a4c8598d935d%5D",
      );
      expect(await byString.json()).toEqual({ deleted: 2 });
    });

    it("answers conditional requests with 304 and 412 (spec §8.9)", async () => {
      const id = "a1b2c3d4-0000-4000-8000-000000000001";
      const created = await api.request("POST", "/v1/resource/generic", { body: { id } });
      const etag = created.headers.get("etag")!;
      const lastModified = created.headers.get("last-modified")!;
      const path = `/v1/resource/generic/${id}`;
      const get = (headers: Record<string, string>) => api.request("GET", path, { headers });
      const got = await get({});
      expect(got.headers.get("etag")).toBe(etag);
      expect(got.headers.get("last-modified")).toBe(lastModified);
      expect((await get({ "if-none-match": etag })).status).toBe(304);
      expect((await get({ "if-none-match": `W/${etag}` })).status).toBe(304);
      expect((await get({ "if-none-match": "*" })).status).toBe(304);
      expect((await get({ "if-none-match": '"other"' })).status).toBe(200);
      expect((await get({ "if-match": etag })).status).toBe(200);
      expect((await get({ "if-match": `W/${etag}` })).status).toBe(412);
      expect((await get({ "if-match": `"other", ${etag}` })).status).toBe(200);
      expect((await get({ "if-match": '"other"' })).status).toBe(412);
      expect((await get({ "if-modified-since": lastModified })).status).toBe(304);
      expect((await get({ "if-modified-since": "Thu, 01 Jan 2004 00:00:00 GMT" })).status).toBe(
        200,
      );
      expect((await get({ "if-modified-since": "garbage" })).status).toBe(200);
      expect((await get({ "if-unmodified-since": "Thu, 01 Jan 2004 00:00:00 GMT" })).status).toBe(
        412,
      );
      expect((await get({ "if-unmodified-since": lastModified })).status).toBe(200);

      const stale = await api.request("PATCH", path, {
        headers: { "if-match": '"other"' },
        body: { user_id: "u" },
      });
      expect(stale.status).toBe(412);
      const star = await api.request("PATCH", path, {
        headers: { "if-none-match": "*" },
        body: { user_id: "u" },
      });
      expect(star.status).toBe(412);
      const ok = await api.request("PATCH", path, {
        headers: { "if-match": etag },
        body: { user_id: "u" },
      });
      expect(ok.status).toBe(200);
      const newTag = ok.headers.get("etag");
      expect(newTag).not.toBe(etag);
      expect((await get({ "if-match": etag })).status).toBe(412);
      expect(
        (await api.request("DELETE", path, { headers: { "if-none-match": "*" } })).status,
      ).toBe(412);
      expect((await api.request("DELETE", path, { headers: { "if-match": newTag! } })).status).toBe(
        204,
      );
      // 404 takes precedence.
      expect((await get({ "if-none-match": "*" })).status).toBe(404);
    });

    it("refuses other users' writes (403) and derives ids per creator", async () => {
      const created = await api.request("POST", "/v1/resource/generic", {
        body: { id: "generic zero", user_id: USER, project_id: PROJECT },
      });
      expect(created.status).toBe(201);
      expect(created.headers.get("location")).toMatch(/\/v1\/resource\/generic\/[a-f0-9-]{36}$/);
      const dup = await api.request("POST", "/v1/resource/generic", {
        body: { id: "generic zero" },
      });
      expect(dup.status).toBe(409);
      const slash = await api.request("POST", "/v1/resource/generic", {
        body: { id: "id-with-/" },
      });
      expect(slash.status).toBe(400);
      expect(await slash.text()).toContain("'/' is not supported in resource id");
      const pasta = await api.request("POST", "/v1/resource/generic", {
        headers: { authorization: PASTA },
        body: { id: "generic zero", metrics: { "cpu.util": { archive_policy_name: "medium" } } },
      });
      expect(pasta.status).toBe(201);
      const pastaJson = await json(pasta);
      expect(pastaJson.creator).toBe("pasta");
      const foobarId = (await json(created)).id;
      expect(pastaJson.id).not.toBe(foobarId);
      const denied = await api.request("PATCH", `/v1/resource/generic/${pastaJson.id}`, {
        body: { user_id: "x" },
      });
      expect(denied.status).toBe(403);
      const read = await api.request("GET", `/v1/resource/generic/${pastaJson.id}`);
      expect(read.status).toBe(403);
    });

    it("addresses a resource by its original id", async () => {
      const created = await api.request("POST", "/v1/resource/generic", {
        body: {
          id: "generic one",
          metrics: { "cpu.util": { archive_policy_name: "medium" } },
        },
      });
      expect(created.status).toBe(201);
      const { id } = await json(created);
      expect((await json(await api.request("GET", "/v1/resource/generic/generic%20one"))).id).toBe(
        id,
      );
      expect((await json(await api.request("GET", `/v1/resource/generic/${id}`))).id).toBe(id);
      const patched = await api.request("PATCH", "/v1/resource/generic/generic%20one", {
        body: { metrics: { cattle: { archive_policy_name: "medium" } } },
      });
      expect(patched.status).toBe(200);
      expect(await patched.text()).toContain('"cattle"');
      expect((await api.request("DELETE", "/v1/resource/generic/generic%20one")).status).toBe(204);
    });

    it("limits transformed ids to 255 characters", async () => {
      const sentence =
        "four score and seven years ago we the people of the United States of America i have a dream it is the courage to continue that counts ";
      const tooLong = (sentence + sentence + sentence).trim();
      const res = await api.request("POST", "/v1/resource/generic", { body: { id: tooLong } });
      expect(res.status).toBe(400);
      expect(await res.text()).toContain(
        "transformable resource id >255 max allowed characters for dictionary value",
      );
      const ok = await api.request("POST", "/v1/resource/generic", {
        body: { id: tooLong.slice(0, 255) },
      });
      expect(ok.status).toBe(201);
    });
  },
  { upgrade: { createDefaultPolicies: false } },
);
