/**
 * Resource history (spec rest §8.10, §8.7 `history`): the upstream
 * history.yaml cases in file order, plus `details` on generic listings of
 * typed resources and history of a typed resource seen through `generic`.
 */
import { expect, it } from "vitest";
import { describeDrivers } from "../indexer/drivers.js";
import { ADMIN, harness } from "./helpers.js";

const admin = { authorization: ADMIN };
const ID = "f93450f2-d8a5-4d67-9985-02511241e7d1";
const USER1 = "0fbb231484614b1a80131fc22f6afc9c";
const USER2 = "f53c58a4-fdea-4c09-aac4-02135900be67";
const PROJECT1 = "f3d41b770cc14f0bb94a1d5be9c0e3ea";
const PROJECT2 = "fe20a931-1012-4cc6-addc-39556ec60907";

type Json = Record<string, unknown>;

describeDrivers(
  "resource history API (history.yaml)",
  (ctx) => {
    const api = harness(ctx.db);
    const list = async (path: string) => (await (await api.request("GET", path)).json()) as Json[];

    const expectThreeRevisions = (rows: Json[]) => {
      expect(rows).toHaveLength(3);
      expect(rows.map((r) => [r.id, r.user_id, r.project_id])).toEqual([
        [ID, USER1, PROJECT1],
        [ID, USER2, PROJECT1],
        [ID, USER2, PROJECT2],
      ]);
    };

    it("creates a policy and a resource, patches it twice", async () => {
      const ap = await api.request("POST", "/v1/archive_policy", {
        headers: admin,
        body: { name: "low", definition: [{ granularity: "1 hour" }] },
      });
      expect(ap.status).toBe(201);
      const created = await api.request("POST", "/v1/resource/generic", {
        body: {
          id: ID,
          started_at: "2014-01-03T02:02:02.000000",
          user_id: USER1,
          project_id: PROJECT1,
        },
      });
      expect(created.status).toBe(201);
      const p1 = await api.request("PATCH", `/v1/resource/generic/${ID}`, {
        body: { user_id: USER2 },
      });
      expect(await p1.json()).toMatchObject({ user_id: USER2, project_id: PROJECT1 });
      const p2 = await api.request("PATCH", `/v1/resource/generic/${ID}`, {
        body: { project_id: PROJECT2, metrics: { mymetric: { archive_policy_name: "low" } } },
      });
      expect(await p2.json()).toMatchObject({ user_id: USER2, project_id: PROJECT2 });
    });

    it("lists the current state without history, every revision with it", async () => {
      const current = await list("/v1/resource/generic");
      expect(current).toHaveLength(1);
      expect(current[0]).toMatchObject({ user_id: USER2, project_id: PROJECT2 });
      const all = await list("/v1/resource/generic?details=true&history=true");
      expectThreeRevisions(all);
      // Each revision ends where the next starts; every row carries the active metrics.
      expect(all[0]!.revision_end).toBe(all[1]!.revision_start);
      expect(all[1]!.revision_end).toBe(all[2]!.revision_start);
      expect(all[2]!.revision_end).toBeNull();
      for (const row of all) expect(Object.keys(row.metrics as Json)).toEqual(["mymetric"]);
    });

    it("records no revision for metric changes", async () => {
      const patched = await api.request("PATCH", `/v1/resource/generic/${ID}`, {
        body: { metrics: { foo: { archive_policy_name: "low" } } },
      });
      expect(patched.status).toBe(200);
      expectThreeRevisions(await list("/v1/resource/generic?details=true&history=true"));
      expectThreeRevisions(await list(`/v1/resource/generic/${ID}/history`));
    });

    it("pages the history of one resource with id@revision markers", async () => {
      const path = `/v1/resource/generic/${ID}/history`;
      const first = await api.request("GET", `${path}?limit=2`);
      const rows = (await first.json()) as Json[];
      expect(rows.map((r) => r.user_id)).toEqual([USER1, USER2]);
      const link = first.headers.get("link")!;
      expect(link).toMatch(/^<http:\/\/localhost:8041\/gnocchi\/v1\/resource\/generic\//);
      expect(link).toMatch(/limit=2&marker=f93450f2-d8a5-4d67-9985-02511241e7d1%40\d+&sort=/);
      const next = link.slice(link.indexOf("/v1/"), link.indexOf(">"));
      const second = await api.request("GET", next);
      const rest = (await second.json()) as Json[];
      expect(rest).toHaveLength(1);
      expect(rest[0]).toMatchObject({ project_id: PROJECT2, revision_end: null });
      expect(second.headers.get("link")).toBeNull();
      const bad = await api.request("GET", `${path}?marker=${ID}`);
      expect(bad.status).toBe(400);
      expect(await bad.text()).toContain(`Invalid pagination: \`Invalid marker: \`${ID}''`);
      const missing = await api.request(
        "GET",
        "/v1/resource/generic/d5a5994e-ee90-11e4-88cf-685b35afa334/history",
      );
      expect(missing.status).toBe(404);
      const badBool = await api.request("GET", `${path}?details=maybe`);
      expect(badBool.status).toBe(400);
      expect(await badBool.text()).toContain(
        "Unable to parse `details': invalid truth value 'maybe'",
      );
    });

    it("shows typed attributes with details through generic, history included", async () => {
      const rt = await api.request("POST", "/v1/resource_type", {
        headers: admin,
        body: { name: "host", attributes: { host: { type: "string" } } },
      });
      expect(rt.status).toBe(201);
      const hid = "c9b8a7d6-0000-4000-8000-000000000001";
      const created = await api.request("POST", "/v1/resource/host", {
        body: { id: hid, host: "a" },
      });
      expect(created.status).toBe(201);
      await api.request("PATCH", `/v1/resource/host/${hid}`, { body: { host: "b" } });
      const plain = await list(`/v1/resource/generic/${hid}/history`);
      expect(plain.map((r) => r.host)).toEqual([undefined, undefined]);
      const detailed = await list(`/v1/resource/generic/${hid}/history?details=true`);
      expect(detailed.map((r) => r.host)).toEqual(["a", "b"]);
      const typed = await list(`/v1/resource/host/${hid}/history`);
      expect(typed.map((r) => r.host)).toEqual(["a", "b"]);
      const listed = await list("/v1/resource/generic?details=true&history=true");
      expect(listed.filter((r) => r.type === "host").map((r) => r.host)).toEqual(["a", "b"]);
      const current = await list("/v1/resource/generic?details=true");
      expect(current.map((r) => [r.type, r.host])).toEqual([
        ["generic", undefined],
        ["host", "b"],
      ]);
      const genericView = await list("/v1/resource/generic");
      expect(genericView.every((r) => !("host" in r))).toBe(true);
      // A generic resource is not visible under a custom type.
      expect((await api.request("GET", `/v1/resource/host/${ID}/history`)).status).toBe(404);
    });
  },
  { upgrade: { createDefaultPolicies: false } },
);
