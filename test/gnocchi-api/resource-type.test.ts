/**
 * `/v1/resource_type` (spec rest §7): the upstream resource-type.yaml cases
 * in file order (they build on each other), with the resources they create.
 */
import { expect, it } from "vitest";
import { describeDrivers } from "../indexer/drivers.js";
import { ADMIN, BASE, harness } from "./helpers.js";

const admin = { authorization: ADMIN };
const adminPatch = { authorization: ADMIN, "content-type": "application/json-patch+json" };
const RID = "d11edfca-4393-4fda-b94d-b05a3a1b3747";

const CREATED_ATTRIBUTES = {
  name: { type: "string", required: true, min_length: 2, max_length: 5 },
  foobar: { type: "string", required: false, min_length: 0, max_length: 255 },
  uuid: { type: "uuid", required: true },
  int: { type: "number", required: false, min: -2, max: 3 },
  intnomin: { type: "number", required: false, min: null, max: 3 },
  float: { type: "number", required: false, min: -2.3, max: null },
  bool: { type: "bool", required: false },
  datetime: { type: "datetime", required: false },
};

const ADDED = {
  "new-optional-bool": { type: "bool", required: false },
  "new-optional-int": { type: "number", required: false, min: 0, max: 255 },
  "new-optional-uuid": { type: "uuid", required: false },
  "new-optional-datetime": { type: "datetime", required: false },
  newstuff: { type: "string", required: false, min_length: 0, max_length: 255 },
  newfilled: { type: "string", required: false, min_length: 0, max_length: 255 },
  newbool: { type: "bool", required: true },
  newint: { type: "number", required: true, min: 0, max: 255 },
  newstring: { type: "string", required: true, min_length: 0, max_length: 255 },
  newuuid: { type: "uuid", required: true },
  newdatetime: { type: "datetime", required: true },
};

const FILLED = {
  newstuff: null,
  newfilled: "filled",
  newbool: true,
  newint: 15,
  newstring: "foobar",
  newuuid: "00000000-0000-0000-0000-000000000000",
  newdatetime: "2017-10-10T10:10:10+00:00",
  "new-optional-bool": null,
  "new-optional-int": null,
  "new-optional-uuid": null,
  "new-optional-datetime": null,
};

type Json = Record<string, unknown>;

describeDrivers(
  "resource type API (resource-type.yaml)",
  (ctx) => {
    const api = harness(ctx.db);

    it("lists only generic at first", async () => {
      const res = await api.request("GET", "/v1/resource_type");
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual([{ name: "generic", state: "active", attributes: {} }]);
    });

    it("validates the body before the admin check", async () => {
      const nonAdmin = await api.request("POST", "/v1/resource_type", {
        body: { name: "my_custom_resource" },
      });
      expect(nonAdmin.status).toBe(403);
      const reserved = await api.request("POST", "/v1/resource_type", {
        headers: admin,
        body: { name: "my_custom_resource", attributes: { project_id: { type: "string" } } },
      });
      expect(reserved.status).toBe(400);
      expect(await reserved.text()).toContain(
        "Invalid input: Resource attribute name project_id is invalid",
      );
      const badReserved = await api.request("POST", "/v1/resource_type", {
        body: { name: "x", attributes: { project_id: { type: "string" } } },
      });
      expect(badReserved.status).toBe(400);
    });

    it.each([
      [{ foo: { type: "string", max_length: 32, min_length: 5, noexist: "foo" } }, "Invalid input"],
      [
        { name: { type: "string", required: true, max_length: 2, min_length: 5 } },
        "Resource attribute value min (or min_length) 5 must be less  than or equal to max (or max_length) 2!",
      ],
      [{ int: { type: "number", required: false, max: 3, min: 8 } }, "min (or min_length) 8"],
    ])("refuses bad attributes %j", async (attributes, text) => {
      const res = await api.request("POST", "/v1/resource_type", {
        headers: { ...admin, accept: "application/json" },
        body: { name: "my_custom_resource", attributes },
      });
      expect(res.status).toBe(400);
      expect(await res.text()).toContain(text);
    });

    it("refuses extra keys and a missing name with voluptuous texts", async () => {
      const extra = await api.request("POST", "/v1/resource_type", {
        headers: { ...admin, accept: "application/json" },
        body: { name: "x", cowsay: 1 },
      });
      expect(extra.status).toBe(400);
      expect(((await extra.json()) as Json).description).toEqual({
        cause: "Invalid input",
        reason: "extra keys not allowed @ data['cowsay']",
        detail: ["cowsay"],
      });
      const missing = await api.request("POST", "/v1/resource_type", {
        headers: { ...admin, accept: "application/json" },
        body: {},
      });
      expect(((await missing.json()) as Json).description).toMatchObject({
        reason: "required key not provided @ data['name']",
      });
    });

    it("creates a type: 201, Location, defaults filled in", async () => {
      const res = await api.request("POST", "/v1/resource_type", {
        headers: admin,
        body: {
          name: "my_custom_resource",
          attributes: {
            name: { type: "string", required: true, max_length: 5, min_length: 2 },
            foobar: { type: "string", required: false },
            uuid: { type: "uuid" },
            int: { type: "number", required: false, min: -2, max: 3 },
            intnomin: { type: "number", required: false, max: 3 },
            float: { type: "number", required: false, min: -2.3 },
            bool: { type: "bool", required: false },
            datetime: { type: "datetime", required: false },
          },
        },
      });
      expect(res.status).toBe(201);
      expect(res.headers.get("location")).toBe(`${BASE}/v1/resource_type/my_custom_resource`);
      expect(await res.json()).toEqual({
        name: "my_custom_resource",
        state: "active",
        attributes: CREATED_ATTRIBUTES,
      });
      const dup = await api.request("POST", "/v1/resource_type", {
        headers: admin,
        body: { name: "my_custom_resource" },
      });
      expect(dup.status).toBe(409);
      expect(await dup.text()).toContain("Resource type my_custom_resource already exists");
    });

    it("lists and gets it; a non-admin cannot delete it", async () => {
      const list = (await (await api.request("GET", "/v1/resource_type")).json()) as Json[];
      expect(list.map((t) => t.name)).toEqual(["generic", "my_custom_resource"]);
      const got = await api.request("GET", "/v1/resource_type/my_custom_resource");
      expect(((await got.json()) as Json).attributes).toEqual(CREATED_ATTRIBUTES);
      const del = await api.request("DELETE", "/v1/resource_type/my_custom_resource");
      expect(del.status).toBe(403);
      const missing = await api.request("GET", "/v1/resource_type/nope");
      expect(missing.status).toBe(404);
      expect(await missing.text()).toContain("Resource type nope does not exist");
    });

    it("validates resources of the type", async () => {
      const tooLong = await api.request("POST", "/v1/resource/my_custom_resource", {
        headers: { accept: "application/json" },
        body: {
          id: RID,
          name: "toolong!!!",
          foobar: "what",
          uuid: "07eb339e-23c0-4be2-be43-cd8247afae3b",
        },
      });
      expect(tooLong.status).toBe(400);
      const d1 = ((await tooLong.json()) as Json).description as Json;
      expect(d1.cause).toBe("Invalid input");
      expect(d1.reason).toMatch(/^length of value must be at most 5 for dictionary value @ data/);
      expect(d1.detail).toEqual(["name"]);
      const badUuid = await api.request("POST", "/v1/resource/my_custom_resource", {
        headers: { accept: "application/json" },
        body: { id: RID, name: "too", foobar: "what", uuid: "really!" },
      });
      const d2 = ((await badUuid.json()) as Json).description as Json;
      expect(d2.reason).toMatch(
        /^badly formed hexadecimal UUID string for dictionary value @ data/,
      );
      expect(d2.detail).toEqual(["uuid"]);
      const missing = await api.request("POST", "/v1/resource/my_custom_resource", {
        headers: { accept: "application/json" },
        body: { id: RID, name: "too" },
      });
      expect(((await missing.json()) as Json).description).toMatchObject({
        reason: "required key not provided @ data['uuid']",
        detail: ["uuid"],
      });
    });

    it("creates, patches and reads resources with custom attributes", async () => {
      const created = await api.request("POST", "/v1/resource/my_custom_resource", {
        body: {
          id: RID,
          name: "bar",
          foobar: "what",
          uuid: "e495ebad-be64-46c0-81d6-b079beb48df9",
          int: 1,
          datetime: "2017-05-02T11:11:11Z",
        },
      });
      expect(created.status).toBe(201);
      expect(await created.json()).toMatchObject({
        id: RID,
        type: "my_custom_resource",
        name: "bar",
        foobar: "what",
        datetime: "2017-05-02T11:11:11+00:00",
      });
      const patched = await api.request("PATCH", `/v1/resource/my_custom_resource/${RID}`, {
        body: { name: "foo" },
      });
      expect(patched.status).toBe(200);
      const expected = {
        id: RID,
        name: "foo",
        foobar: "what",
        uuid: "e495ebad-be64-46c0-81d6-b079beb48df9",
        int: 1,
      };
      expect(await patched.json()).toMatchObject(expected);
      const got = await api.request("GET", `/v1/resource/my_custom_resource/${RID}`);
      expect(await got.json()).toMatchObject(expected);
      const defaults = await api.request("POST", "/v1/resource/my_custom_resource", {
        body: {
          id: "c4110aec-6e5c-43fa-b8c5-ffdfbca3ce59",
          name: "foo",
          uuid: "e495ebad-be64-46c0-81d6-b079beb48df9",
        },
      });
      expect(defaults.status).toBe(201);
      expect(await defaults.json()).toMatchObject({ foobar: null, int: null, bool: null });
      const history = await api.request(
        "GET",
        `/v1/resource/my_custom_resource/${RID}/history?sort=revision_end:asc-nullslast`,
      );
      const revisions = (await history.json()) as Json[];
      expect(revisions).toHaveLength(2);
      expect(revisions[0]).toMatchObject({
        id: RID,
        name: "bar",
        foobar: "what",
        datetime: "2017-05-02T11:11:11+00:00",
      });
      expect(revisions[1]).toMatchObject({ id: RID, name: "foo", foobar: "what" });
    });

    it("PATCH needs application/json-patch+json and the admin role", async () => {
      const body = [{ op: "add", path: "/attributes/x", value: { type: "bool", required: false } }];
      const json = await api.request("PATCH", "/v1/resource_type/my_custom_resource", {
        headers: admin,
        body,
      });
      expect(json.status).toBe(415);
      const nonAdmin = await api.request("PATCH", "/v1/resource_type/my_custom_resource", {
        headers: { "content-type": "application/json-patch+json" },
        body,
      });
      expect(nonAdmin.status).toBe(403);
      const missing = await api.request("PATCH", "/v1/resource_type/nope", {
        headers: adminPatch,
        body,
      });
      expect(missing.status).toBe(404);
    });

    it("adds attributes (filled on resources and history) and removes one", async () => {
      const add = (name: string, value: Json) => ({
        op: "add",
        path: `/attributes/${name}`,
        value,
      });
      const res = await api.request("PATCH", "/v1/resource_type/my_custom_resource", {
        headers: adminPatch,
        body: [
          add("new-optional-bool", { type: "bool", required: false }),
          add("new-optional-int", { type: "number", required: false, min: 0, max: 255 }),
          add("new-optional-uuid", { type: "uuid", required: false }),
          add("new-optional-datetime", { type: "datetime", required: false }),
          add("newstuff", { type: "string", required: false, min_length: 0, max_length: 255 }),
          add("newfilled", {
            type: "string",
            required: false,
            min_length: 0,
            max_length: 255,
            options: { fill: "filled" },
          }),
          add("newbool", { type: "bool", required: true, options: { fill: true } }),
          add("newint", {
            type: "number",
            required: true,
            min: 0,
            max: 255,
            options: { fill: 15 },
          }),
          add("newstring", {
            type: "string",
            required: true,
            min_length: 0,
            max_length: 255,
            options: { fill: "foobar" },
          }),
          add("newuuid", {
            type: "uuid",
            required: true,
            options: { fill: "00000000-0000-0000-0000-000000000000" },
          }),
          add("newdatetime", {
            type: "datetime",
            required: true,
            options: { fill: "2017-10-10T10:10:10Z" },
          }),
          { op: "remove", path: "/attributes/foobar" },
        ],
      });
      expect(res.status).toBe(200);
      const { foobar: _, ...kept } = CREATED_ATTRIBUTES;
      const json = (await res.json()) as Json;
      expect(json.name).toBe("my_custom_resource");
      expect(json.attributes).toEqual({ ...kept, ...ADDED });

      const resource = (await (
        await api.request("GET", `/v1/resource/my_custom_resource/${RID}`)
      ).json()) as Json;
      expect(resource).toMatchObject({ id: RID, name: "foo", ...FILLED });
      expect(resource).not.toHaveProperty("foobar");
      const history = (await (
        await api.request(
          "GET",
          `/v1/resource/my_custom_resource/${RID}/history?sort=revision_end:asc-nullslast`,
        )
      ).json()) as Json[];
      expect(history).toHaveLength(2);
      expect(history[0]).toMatchObject({ name: "bar", ...FILLED });
      expect(history[1]).toMatchObject({ name: "foo", ...FILLED });
    });

    it.each([
      [
        { type: "bool", required: true, options: {} },
        "Invalid input: Option 'fill' of resource attribute missing is invalid: must not be empty if required=True",
      ],
      [
        { type: "number", required: true, options: { fill: "a-string" } },
        "Invalid input: Option 'fill' of resource attribute missing is invalid: expected Real",
      ],
      [{ type: "notexist", required: false }, "Invalid input"],
    ])("refuses a bad added attribute %j", async (value, text) => {
      const res = await api.request("PATCH", "/v1/resource_type/my_custom_resource", {
        headers: adminPatch,
        body: [{ op: "add", path: "/attributes/missing", value }],
      });
      expect(res.status).toBe(400);
      expect(await res.text()).toContain(text);
    });

    it("treats add-then-remove as a no-op, and reports JSON Patch failures", async () => {
      const value = { type: "string", required: false, min_length: 0, max_length: 255 };
      const noop = await api.request("PATCH", "/v1/resource_type/my_custom_resource", {
        headers: adminPatch,
        body: [
          { op: "add", path: "/attributes/what", value },
          { op: "remove", path: "/attributes/what" },
        ],
      });
      expect(noop.status).toBe(200);
      expect(Object.keys(((await noop.json()) as Json).attributes as Json)).not.toContain("what");
      const removeFirst = await api.request("PATCH", "/v1/resource_type/my_custom_resource", {
        headers: adminPatch,
        body: [
          { op: "remove", path: "/attributes/what" },
          { op: "add", path: "/attributes/what", value },
        ],
      });
      expect(removeFirst.status).toBe(400);
      expect(await removeFirst.text()).toContain("can't remove a non-existent object 'what'");
      const replace = await api.request("PATCH", "/v1/resource_type/my_custom_resource", {
        headers: { ...adminPatch, accept: "application/json" },
        body: [{ op: "replace", path: "/attributes/newstuff", value }],
      });
      expect(replace.status).toBe(400);
      const d = ((await replace.json()) as Json).description as Json;
      expect(d.cause).toBe("Invalid input");
      expect(d.detail).toEqual(["0", "op"]);
      expect(d.reason).toMatch(/^not a valid value for dictionary value @ data/);
      const unknown = await api.request("PATCH", "/v1/resource_type/my_custom_resource", {
        headers: adminPatch,
        body: [{ op: "remove", path: "/attributes/unknown" }],
      });
      expect(unknown.status).toBe(400);
      expect(await unknown.text()).toContain("can't remove a non-existent object 'unknown'");
    });

    it("refuses to delete a type in use, then deletes it once empty", async () => {
      const inUse = await api.request("DELETE", "/v1/resource_type/my_custom_resource", {
        headers: admin,
      });
      expect(inUse.status).toBe(400);
      expect(await inUse.text()).toContain("Resource type my_custom_resource is still in use");
      for (const id of [RID, "c4110aec-6e5c-43fa-b8c5-ffdfbca3ce59"]) {
        const del = await api.request("DELETE", `/v1/resource/my_custom_resource/${id}`, {
          headers: admin,
        });
        expect(del.status).toBe(204);
      }
      const del = await api.request("DELETE", "/v1/resource_type/my_custom_resource", {
        headers: admin,
      });
      expect(del.status).toBe(204);
      const again = await api.request("DELETE", "/v1/resource_type/my_custom_resource", {
        headers: admin,
      });
      expect(again.status).toBe(404);
      const utf8 = await api.request("DELETE", "/v1/resource_type/%E2%9C%94%C3%A9%C3%B1%E2%98%83", {
        headers: admin,
      });
      expect(utf8.status).toBe(404);
      expect(await utf8.text()).toContain("Resource type ✔éñ☃ does not exist");
      const generic = await api.request("DELETE", "/v1/resource_type/generic", { headers: admin });
      expect(generic.status).toBe(400);
      expect(await generic.text()).toContain("Resource type generic is still in use");
    });

    it("can create and delete the same name again", async () => {
      const created = await api.request("POST", "/v1/resource_type", {
        headers: admin,
        body: { name: "my_custom_resource" },
      });
      expect(created.status).toBe(201);
      const del = await api.request("DELETE", "/v1/resource_type/my_custom_resource", {
        headers: admin,
      });
      expect(del.status).toBe(204);
    });
  },
  { upgrade: { createDefaultPolicies: false } },
);
