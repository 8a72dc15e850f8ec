import { expect, it } from "vitest";
import {
  InvalidInputError,
  InvalidResourceAttributeError,
  JsonPatchError,
  NoSuchResourceTypeError,
  ResourceTypeAlreadyExistsError,
  ResourceTypeInUseError,
} from "../../src/indexer/errors.js";
import { listResourceHistory } from "../../src/indexer/resource-history.js";
import { resourceToJSON } from "../../src/indexer/resource-row.js";
import {
  createResource,
  deleteResource,
  getResource,
  patchResource,
} from "../../src/indexer/resource-store.js";
import {
  createResourceType,
  deleteResourceType,
  getResourceType,
  listResourceTypes,
  patchResourceType,
  resourceTypeToJSON,
} from "../../src/indexer/resource-type-store.js";
import { describeDrivers } from "./drivers.js";
import { HOSTILE_STRINGS } from "./hostile.js";

const fail = (p: Promise<unknown>) =>
  p.then(
    () => expect.fail("did not throw"),
    (e: unknown) => e as Error,
  );

const GABBI_ATTRIBUTES = {
  name: { type: "string", required: true, max_length: 5, min_length: 2 },
  foobar: { type: "string", required: false },
  uuid: { type: "uuid" },
  int: { type: "number", required: false, min: -2, max: 3 },
  intnomin: { type: "number", required: false, max: 3 },
  float: { type: "number", required: false, min: -2.3 },
  bool: { type: "bool", required: false },
  datetime: { type: "datetime", required: false },
};

describeDrivers(
  "resource type store",
  ({ db }) => {
    it("always has generic, which cannot be deleted", async () => {
      expect((await listResourceTypes(db())).map((t) => t.name)).toContain("generic");
      expect(resourceTypeToJSON(await getResourceType(db(), "generic"))).toEqual({
        name: "generic",
        state: "active",
        attributes: {},
      });
      const e = await fail(deleteResourceType(db(), "generic"));
      expect(e).toBeInstanceOf(ResourceTypeInUseError);
      expect(e.message).toBe("Resource type generic is still in use");
    });

    it("creates, lists, gets, refuses duplicates, deletes and reuses a name", async () => {
      const rt = await createResourceType(db(), "my_custom_resource", GABBI_ATTRIBUTES);
      expect(resourceTypeToJSON(rt)).toEqual({
        name: "my_custom_resource",
        state: "active",
        attributes: {
          name: { type: "string", required: true, max_length: 5, min_length: 2 },
          foobar: { type: "string", required: false, max_length: 255, min_length: 0 },
          uuid: { type: "uuid", required: true },
          int: { type: "number", required: false, min: -2, max: 3 },
          intnomin: { type: "number", required: false, min: null, max: 3 },
          float: { type: "number", required: false, min: -2.3, max: null },
          bool: { type: "bool", required: false },
          datetime: { type: "datetime", required: false },
        },
      });
      expect(resourceTypeToJSON(await getResourceType(db(), "my_custom_resource"))).toEqual(
        resourceTypeToJSON(rt),
      );
      const names = (await listResourceTypes(db())).map((t) => t.name);
      expect(names).toEqual([...names].sort());
      const dup = await fail(createResourceType(db(), "my_custom_resource"));
      expect(dup).toBeInstanceOf(ResourceTypeAlreadyExistsError);
      expect(dup.message).toBe("Resource type my_custom_resource already exists");
      await deleteResourceType(db(), "my_custom_resource");
      const missing = await fail(deleteResourceType(db(), "my_custom_resource"));
      expect(missing).toBeInstanceOf(NoSuchResourceTypeError);
      expect((await fail(getResourceType(db(), "✔éñ☃"))).message).toBe(
        "Resource type ✔éñ☃ does not exist",
      );
      await createResourceType(db(), "my_custom_resource");
      await deleteResourceType(db(), "my_custom_resource");
    });

    it("validates before creating (invalid attribute on a taken name is a 400)", async () => {
      await createResourceType(db(), "taken");
      const e = await fail(createResourceType(db(), "taken", { project_id: { type: "string" } }));
      expect(e).toBeInstanceOf(InvalidResourceAttributeError);
      expect(await fail(createResourceType(db(), "x", { a: { type: "nope" } }))).toBeInstanceOf(
        InvalidInputError,
      );
      expect(await fail(createResourceType(db(), "x".repeat(256)))).toBeInstanceOf(
        InvalidInputError,
      );
    });

    it("refuses to delete a type in use", async () => {
      await createResourceType(db(), "inuse", { host: { type: "string" } });
      await createResource(db(), "inuse", { id: "r1", attributes: { host: "a" } }, "admin");
      const e = await fail(deleteResourceType(db(), "inuse"));
      expect(e.message).toBe("Resource type inuse is still in use");
      await deleteResource(
        db(),
        "inuse",
        (await getResource(db(), "generic", await createId("r1"))).id,
      );
      await deleteResourceType(db(), "inuse");
    });

    const createId = async (id: string) => {
      const { resourceIdFromInput } = await import("../../src/indexer/resource-id.js");
      return resourceIdFromInput(id, "admin");
    };

    it("PATCH adds attributes with fill on resources and their history, removes others", async () => {
      await createResourceType(db(), "patched", GABBI_ATTRIBUTES);
      const id = "d11edfca-4393-4fda-b94d-b05a3a1b3747";
      await createResource(
        db(),
        "patched",
        {
          id,
          attributes: {
            name: "bar",
            foobar: "what",
            uuid: "e495ebad-be64-46c0-81d6-b079beb48df9",
            int: 1,
            datetime: "2017-05-02T11:11:11Z",
          },
        },
        "foobar",
      );
      await patchResource(db(), "patched", id, { attributes: { name: "foo" } });
      const rt = await patchResourceType(db(), "patched", [
        {
          op: "add",
          path: "/attributes/new-optional-bool",
          value: { type: "bool", required: false },
        },
        { op: "add", path: "/attributes/newstuff", value: { type: "string", required: false } },
        {
          op: "add",
          path: "/attributes/newfilled",
          value: { type: "string", required: false, options: { fill: "filled" } },
        },
        {
          op: "add",
          path: "/attributes/newbool",
          value: { type: "bool", required: true, options: { fill: true } },
        },
        {
          op: "add",
          path: "/attributes/newint",
          value: { type: "number", required: true, min: 0, max: 255, options: { fill: 15 } },
        },
        {
          op: "add",
          path: "/attributes/newuuid",
          value: {
            type: "uuid",
            required: true,
            options: { fill: "00000000-0000-0000-0000-000000000000" },
          },
        },
        {
          op: "add",
          path: "/attributes/newdatetime",
          value: { type: "datetime", required: true, options: { fill: "2017-10-10T10:10:10Z" } },
        },
        { op: "remove", path: "/attributes/foobar" },
      ]);
      const json = resourceTypeToJSON(rt);
      expect(Object.keys(json.attributes)).not.toContain("foobar");
      expect(json.attributes.newint).toEqual({ type: "number", required: true, min: 0, max: 255 });
      expect(json.attributes.newfilled).toEqual({
        type: "string",
        required: false,
        min_length: 0,
        max_length: 255,
      });
      const expected = {
        newstuff: null,
        newfilled: "filled",
        newbool: true,
        newint: 15,
        newuuid: "00000000-0000-0000-0000-000000000000",
        newdatetime: "2017-10-10T10:10:10+00:00",
        "new-optional-bool": null,
      };
      const current = resourceToJSON(await getResource(db(), "patched", id));
      expect(current).toMatchObject({ name: "foo", ...expected });
      expect(current).not.toHaveProperty("foobar");
      const history = (await listResourceHistory(db(), "patched", id)).map(resourceToJSON);
      expect(history).toHaveLength(2);
      expect(history[0]).toMatchObject({
        name: "bar",
        datetime: "2017-05-02T11:11:11+00:00",
        ...expected,
      });
      expect(history[1]).toMatchObject({ name: "foo", ...expected });

      // Net no-op, then Gnocchi's errors.
      const same = await patchResourceType(db(), "patched", [
        { op: "add", path: "/attributes/what", value: { type: "string", required: false } },
        { op: "remove", path: "/attributes/what" },
      ]);
      expect(resourceTypeToJSON(same)).toEqual(json);
      const e1 = await fail(
        patchResourceType(db(), "patched", [
          { op: "remove", path: "/attributes/what" },
          { op: "add", path: "/attributes/what", value: { type: "string" } },
        ]),
      );
      expect(e1).toBeInstanceOf(JsonPatchError);
      expect(e1.message).toBe("can't remove a non-existent object 'what'");
      const e2 = await fail(
        patchResourceType(db(), "patched", [
          { op: "replace", path: "/attributes/newstuff", value: {} },
        ]),
      );
      expect(e2).toBeInstanceOf(InvalidInputError);
      expect((e2 as InvalidInputError).path).toEqual(["0", "op"]);
      const e3 = await fail(
        patchResourceType(db(), "patched", [
          {
            op: "add",
            path: "/attributes/missing",
            value: { type: "bool", required: true, options: {} },
          },
        ]),
      );
      expect(e3.message).toBe(
        "Invalid input: Option 'fill' of resource attribute missing is invalid: must not be empty if required=True",
      );
      expect(
        await fail(patchResourceType(db(), "patched", [{ op: "add", path: "/name", value: {} }])),
      ).toBeInstanceOf(InvalidInputError);
      expect(await fail(patchResourceType(db(), "nope", []))).toBeInstanceOf(
        NoSuchResourceTypeError,
      );
      // A new resource must now give the new required attributes.
      const e4 = await fail(
        createResource(
          db(),
          "patched",
          { id: "other", attributes: { name: "ab", uuid: "e495ebad-be64-46c0-81d6-b079beb48df9" } },
          "x",
        ),
      );
      expect(e4.message).toContain("required key not provided");
    });

    it("round-trips hostile type names, attribute names and values", async () => {
      const strings = HOSTILE_STRINGS.map((s) => [...s].slice(0, 255).join(""));
      for (const [i, s] of strings.entries()) {
        const typeName = `${s}`;
        const attrName = `a${[...s].slice(0, 62).join("")}`;
        const rt = await createResourceType(db(), typeName, {
          [attrName]: { type: "string", required: false },
        });
        expect(rt.name).toBe(typeName);
        const got = await getResourceType(db(), typeName);
        expect(got.attributes.map((a) => a.name)).toEqual([attrName]);
        const r = await createResource(
          db(),
          typeName,
          { id: `hostile-${i}`, attributes: { [attrName]: s }, userId: s, projectId: s },
          s,
        );
        const back = await getResource(db(), typeName, r.id);
        expect(back.attributes[attrName]).toBe(s);
        expect(back.userId).toBe(s);
        expect(back.creator).toBe(s);
        expect(back.originalResourceId).toBe(`hostile-${i}`);
        const patched = await patchResourceType(db(), typeName, [
          {
            op: "remove",
            path: `/attributes/${attrName.replaceAll("~", "~0").replaceAll("/", "~1")}`,
          },
        ]);
        expect(patched.attributes).toEqual([]);
      }
    });
  },
  { upgrade: true },
);
