/**
 * `/v1/influxdb` (spec ingest-adapters §c): the upstream influxdb.yaml in
 * order, then what it leaves out (bad lines, access, atomicity, gzip,
 * precision). Resources, metrics and measures are checked through the
 * indexer and the storage engine behind the app.
 */
import { gzipSync } from "node:zlib";
import { expect, it } from "vitest";
import { MICROS_PER_HOUR } from "../../src/carbonara/time.js";
import { listResourceMetrics } from "../../src/indexer/metric-store.js";
import { resourceIdFromInput } from "../../src/indexer/resource-id.js";
import { createResource, findResource } from "../../src/indexer/resource-store.js";
import { getResourceType } from "../../src/indexer/resource-type-store.js";
import { describeDrivers } from "../indexer/drivers.js";
import { ADMIN, BASE, FOOBAR, harness } from "./helpers.js";

const admin = { authorization: ADMIN };
const text = (extra: Record<string, string> = {}) => ({
  ...admin,
  "content-type": "text/plain",
  ...extra,
});

describeDrivers(
  "InfluxDB API (influxdb.yaml)",
  (ctx) => {
    const api = harness(ctx.db);
    const write = async (
      body: string | Uint8Array,
      headers: Record<string, string> = text(),
      query = "?db=influxdbtest",
    ) => {
      if (typeof body === "string") {
        return api.request("POST", `/v1/influxdb/write${query}`, { headers, body });
      }
      // Bytes as they are (the harness sends strings and JSON).
      const app = await api.app();
      return app.request(`${BASE}/v1/influxdb/write${query}`, { method: "POST", headers, body });
    };

    /** The measures of a resource's metric at 1 h granularity, after processing them. */
    async function hourlyMeans(original: string, metricName: string, creator = "admin") {
      const rid = resourceIdFromInput(original, creator);
      const metric = (await listResourceMetrics(ctx.db(), rid)).find((m) => m.name === metricName);
      expect(metric, metricName).toBeDefined();
      const storage = await api.storage();
      await storage.reader.refresh([metric!.id]);
      const r = await storage.reader.getMeasures({
        metricId: metric!.id,
        method: "mean",
        granularity: MICROS_PER_HOUR,
        timespan: null,
      });
      return r === undefined ? [] : [...r.timestamps].map((t, i) => [t, r.values[i]]);
    }

    it("answers ping with GET and HEAD, without credentials", async () => {
      for (const method of ["GET", "HEAD"]) {
        const res = await api.request(method, "/v1/influxdb/ping", {
          headers: { authorization: undefined },
        });
        expect(res.status).toBe(204);
        expect(res.headers.get("x-influxdb-version")).toBe("Gnocchi 4.4.2");
        expect(await res.text()).toBe("");
      }
    });

    it("creates a database as a resource type, and refuses other queries", async () => {
      const created = await api.request(
        "POST",
        "/v1/influxdb/query?q=create+database+influxdbtest",
        {
          headers: admin,
        },
      );
      expect(created.status).toBe(204);
      const rt = await getResourceType(ctx.db(), "influxdbtest");
      expect([rt.name, rt.state, rt.attributes]).toEqual(["influxdbtest", "active", []]);
      // Again: the type exists already, which is fine.
      const again = await api.request(
        "POST",
        "/v1/influxdb/query?q=CREATE%20DATABASE%20influxdbtest;",
        {
          headers: admin,
        },
      );
      expect(again.status).toBe(204);

      const other = await api.request("POST", "/v1/influxdb/query?q=select+metrics+plz", {
        headers: { ...admin, accept: "application/json" },
      });
      expect(other.status).toBe(501);
      expect(await other.json()).toMatchObject({
        description: {
          cause: "Not implemented error",
          detail: "q",
          reason: "Query not implemented",
        },
      });
      expect((await api.request("POST", "/v1/influxdb/query", { headers: admin })).status).toBe(
        204,
      );
      const form = await api.request("POST", "/v1/influxdb/query", {
        headers: { ...admin, "content-type": "application/x-www-form-urlencoded" },
        body: "q=create+database+formdb",
      });
      expect(form.status).toBe(204);
      expect((await getResourceType(ctx.db(), "formdb")).name).toBe("formdb");
      // Creating a resource type is for admins.
      const denied = await api.request("POST", "/v1/influxdb/query?q=create+database+mine", {
        headers: { authorization: FOOBAR },
      });
      expect(denied.status).toBe(403);
    });

    it("creates the archive policy and rule of the file", async () => {
      const policy = await api.request("POST", "/v1/archive_policy", {
        headers: admin,
        body: { name: "low", definition: [{ granularity: "1 hour" }] },
      });
      expect(policy.status).toBe(201);
      const rule = await api.request("POST", "/v1/archive_policy_rule", {
        headers: admin,
        body: { name: "influxdb", metric_pattern: "*", archive_policy_name: "low" },
      });
      expect(rule.status).toBe(201);
    });

    it("writes a line: resource by the host tag, metric named with the other tags", async () => {
      const res = await write("mymetric,host=foobar,mytag=myvalue field=123 1510581804179554816");
      expect(res.status).toBe(204);
      const resource = await findResource(
        ctx.db(),
        "influxdbtest",
        resourceIdFromInput("foobar", "admin"),
      );
      expect(resource).toMatchObject({
        originalResourceId: "foobar",
        id: "b4d568e4-7af1-5aec-ac3f-9c09fa3685a9",
        type: "influxdbtest",
        creator: "admin",
      });
      expect(await hourlyMeans("foobar", "mymetric.field@mytag=myvalue")).toEqual([
        [Date.UTC(2017, 10, 13, 14) * 1000, 123],
      ]);
    });

    it("takes the resource from the tag the header names; replaces / in names", async () => {
      const res = await write(
        "mymetric,host=foobar,mytag=myvalue field=123 1510581804179554816\ncpu,path=/foobar,mytag=myvalue field=43i 1510581804179554816",
        text({ "X-Gnocchi-InfluxDB-Tag-Resource-ID": "mytag" }),
      );
      expect(res.status).toBe(204);
      const rid = resourceIdFromInput("myvalue", "admin");
      expect(rid).toBe("6b9e2039-98d0-5d8d-9153-2d7491cf13e5");
      expect(await findResource(ctx.db(), "influxdbtest", rid)).toMatchObject({
        originalResourceId: "myvalue",
        type: "influxdbtest",
        creator: "admin",
      });
      const names = (await listResourceMetrics(ctx.db(), rid)).map((m) => m.name);
      expect(names).toEqual(["cpu.field@path=_foobar", "mymetric.field@host=foobar"]);
      expect(await hourlyMeans("myvalue", "cpu.field@path=_foobar")).toEqual([
        [Date.UTC(2017, 10, 13, 14) * 1000, 43],
      ]);
    });

    it("answers 409 when the resource id belongs to a resource of another type", async () => {
      await createResource(ctx.db(), "generic", { id: "conflict" }, "admin");
      const res = await write(
        "mymetric,host=conflict,mytag=myvalue field=123 1510581804179554816",
        text({ accept: "application/json" }),
      );
      expect(res.status).toBe(409);
      expect(await res.json()).toMatchObject({
        title: "Conflict",
        description: {
          cause: "Resource already exists",
          detail: "da19a545-af76-5081-9a88-f370baab66c6",
        },
      });
    });

    // --- beyond the upstream file ----------------------------------------------------

    it("names the line that does not parse, and stores nothing of the request", async () => {
      const res = await write(
        "ok,host=atomic f=1 1510581804179554816\n\nbad,host=atomic f=true",
        text({ accept: "application/json" }),
      );
      expect(res.status).toBe(400);
      expect(await res.json()).toMatchObject({
        description: {
          cause: "Value error",
          detail: "line",
          reason: "Unable to parse line 3",
          position: "column 19: expected a field value",
        },
      });
      expect(await findResource(ctx.db(), "generic", resourceIdFromInput("atomic", "admin"))).toBe(
        undefined,
      );
      const missing = await write("m,region=eu f=1", text({ accept: "application/json" }));
      expect(missing.status).toBe(400);
      expect(await missing.json()).toMatchObject({
        description: {
          cause: "Value error",
          detail: "key",
          reason: "Unable to find key `host' in tags",
        },
      });
      const notUtf8 = await write(
        new Uint8Array([...Buffer.from("m,host=a f=1\nm,host=\xff f=2", "latin1")]),
        text({ accept: "application/json" }),
      );
      expect(notUtf8.status).toBe(400);
      expect(
        ((await notUtf8.json()) as { description: { reason: string } }).description.reason,
      ).toBe("Unable to parse line 2");
    });

    it("refuses unknown databases and bad precisions; an empty body is fine", async () => {
      const unknown = await write("m,host=a f=1", text(), "?db=nope");
      expect(unknown.status).toBe(404);
      expect(await unknown.text()).toContain("Resource type nope does not exist");
      // The default db is `influxdb`, which does not exist here.
      expect((await write("m,host=a f=1", text(), "")).status).toBe(404);
      expect((await write("m,host=a f=1", text(), "?db=influxdbtest&precision=d")).status).toBe(
        400,
      );
      expect((await write("", text())).status).toBe(204);
      expect((await write('m,host=strings f="only strings"', text())).status).toBe(204);
      expect(await findResource(ctx.db(), "generic", resourceIdFromInput("strings", "admin"))).toBe(
        undefined,
      );
      const slash = await write("m,host=a/b f=1", text());
      expect(slash.status).toBe(400);
      expect(await slash.text()).toContain("'/' is not supported in resource id");
      const unauthenticated = await write("m,host=a f=1", {
        authorization: undefined,
        "content-type": "text/plain",
      } as never);
      expect(unauthenticated.status).toBe(401);
    });

    it("reads gzip bodies and second-precision timestamps", async () => {
      const body = gzipSync(
        Buffer.from("gz,host=zipped v=7 1510581600\ngz,host=zipped v=9 1510585200"),
      );
      const res = await write(
        new Uint8Array(body),
        text({ "content-encoding": "gzip" }),
        "?db=influxdbtest&precision=s",
      );
      expect(res.status).toBe(204);
      expect(await hourlyMeans("zipped", "gz.v")).toEqual([
        [1510581600 * 1_000_000, 7],
        [1510585200 * 1_000_000, 9],
      ]);
      const garbage = await write(new Uint8Array([1, 2, 3]), text({ "content-encoding": "gzip" }));
      expect(garbage.status).toBe(400);
      expect((await write("x", text({ "content-encoding": "br" }))).status).toBe(415);
    });

    it("scopes resources by user and checks access to existing ones", async () => {
      // foobar's `foobar` is another resource than admin's.
      const own = await write("m,host=foobar f=5 1510581804179554816", {
        authorization: FOOBAR,
        "content-type": "text/plain",
      });
      expect(own.status).toBe(204);
      const mine = await findResource(
        ctx.db(),
        "influxdbtest",
        resourceIdFromInput("foobar", "foobar"),
      );
      expect(mine?.creator).toBe("foobar");
      // A UUID tag names the same resource for everybody: admin's is not foobar's to update.
      const adminResource = "b4d568e4-7af1-5aec-ac3f-9c09fa3685a9";
      const denied = await write(`m,host=${adminResource} f=5 1510581804179554816`, {
        authorization: FOOBAR,
        "content-type": "text/plain",
      });
      expect(denied.status).toBe(403);
      const names = (await listResourceMetrics(ctx.db(), adminResource)).map((m) => m.name);
      expect(names).toEqual(["mymetric.field@mytag=myvalue"]);
    });
  },
  { upgrade: { createDefaultPolicies: false } },
);
