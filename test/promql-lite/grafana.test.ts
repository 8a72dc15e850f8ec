/**
 * The Grafana JSON data source (`/grafana`) over resources and measures
 * created through /v1, on both indexer drivers: the JSON plugin's calls, the
 * SimpleJSON ones, table and time-series replies, ad-hoc filters, template
 * variables, annotations, errors, and the ACL (a user sees only what /v1
 * lets them read).
 */
import { expect, it } from "vitest";
import { describeDrivers } from "../indexer/drivers.js";
import {
  ADMIN,
  createPromPolicy,
  FOOBAR,
  OTHER,
  PROM_POLICY,
  promHarness,
} from "./http-helpers.js";

const MIN = 60_000;
const T0 = Math.floor(Date.now() / MIN) * MIN - 10 * MIN;
const RANGE = {
  from: new Date(T0 - 20 * MIN).toISOString(),
  to: new Date(T0 + 20 * MIN).toISOString(),
};

describeDrivers(
  "Grafana JSON data source",
  (ctx) => {
    const api = promHarness(ctx.db);
    const post = async (path: string, body: unknown, user = ADMIN) => {
      const r = await api.postJson(`/grafana${path}`, body, user);
      return { status: r.status, body: (await r.json()) as unknown };
    };

    it("sets up two hosts' cpu metrics through /v1 (host-a by admin, host-b by foobar)", async () => {
      await createPromPolicy(ctx.db());
      for (const [id, user] of [
        ["host-a", ADMIN],
        ["host-b", FOOBAR],
      ] as const) {
        const created = await api.postJson(
          "/v1/resource/generic",
          {
            id,
            started_at: new Date(T0).toISOString(),
            metrics: { cpu: { archive_policy_name: PROM_POLICY } },
          },
          user,
        );
        expect(created.status).toBe(201);
        const measures = [0, 1, 2, 3].map((k) => ({
          timestamp: new Date(T0 + k * 30_000).toISOString(),
          value: id === "host-a" ? 10 + k : 100 + k,
        }));
        const r = await api.postJson(
          `/v1/resource/generic/${id}/metric/cpu/measures`,
          measures,
          user,
        );
        expect(r.status).toBe(202);
      }
    });

    it("health: GET / is 200 with an identity, 401 without", async () => {
      const app = await api.app();
      const ok = await app.request("http://localhost:8041/gnocchi/grafana/", {
        headers: { authorization: ADMIN },
      });
      expect(ok.status).toBe(200);
      const anonymous = await app.request("http://localhost:8041/gnocchi/grafana/");
      expect(anonymous.status).toBe(401);
    });

    it("POST /metrics lists the readable metric names with their payload fields", async () => {
      const r = await post("/metrics", {});
      expect(r.status).toBe(200);
      const metrics = r.body as { value: string; payloads: { name: string }[] }[];
      expect(metrics.map((m) => m.value)).toEqual(["cpu"]);
      expect(metrics[0]!.payloads.map((p) => p.name)).toEqual([
        "resource_type",
        "search",
        "aggregation",
        "granularity",
        "label",
        "format",
      ]);
      expect((await post("/metrics", {}, OTHER)).body).toEqual([]);
    });

    it("POST /metric-payload-options gives types, methods and granularities", async () => {
      const types = (
        await post("/metric-payload-options", { metric: "cpu", name: "resource_type", payload: {} })
      ).body;
      expect(types).toContainEqual({ label: "generic", value: "generic" });
      const methods = (
        await post("/metric-payload-options", { metric: "cpu", name: "aggregation", payload: {} })
      ).body as { value: string }[];
      expect(methods.map((m) => m.value)).toEqual(["count", "last", "max", "mean", "min", "sum"]);
      const granularities = (
        await post("/metric-payload-options", { metric: "cpu", name: "granularity" })
      ).body as { label: string; value: string }[];
      expect(granularities.map((g) => g.value)).toEqual(["", "1", "60", "3600"]);
    });

    it("POST /query: a time series per resource, named by the label attribute", async () => {
      const r = await post("/query", {
        range: RANGE,
        intervalMs: 60_000,
        targets: [
          {
            refId: "A",
            target: "cpu",
            payload: { resource_type: "generic", aggregation: "max", granularity: "60" },
          },
        ],
      });
      expect(r.status).toBe(200);
      expect(r.body).toEqual([
        {
          target: "host-a",
          datapoints: [
            [11, T0],
            [13, T0 + MIN],
          ],
        },
        {
          target: "host-b",
          datapoints: [
            [101, T0],
            [103, T0 + MIN],
          ],
        },
      ]);
    });

    it("picks the granularity from the interval when none is given", async () => {
      const r = await post("/query", {
        range: RANGE,
        intervalMs: 30_000,
        targets: [
          {
            target: "cpu",
            payload: { search: "original_resource_id = 'host-a'", aggregation: "mean" },
          },
        ],
      });
      expect(r.body).toEqual([
        {
          target: "host-a",
          datapoints: [
            [10, T0],
            [11, T0 + 30_000],
            [12, T0 + 60_000],
            [13, T0 + 90_000],
          ],
        },
      ]);
    });

    it("SimpleJSON: query-string targets and table format", async () => {
      const r = await post("/query", {
        range: RANGE,
        targets: [{ target: "cpu?aggregation=last&granularity=60&label=id", type: "table" }],
        adhocFilters: [{ key: "original_resource_id", operator: "=", value: "host-b" }],
      });
      const table = (
        r.body as { type: string; columns: { text: string }[]; rows: unknown[][] }[]
      )[0]!;
      expect(table.type).toBe("table");
      expect(table.columns.map((c) => c.text)).toEqual(["Time", "id", "cpu (last)"]);
      expect(table.rows).toEqual([
        [T0, expect.any(String), 101],
        [T0 + MIN, expect.any(String), 103],
      ]);
    });

    it("ad-hoc filters narrow the resources; unsupported operators are a 400", async () => {
      const ok = await post("/query", {
        range: RANGE,
        targets: [{ target: "cpu", payload: { granularity: "60", aggregation: "last" } }],
        filters: [{ key: "original_resource_id", operator: "!=", value: "host-a" }],
      });
      expect((ok.body as { target: string }[]).map((s) => s.target)).toEqual(["host-b"]);
      const bad = await post("/query", {
        range: RANGE,
        targets: [{ target: "cpu" }],
        filters: [{ key: "original_resource_id", operator: "=~", value: "host.*" }],
      });
      expect(bad.status).toBe(400);
      expect((bad.body as { message: string }).message).toBe(
        "ad-hoc filter operator =~ is not supported",
      );
    });

    it("bad input is a 400 with the reason", async () => {
      const noRange = await post("/query", { targets: [] });
      expect(noRange.status).toBe(400);
      const badSearch = await post("/query", {
        range: RANGE,
        targets: [{ target: "cpu", payload: { search: "host ==" } }],
      });
      expect(badSearch.status).toBe(400);
      const badType = await post("/query", {
        range: RANGE,
        targets: [{ target: "cpu", payload: { resource_type: "nope" } }],
      });
      expect(badType.status).toBe(400);
    });

    it("a non-admin reads only their own resources' metrics", async () => {
      const q = {
        range: RANGE,
        targets: [{ target: "cpu", payload: { granularity: "60", aggregation: "last" } }],
      };
      expect(
        ((await post("/query", q, FOOBAR)).body as { target: string }[]).map((s) => s.target),
      ).toEqual(["host-b"]);
      expect((await post("/query", q, OTHER)).body).toEqual([]);
    });

    it("template variables: /variable and SimpleJSON /search", async () => {
      const types = (
        await post("/variable", { payload: { target: "resource_types()" }, range: RANGE })
      ).body;
      expect(types).toContainEqual({ __text: "generic", __value: "generic" });
      const hosts = (
        await post(
          "/variable",
          { payload: { target: "resources(generic, original_resource_id)" } },
          FOOBAR,
        )
      ).body;
      expect(hosts).toEqual([{ __text: "host-b", __value: "host-b" }]);
      expect((await post("/search", { target: "metrics(generic)" })).body).toEqual(["cpu"]);
      expect((await post("/search", { target: "cp" })).body).toEqual(["cpu"]);
    });

    it("ad-hoc filter keys and values", async () => {
      const keys = (await post("/tag-keys", {})).body as { text: string }[];
      expect(keys.map((k) => k.text)).toContain("original_resource_id");
      expect((await post("/tag-values", { key: "original_resource_id" })).body).toEqual([
        { text: "host-a" },
        { text: "host-b" },
      ]);
      expect((await post("/tag-values", { key: "original_resource_id" }, FOOBAR)).body).toEqual([
        { text: "host-b" },
      ]);
    });

    it("SimpleJSON annotations: resources starting in the range", async () => {
      const annotation = { name: "starts", query: "generic: original_resource_id = 'host-a'" };
      const r = await post("/annotations", { range: RANGE, annotation });
      expect(r.body).toEqual([
        {
          annotation,
          time: T0,
          title: "host-a started",
          text: expect.stringMatching(/^resource /),
          tags: ["generic"],
        },
      ]);
    });
  },
  { upgrade: { createDefaultPolicies: false } },
);
