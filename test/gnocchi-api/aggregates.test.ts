/**
 * `POST /v1/aggregates` (spec rest §10): the upstream
 * aggregates-with-metric-ids.yaml and aggregates-with-resources.yaml, in
 * order, over a real indexer and storage engine.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { describeDrivers } from "../indexer/drivers.js";
import { aggregationFixture, type Json } from "./aggregation-fixture.js";

const JSON_ACCEPT = { accept: "application/json" };

describeDrivers(
  "aggregates API",
  (ctx) => {
    describe("by metric ids (aggregates-with-metric-ids.yaml)", () => {
      const api = aggregationFixture(ctx.db);
      let m1 = "";
      let m2 = "";
      let m3 = "";
      let m4 = "";
      const post = (query: string, operations: unknown) =>
        api.json("POST", `/v1/aggregates${query}`, { operations });
      const fail = async (query: string, body: unknown) => {
        const res = await api.request("POST", `/v1/aggregates${query}`, {
          body,
          headers: JSON_ACCEPT,
        });
        return { status: res.status, json: (await res.json()) as Json };
      };

      beforeAll(async () => {
        await api.createPolicy("cookies", ["1 second", "60 second"]);
        await api.createPolicy("cake", ["5 second"]);
        m1 = await api.createMetric("cookies", "metric1");
        m2 = await api.createMetric("cookies", "metric2");
        m3 = await api.createMetric("cake", "metric3");
        m4 = await api.createMetric("cookies", "metric4");
        await api.measures(m1, [
          ["2015-03-06T14:33:57", 43.1],
          ["2015-03-06T14:34:12", 12],
          ["2015-03-06T14:34:15", -16],
          ["2015-03-06T14:35:12", 9],
          ["2015-03-06T14:35:15", 11],
        ]);
        await api.measures(m2, [
          ["2015-03-06T14:33:57", 2],
          ["2015-03-06T14:34:12", 4],
          ["2015-03-06T14:34:15", 5],
          ["2015-03-06T14:35:12", 10],
          ["2015-03-06T14:35:15", 15],
        ]);
        await api.measures(m4, [
          ["2017-04-06T14:33:57", 20],
          ["2017-04-06T14:34:12", 10],
        ]);
      });

      const M1_MEAN = [
        ["2015-03-06T14:33:00+00:00", 60, 43.1],
        ["2015-03-06T14:34:00+00:00", 60, -2],
        ["2015-03-06T14:35:00+00:00", 60, 10],
        ["2015-03-06T14:33:57+00:00", 1, 43.1],
        ["2015-03-06T14:34:12+00:00", 1, 12],
        ["2015-03-06T14:34:15+00:00", 1, -16],
        ["2015-03-06T14:35:12+00:00", 1, 9],
        ["2015-03-06T14:35:15+00:00", 1, 11],
      ];
      const M2_MEAN = [
        ["2015-03-06T14:33:00+00:00", 60, 2],
        ["2015-03-06T14:34:00+00:00", 60, 4.5],
        ["2015-03-06T14:35:00+00:00", 60, 12.5],
        ["2015-03-06T14:33:57+00:00", 1, 2],
        ["2015-03-06T14:34:12+00:00", 1, 4],
        ["2015-03-06T14:34:15+00:00", 1, 5],
        ["2015-03-06T14:35:12+00:00", 1, 10],
        ["2015-03-06T14:35:15+00:00", 1, 15],
      ];
      const refIds = (json: Json) => (json.references as Json[]).map((r) => r.id).sort();

      it("returns each metric without references", async () => {
        const res = await api.request("POST", "/v1/aggregates", {
          body: { operations: ["metric", [m1, "mean"], [m2, "mean"]] },
        });
        expect(res.status).toBe(200);
        const text = await res.text();
        // Python's float formatting and separators.
        expect(text).toContain('["2015-03-06T14:33:00+00:00", 60.0, 43.1]');
        const json = JSON.parse(text);
        expect(Object.keys(json)).toEqual(["measures"]);
        expect(json.measures[m1].mean).toEqual(M1_MEAN);
        expect(json.measures[m2].mean).toEqual(M2_MEAN);
      });

      it("returns each metric once, with its references", async () => {
        const json = await post("?details=true", [
          "metric",
          [m1, "mean"],
          [m2, "mean"],
          [m2, "mean"],
        ]);
        expect(Object.keys(json).sort()).toEqual(["measures", "references"]);
        expect(refIds(json)).toEqual([m1, m2].sort());
        for (const r of json.references) {
          expect(r.archive_policy.name).toBe("cookies");
          expect(Object.keys(r).sort()).toEqual(
            [
              "archive_policy",
              "created_by_project_id",
              "created_by_user_id",
              "creator",
              "id",
              "name",
              "resource_id",
              "unit",
            ].sort(),
          );
        }
        expect(json.measures[m1].mean).toEqual(M1_MEAN);
        expect(json.measures[m2].mean).toEqual(M2_MEAN);
      });

      it("slices by start and stop", async () => {
        const json = await post(
          "?details=true&start=2015-03-06T14:34:00&stop=2015-03-06T14:35:13",
          ["metric", [m1, "mean"], [m2, "mean"]],
        );
        expect(json.measures[m1].mean).toEqual([
          ["2015-03-06T14:34:00+00:00", 60, -2],
          ["2015-03-06T14:35:00+00:00", 60, 10],
          ["2015-03-06T14:34:12+00:00", 1, 12],
          ["2015-03-06T14:34:15+00:00", 1, -16],
          ["2015-03-06T14:35:12+00:00", 1, 9],
        ]);
        expect(json.measures[m2].mean).toEqual([
          ["2015-03-06T14:34:00+00:00", 60, 4.5],
          ["2015-03-06T14:35:00+00:00", 60, 12.5],
          ["2015-03-06T14:34:12+00:00", 1, 4],
          ["2015-03-06T14:34:15+00:00", 1, 5],
          ["2015-03-06T14:35:12+00:00", 1, 10],
        ]);
      });

      it("reads one granularity", async () => {
        const json = await post("?granularity=60&details=true", [
          "metric",
          [m1, "max"],
          [m2, "min"],
        ]);
        expect(json.measures[m1].max).toEqual([
          ["2015-03-06T14:33:00+00:00", 60, 43.1],
          ["2015-03-06T14:34:00+00:00", 60, 12],
          ["2015-03-06T14:35:00+00:00", 60, 11],
        ]);
        expect(json.measures[m2].min).toEqual([
          ["2015-03-06T14:33:00+00:00", 60, 2],
          ["2015-03-06T14:34:00+00:00", 60, 4],
          ["2015-03-06T14:35:00+00:00", 60, 10],
        ]);
      });

      it("adds a number to each series", async () => {
        for (const ops of [
          ["+", ["metric", [m1, "mean"], [m2, "mean"]], 2.0],
          `(+ (metric (${m1} mean) (${m2} mean)) 2.0)`,
        ]) {
          const json = await post("?details=true", ops);
          expect(refIds(json)).toEqual([m1, m2].sort());
          expect(json.measures[m1].mean).toEqual(
            M1_MEAN.map(([t, g, v]) => [t, g, (v as number) + 2]),
          );
          expect(json.measures[m2].mean).toEqual(
            M2_MEAN.map(([t, g, v]) => [t, g, (v as number) + 2]),
          );
        }
      });

      it("resamples and rolls each series", async () => {
        const resampled = await post("?granularity=1&details=true", [
          "resample",
          "mean",
          60,
          ["metric", [m1, "mean"], [m2, "mean"]],
        ]);
        expect(resampled.measures[m1].mean).toEqual(M1_MEAN.slice(0, 3));
        expect(resampled.measures[m2].mean).toEqual(M2_MEAN.slice(0, 3));
        const rolled = await post("?granularity=1&details=true", [
          "rolling",
          "mean",
          2,
          ["metric", [m1, "mean"], [m2, "mean"]],
        ]);
        expect(rolled.measures[m1].mean).toEqual([
          ["2015-03-06T14:34:12+00:00", 1, 27.55],
          ["2015-03-06T14:34:15+00:00", 1, -2],
          ["2015-03-06T14:35:12+00:00", 1, -3.5],
          ["2015-03-06T14:35:15+00:00", 1, 10],
        ]);
        expect(rolled.measures[m2].mean).toEqual([
          ["2015-03-06T14:34:12+00:00", 1, 3],
          ["2015-03-06T14:34:15+00:00", 1, 4.5],
          ["2015-03-06T14:35:12+00:00", 1, 7.5],
          ["2015-03-06T14:35:15+00:00", 1, 12.5],
        ]);
      });

      it("takes the string form for one metric", async () => {
        const json = await post("?details=true", `(metric ${m1} mean)`);
        expect(refIds(json)).toEqual([m1]);
        expect(json.measures[m1].mean).toEqual(M1_MEAN);
      });

      it("aggregates across metrics", async () => {
        const mean = [
          ["2015-03-06T14:33:00+00:00", 60, 22.55],
          ["2015-03-06T14:34:00+00:00", 60, 1.25],
          ["2015-03-06T14:35:00+00:00", 60, 11.25],
          ["2015-03-06T14:33:57+00:00", 1, 22.55],
          ["2015-03-06T14:34:12+00:00", 1, 8],
          ["2015-03-06T14:34:15+00:00", 1, -5.5],
          ["2015-03-06T14:35:12+00:00", 1, 9.5],
          ["2015-03-06T14:35:15+00:00", 1, 13],
        ];
        const json = await post("", ["aggregate", "mean", ["metric", [m1, "mean"], [m2, "mean"]]]);
        expect(json).toEqual({ measures: { aggregated: mean } });
        const string = await post(
          "?details=true",
          `(aggregate mean (metric (${m1} mean) (${m2} mean)))`,
        );
        expect(string.measures.aggregated).toEqual(mean);
        expect(refIds(string)).toEqual([m1, m2].sort());
        const negative = await post(
          "?details=true",
          `(negative (absolute (aggregate mean (metric (${m1} mean) (${m2} mean)))))`,
        );
        expect(negative.measures.aggregated).toEqual(
          mean.map(([t, g, v]) => [t, g, -Math.abs(v as number)]),
        );
        const rate = await post("", [
          "aggregate",
          "rate:mean",
          ["metric", [m1, "mean"], [m2, "mean"]],
        ]);
        expect(rate.measures.aggregated).toEqual([
          ["2015-03-06T14:34:00+00:00", 60, -21.3],
          ["2015-03-06T14:35:00+00:00", 60, 10],
          ["2015-03-06T14:34:12+00:00", 1, -14.55],
          ["2015-03-06T14:34:15+00:00", 1, -13.5],
          ["2015-03-06T14:35:12+00:00", 1, 15],
          ["2015-03-06T14:35:15+00:00", 1, 3.5],
        ]);
        const one = await post("?details=true", `(aggregate mean (metric ${m1} mean))`);
        expect(one.measures.aggregated).toEqual(M1_MEAN);
      });

      it("computes the rate of change and differences", async () => {
        const roc = await post("?details=true", `(rateofchange (metric ${m1} mean))`);
        expect(roc.measures[m1].mean).toEqual([
          ["2015-03-06T14:34:00+00:00", 60, -45.1],
          ["2015-03-06T14:35:00+00:00", 60, 12],
          ["2015-03-06T14:34:12+00:00", 1, -31.1],
          ["2015-03-06T14:34:15+00:00", 1, -28],
          ["2015-03-06T14:35:12+00:00", 1, 25],
          ["2015-03-06T14:35:15+00:00", 1, 2],
        ]);
        // The extra `)` at the end is ignored, as pyparsing does.
        const sub = await post("?details=true", `(- (metric ${m1} mean) (metric ${m2} mean)))`);
        expect(refIds(sub)).toEqual([m1, m2].sort());
        expect(sub.measures.aggregated).toEqual([
          ["2015-03-06T14:33:00+00:00", 60, 41.1],
          ["2015-03-06T14:34:00+00:00", 60, -6.5],
          ["2015-03-06T14:35:00+00:00", 60, -2.5],
          ["2015-03-06T14:33:57+00:00", 1, 41.1],
          ["2015-03-06T14:34:12+00:00", 1, 8],
          ["2015-03-06T14:34:15+00:00", 1, -21],
          ["2015-03-06T14:35:12+00:00", 1, -1],
          ["2015-03-06T14:35:15+00:00", 1, -4],
        ]);
      });

      it("fills, drops or keeps missing points", async () => {
        await api.measures(m1, [
          ["2015-03-06T14:37:00", 15],
          ["2015-03-06T14:38:00", 15],
        ]);
        const late = [
          ["2015-03-06T14:37:00+00:00", 60, 15],
          ["2015-03-06T14:38:00+00:00", 60, 15],
        ];
        const lateSeconds = [
          ["2015-03-06T14:37:00+00:00", 1, 15],
          ["2015-03-06T14:38:00+00:00", 1, 15],
        ];
        const m1All = [...M1_MEAN.slice(0, 3), ...late, ...M1_MEAN.slice(3), ...lateSeconds];
        const filled = await post("?fill=123&details=true", `(metric (${m1} mean) (${m2} mean))`);
        expect(filled.measures[m1].mean).toEqual(m1All);
        expect(filled.measures[m2].mean).toEqual([
          ...M2_MEAN.slice(0, 3),
          ["2015-03-06T14:37:00+00:00", 60, 123],
          ["2015-03-06T14:38:00+00:00", 60, 123],
          ...M2_MEAN.slice(3),
          ["2015-03-06T14:37:00+00:00", 1, 123],
          ["2015-03-06T14:38:00+00:00", 1, 123],
        ]);
        const m4Mean = [
          ["2017-04-06T14:33:00+00:00", 60, 20],
          ["2017-04-06T14:34:00+00:00", 60, 10],
          ["2017-04-06T14:33:57+00:00", 1, 20],
          ["2017-04-06T14:34:12+00:00", 1, 10],
        ];
        const dropped = await post("?details=true", `(metric (${m1} mean) (${m4} mean))`);
        expect(dropped.measures[m1].mean).toEqual(m1All);
        expect(dropped.measures[m4].mean).toEqual(m4Mean);
        const kept = await post("?fill=null&details=true", `(metric (${m1} mean) (${m4} mean))`);
        const nan = (rows: unknown[][]) => rows.map(([t, g]) => [t, g, "NaN"]);
        expect(kept.measures[m1].mean).toEqual([
          ...m1All.slice(0, 5),
          ...nan(m4Mean.slice(0, 2)),
          ...m1All.slice(5),
          ...nan(m4Mean.slice(2)),
        ]);
        expect(kept.measures[m4].mean).toEqual([
          ...nan(m1All.slice(0, 5)),
          ...m4Mean.slice(0, 2),
          ...nan(m1All.slice(5)),
          ...m4Mean.slice(2),
        ]);
      });

      it("refuses invalid operations with Gnocchi's texts", async () => {
        let r = await fail("", { operations: [] });
        expect(r.status).toBe(400);
        expect(r.json.description).toMatchObject({
          cause: "Invalid input",
          detail: ["operations"],
        });
        expect(r.json.description.reason).toMatch(/^Operation must not be empty/);
        r = await fail("", { operations: { foo: "bar" } });
        expect(r.json.description.reason).toMatch(/^Expected a tuple\/list, got a/);
        r = await fail("", { operations: "(metroc foo bar" });
        expect(r.status).toBe(400);
        expect(r.json.description).toEqual({
          cause: "Invalid operations",
          reason: "Fail to parse the operations string",
          detail: "Expected ')', found end of text  (at char 15), (line:1, col:16)",
        });
        r = await fail("", { operations: ["metric"] });
        expect(r.json.description.reason).toMatch(
          /^Operation need at least one argument for dictionary value/,
        );
        for (const [ops, name] of [
          [`(rolling blah 2 (metric ${m1} mean))`, "rolling"],
          [`(rolling mean (metric ${m1} mean))`, "rolling"],
          [`(notexist (absolute (metric ${m1} mean)))`, "notexist"],
          [`(resample mean invalid (metric (${m1} mean) (${m2} mean)))`, "resample"],
        ]) {
          r = await fail("", { operations: ops });
          expect(r.status).toBe(400);
          expect(r.json.description.cause).toBe("Invalid input");
          expect(r.json.description.detail).toEqual(["operations"]);
          expect(r.json.description.reason).toMatch(
            new RegExp(`^'${name}' operation invalid for dictionary value`),
          );
        }
        r = await fail("", { operations: ["+", 1, 2] });
        expect(r.json.description).toMatchObject({
          cause: "Operations is invalid",
          reason: "At least one 'metric' is required",
        });
        r = await fail("", { operations: ["metric", "not-a-uuid", "mean"] });
        expect(r.json.description).toEqual({
          cause: "Invalid metric references",
          reason: "badly formed hexadecimal UUID string",
          detail: [["not-a-uuid", "mean"]],
        });
      });

      it("refuses unknown metrics, granularities and methods", async () => {
        let r = await fail("", {
          operations: [
            "metric",
            [m1, "mean"],
            [m2, "mean"],
            ["8c062a7e-9f9f-4b1c-9996-9d0328512ab7", "mean"],
            ["e4864464-1b27-4622-9fbb-dc900e06c192", "mean"],
          ],
        });
        expect(r.status).toBe(404);
        expect(r.json.description).toEqual({
          cause: "Unknown metrics",
          reason: "Provided metrics don't exists",
          detail: ["8c062a7e-9f9f-4b1c-9996-9d0328512ab7", "e4864464-1b27-4622-9fbb-dc900e06c192"],
        });
        r = await fail("", { operations: ["metric", [m1, "mean"], [m2, "mean"], [m3, "mean"]] });
        expect(r.status).toBe(400);
        expect(r.json.description.cause).toBe("Metrics can't being aggregated");
        expect(r.json.description.reason).toBe("No granularity match");
        expect(r.json.description.detail).toHaveLength(3);
        const raw = await api.request("POST", "/v1/aggregates?granularity=123", {
          body: { operations: ["metric", m1, "mean"] },
          headers: JSON_ACCEPT,
        });
        expect(raw.status).toBe(400);
        expect(await raw.text()).toContain(`"detail": [["${m1}", "mean", 123.0]]`);
        r = await fail("", { operations: ["metric", [m1, "what?"], [m2, "mean"]] });
        expect(r.status).toBe(404);
        expect(r.json.description).toEqual({
          cause: "Metrics with unknown aggregation",
          detail: [[m1, "what?"]],
        });
      });

      it("refuses invalid query parameters before reading the body", async () => {
        for (const [query, detail, reason] of [
          ["start=notadate", "start", "Must be a datetime or a timestamp"],
          ["stop=notadate", "stop", "Must be a datetime or a timestamp"],
          ["needed_overlap=notnumber", "needed_overlap", "Must be a number"],
          ["granularity=foobar", "granularity", "Unable to parse timespan"],
          ["fill=foobar&granularity=5", "fill", "Must be a float, 'dropna' or 'null'"],
        ]) {
          const r = await fail(`?${query}`, undefined);
          expect(r.status).toBe(400);
          expect(r.json).toEqual({
            code: 400,
            title: "Bad Request",
            description: { cause: "Argument value error", detail, reason },
          });
        }
        const details = await fail("?details=maybe", { operations: `(metric ${m1} mean)` });
        expect(details.status).toBe(400);
      });

      it("applies the overlap rules when needed_overlap is given", async () => {
        const r = await fail("?needed_overlap=100", {
          operations: `(aggregate mean (metric (${m1} mean) (${m4} mean)))`,
        });
        expect(r.status).toBe(400);
        expect(r.json.description).toMatchObject({
          cause: "Metrics can't being aggregated",
          reason: "No overlap",
        });
        const half = await post(
          "?needed_overlap=0",
          `(aggregate mean (metric (${m1} mean) (${m4} mean)))`,
        );
        expect(half.measures.aggregated.length).toBeGreaterThan(0);
      });

      it("reports what the evaluation cannot compute", async () => {
        let r = await fail("", { operations: `(rolling mean 5000 (metric ${m1} mean))` });
        expect(r.status).toBe(400);
        expect(r.json.description).toEqual({
          cause: "Metrics can't being aggregated",
          reason: "Rolling window '5000' is greater than serie length '5'",
          detail: [[m1, "mean"]],
        });
        r = await fail("", {
          operations: `(- (rolling mean 2 (metric ${m1} mean)) (metric ${m2} mean))`,
        });
        expect(r.status).toBe(400);
        expect(r.json.description.reason).toMatch(
          /^Can't compute timeseries with different granularity /,
        );
      });

      it("requires credentials and checks each metric's owner", async () => {
        const anonymous = await api.request("POST", "/v1/aggregates", {
          headers: { authorization: undefined },
          body: { operations: `(metric ${m1} mean)` },
        });
        expect(anonymous.status).toBe(401);
        const other = await api.request("POST", "/v1/aggregates", {
          headers: { authorization: "basic Zm9vYmF6Og==" },
          body: { operations: `(metric ${m1} mean)` },
        });
        expect(other.status).toBe(403);
        const admin = await api.request("POST", "/v1/aggregates", {
          headers: { authorization: "basic YWRtaW46" },
          body: { operations: `(metric ${m1} mean)` },
        });
        expect(admin.status).toBe(200);
      });
    });

    describe("by resources (aggregates-with-resources.yaml)", () => {
      const api = aggregationFixture(ctx.db);
      const R1 = "1ed9c196-4c9f-4ba8-a5be-c9a71a82aac4";
      const R2 = "2447cd7e-48a6-4c50-a991-6677cc0d00e6";
      const R3 = "33333bc5-5948-4f29-b7df-7de607660452";
      const R4 = "41409ec6-3909-4b37-bbff-f9a5448fe328";
      const USER = "A50F549C-1F1C-4888-A71A-2C5473CCCEC1";
      const P1 = "c7f32f1f-c5ef-427a-8ecd-915b219c66e8";
      const P2 = "ee4cfc41-1cdc-4d2f-9a08-f94111d80171";
      const search = `user_id = '${USER}'`;
      const post = (query: string, body: Record<string, unknown>) =>
        api.json("POST", `/v1/aggregates${query}`, { resource_type: "generic", ...body });
      const resourceIds = (refs: Json[]) => refs.map((r) => r.id).sort();
      const R1_UTIL = [
        ["2015-03-06T14:30:00+00:00", 300, 27.55],
        ["2015-03-06T14:33:57+00:00", 1, 43.1],
        ["2015-03-06T14:34:12+00:00", 1, 12],
      ];
      const R2_UTIL = [
        ["2015-03-06T14:30:00+00:00", 300, 15.5],
        ["2015-03-06T14:33:57+00:00", 1, 23],
        ["2015-03-06T14:34:12+00:00", 1, 8],
      ];
      const R3_UTIL = [
        ["2015-03-06T14:30:00+00:00", 300, 137.70499999999998],
        ["2015-03-06T14:33:57+00:00", 1, 230],
        ["2015-03-06T14:34:12+00:00", 1, 45.41],
      ];

      beforeAll(async () => {
        await api.createPolicy("low", ["1 second", "300 seconds"]);
        await api.createPolicy("unrelated", ["5 second"]);
        const r1 = await api.createResource(
          R1,
          { userId: USER, projectId: P1 },
          { "cpu.util": "low", "cpu.idle": "low", noway: "low" },
        );
        await api.measures(r1["cpu.util"]!, [
          ["2015-03-06T14:33:57", 43.1],
          ["2015-03-06T14:34:12", 12],
        ]);
        const r2 = await api.createResource(
          R2.toUpperCase(),
          { userId: USER, projectId: P1 },
          { "cpu.util": "low", "unique.stuff": "low" },
        );
        await api.measures(r2["unique.stuff"]!, [
          ["2015-03-06T14:33:57", 23],
          ["2015-03-06T14:34:12", 8],
        ]);
        await api.measures(r2["cpu.util"]!, [
          ["2015-03-06T14:33:57", 23],
          ["2015-03-06T14:34:12", 8],
        ]);
        const r3 = await api.createResource(
          R3.toUpperCase(),
          { userId: USER, projectId: P2 },
          { "cpu.util": "low" },
        );
        await api.measures(r3["cpu.util"]!, [
          ["2015-03-06T14:33:57", 230],
          ["2015-03-06T14:34:12", 45.41],
        ]);
        const r4 = await api.createResource(
          R4,
          { userId: "70b5b732-9d81-4dfb-a8a1-a424ef3eae6b", projectId: P2 },
          { "cpu.util": "unrelated" },
        );
        await api.measures(r4["cpu.util"]!, [
          ["2015-03-06T14:33:57", 230],
          ["2015-03-06T14:34:12", 45.41],
        ]);
      });

      it("aggregates a metric across resources, with the resources as references", async () => {
        const json = await post("?details=true", {
          search,
          operations: "(aggregate mean (metric cpu.util mean))",
        });
        expect(resourceIds(json.references)).toEqual([R1, R2, R3]);
        const r1 = json.references.find((r: Json) => r.id === R1);
        expect(Object.keys(r1.metrics).sort()).toEqual(["cpu.idle", "cpu.util", "noway"]);
        expect(r1).toMatchObject({
          type: "generic",
          user_id: USER,
          project_id: P1,
          creator: "foobar",
        });
        expect(json.measures.aggregated).toEqual([
          ["2015-03-06T14:30:00+00:00", 300, 60.251666666666665],
          ["2015-03-06T14:33:57+00:00", 1, 98.7],
          ["2015-03-06T14:34:12+00:00", 1, 21.80333333333333],
        ]);
      });

      it("lists each resource's matching metrics", async () => {
        for (const operations of [
          "(metric (cpu.util mean) (cpu.idle mean))",
          "(metric cpu.util mean)",
        ]) {
          const json = await post("?details=true", { search, operations });
          expect(resourceIds(json.references)).toEqual([R1, R2, R3]);
          expect(json.measures[R1]["cpu.util"].mean).toEqual(R1_UTIL);
          expect(json.measures[R2]["cpu.util"].mean).toEqual(R2_UTIL);
          expect(json.measures[R3]["cpu.util"].mean).toEqual(R3_UTIL);
          if (operations.includes("idle")) expect(json.measures[R1]["cpu.idle"].mean).toEqual([]);
        }
      });

      it("matches metric names with wildcards", async () => {
        const list = await post("?details=true", {
          search,
          operations: "(metric (cpu.* mean) (*way mean))",
        });
        expect(resourceIds(list.references)).toEqual([R1, R2, R3]);
        expect(list.measures[R1]).toEqual({
          "cpu.util": { mean: R1_UTIL },
          "cpu.idle": { mean: [] },
          noway: { mean: [] },
        });
        expect(list.measures[R2]["cpu.util"].mean).toEqual(R2_UTIL);
        expect(list.measures[R3]["cpu.util"].mean).toEqual(R3_UTIL);
        const solo = await post("?details=true", { search, operations: "(metric cpu.* mean)" });
        expect(solo.measures[R1]).toEqual({
          "cpu.util": { mean: R1_UTIL },
          "cpu.idle": { mean: [] },
        });
        const once = await post("?details=true", {
          search: `id = '${R1}'`,
          operations: "(metric (cpu.util mean) (cpu.util mean))",
        });
        expect(resourceIds(once.references)).toEqual([R1]);
        expect(once.measures).toEqual({ [R1]: { "cpu.util": { mean: R1_UTIL } } });
      });

      it("groups resources by attributes", async () => {
        const json = await post("?groupby=project_id&groupby=user_id&details=true", {
          search,
          operations: "(aggregate mean (metric cpu.util mean))",
        });
        expect(json).toHaveLength(2);
        expect(json[0].group).toEqual({ project_id: P1, user_id: USER });
        expect(resourceIds(json[0].measures.references)).toEqual([R1, R2]);
        expect(json[0].measures.measures.aggregated).toEqual([
          ["2015-03-06T14:30:00+00:00", 300, 21.525],
          ["2015-03-06T14:33:57+00:00", 1, 33.05],
          ["2015-03-06T14:34:12+00:00", 1, 10],
        ]);
        expect(json[1].group).toEqual({ project_id: P2, user_id: USER });
        expect(resourceIds(json[1].measures.references)).toEqual([R3]);
        expect(json[1].measures.measures.aggregated).toEqual(R3_UTIL);
        const byId = await post("?groupby=id&details=true", {
          search,
          operations: "(aggregate mean (metric unique.stuff mean))",
        });
        expect(byId).toHaveLength(1);
        expect(byId[0].group).toEqual({ id: R2 });
        expect(resourceIds(byId[0].measures.references)).toEqual([R2]);
        expect(byId[0].measures.measures.aggregated).toEqual(R2_UTIL);
      });

      it("drops infinities unless fill=null", async () => {
        const operations = "(/ (* 100 (aggregate mean (metric cpu.util mean))) 0 )";
        const dropped = await post("?details=true", { search, operations });
        expect(resourceIds(dropped.references)).toEqual([R1, R2, R3]);
        expect(dropped.measures.aggregated).toEqual([]);
        const kept = await post("?details=true&fill=null", { search, operations });
        expect(kept.measures.aggregated).toEqual([
          ["2015-03-06T14:30:00+00:00", 300, "Infinity"],
          ["2015-03-06T14:33:57+00:00", 1, "Infinity"],
          ["2015-03-06T14:34:12+00:00", 1, "Infinity"],
        ]);
        const grouped = await post("?groupby=project_id&groupby=user_id&details=true", {
          search,
          operations,
        });
        expect(grouped.map((g: Json) => g.measures.measures.aggregated)).toEqual([[], []]);
      });

      it("refuses what cannot be aggregated", async () => {
        const fail = async (query: string, body: Record<string, unknown>) => {
          const res = await api.request("POST", `/v1/aggregates${query}`, {
            body: { resource_type: "generic", ...body },
            headers: JSON_ACCEPT,
          });
          return { status: res.status, json: (await res.json()) as Json };
        };
        let r = await fail("", {
          search: {},
          operations: "(aggregate mean (metric cpu.util mean))",
        });
        expect(r.status).toBe(400);
        expect(r.json.description.cause).toBe("Metrics can't being aggregated");
        expect(r.json.description.detail).toHaveLength(4);
        for (const query of ["", "?groupby=id"]) {
          r = await fail(query, {
            search,
            operations: "(aggregate mean (metric (notexists mean) (foobar mean)))",
          });
          expect(r.status).toBe(400);
          expect(r.json.description).toEqual({
            cause: "Metrics not found",
            detail: ["foobar", "notexists"],
          });
        }
        r = await fail("?groupby=unit", {
          search: `id = '${R1}'`,
          operations: "(metric (cpu.util mean) (cpu.util mean))",
        });
        expect(r.status).toBe(400);
        expect(r.json.description).toBe("Invalid pagination: `Sort key supplied is invalid: unit'");
        r = await fail("?groupby=id:desc", { search, operations: "(metric cpu.util mean)" });
        expect(r.json.description).toBe(
          "Invalid pagination: `Sort key supplied is invalid: id:desc'",
        );
        r = await fail("", { resource_type: "nope", search: {}, operations: "(metric a mean)" });
        expect(r.json.description).toEqual({
          cause: "Resource type does not exist",
          detail: "nope",
        });
        r = await fail("", { operations: "(metric a mean)" });
        expect(r.json.description.reason).toMatch(/^required key not provided @ data\['search'\]/);
        r = await fail("", { search: "user_id == 'x'", operations: "(metric a mean)" });
        expect(r.json.description).toMatch(/^Invalid filter: Expected/);
        r = await fail("", { search: { "=": { nope: 1 } }, operations: "(metric a mean)" });
        expect(r.json.description).toBe("Resource type generic has no nope attribute");
      });
    });
  },
  { upgrade: { createDefaultPolicies: false } },
);
