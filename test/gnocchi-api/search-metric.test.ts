/**
 * `POST /v1/search/metric` (spec rest §9.4): the upstream search-metric.yaml,
 * plus the predicate language and its errors.
 */
import { beforeAll, expect, it } from "vitest";
import { describeDrivers } from "../indexer/drivers.js";
import { aggregationFixture, type Json } from "./aggregation-fixture.js";

describeDrivers(
  "search metric API (search-metric.yaml)",
  (ctx) => {
    const api = aggregationFixture(ctx.db);
    let metric = "";
    let empty = "";
    const search = async (query: string, body: unknown) => {
      const res = await api.request("POST", `/v1/search/metric?${query}`, {
        body,
        headers: { accept: "application/json" },
      });
      const text = await res.text();
      return { status: res.status, text, json: JSON.parse(text) as Json };
    };
    const times = Array.from({ length: 12 }, (_, i) => 12 + 2 * i);

    beforeAll(async () => {
      const policy = await api.request("POST", "/v1/archive_policy", {
        headers: { authorization: "basic YWRtaW46" },
        body: {
          name: "high",
          definition: [
            { granularity: "1 second", timespan: "1 hour" },
            { granularity: "2 second", timespan: "1 hour" },
          ],
        },
      });
      expect(policy.status).toBe(201);
      metric = await api.createMetric("high");
      empty = await api.createMetric("high");
      await api.measures(
        metric,
        times.map((s, i) => [`2014-10-06T14:34:${String(s).padStart(2, "0")}`, i < 6 ? 12 : 13]),
      );
    });

    it("keeps the matching points at the requested granularities", async () => {
      const one = await search(`metric_id=${metric}&granularity=1s`, { "=": 12 });
      expect(one.status).toBe(200);
      expect(one.json).toEqual({
        [metric]: times.slice(0, 6).map((s) => [`2014-10-06T14:34:${s}+00:00`, 1, 12]),
      });
      expect(one.text).toContain(`"2014-10-06T14:34:12+00:00", 1.0, 12.0]`);
      const two = await search(`metric_id=${metric}&granularity=1second&granularity=2s`, {
        "=": 12,
      });
      expect(two.status).toBe(200);
      const rows = two.json[metric] as unknown[][];
      expect(rows.map((r) => r[1])).toEqual([...Array(6).fill(2), ...Array(6).fill(1)]);
    });

    it("reads every granularity of the policy by default, with start and stop", async () => {
      const all = await search(
        `metric_id=${metric}&start=2014-10-06T14:34:30&stop=2014-10-06T14:34:34`,
        {
          "≥": 13,
        },
      );
      expect(all.json[metric]).toEqual([
        ["2014-10-06T14:34:30+00:00", 2, 13],
        ["2014-10-06T14:34:32+00:00", 2, 13],
        ["2014-10-06T14:34:30+00:00", 1, 13],
        ["2014-10-06T14:34:32+00:00", 1, 13],
      ]);
    });

    it("evaluates nested operators", async () => {
      const arithmetic = await search(`metric_id=${metric}&granularity=1`, {
        and: [{ ">=": [{ "+": 23 }, 35] }, { "<": [{ "*": 2 }, 25] }],
      });
      expect(arithmetic.json[metric]).toHaveLength(6);
      const or = await search(`metric_id=${metric}&granularity=1`, {
        "∨": [{ "=": 1 }, { "≠": 12 }],
      });
      expect((or.json[metric] as unknown[][]).map((r) => r[2])).toEqual(Array(6).fill(13));
      const none = await search(`metric_id=${metric}&granularity=1`, { "∧": [{ "≥": 1000 }] });
      expect(none.json).toEqual({ [metric]: [] });
      const mod = await search(`metric_id=${metric}&granularity=1`, { "=": [{ "%": -5 }, -3] });
      expect(mod.json[metric]).toHaveLength(6);
    });

    it("refuses missing granularities and bad parameters", async () => {
      for (const query of ["granularity=1s&granularity=300", "granularity=300"]) {
        const r = await search(`metric_id=${metric}&${query}`, { "=": 12 });
        expect(r.status).toBe(400);
        expect(r.json.description).toEqual({
          cause: "Aggregation does not exist",
          detail: { granularity: 300, aggregation_method: "mean" },
        });
        expect(r.text).toContain('"granularity": 300.0');
      }
      const start = await search(`metric_id=${metric}&start=foobar`, { "∧": [{ "≥": 1000 }] });
      expect(start.status).toBe(400);
      expect(start.text).toContain("Invalid value for start");
      const stop = await search(`metric_id=${empty}&stop=foobar`, { "∧": [{ "≥": 1000 }] });
      expect(stop.status).toBe(400);
      expect(stop.text).toContain("Invalid value for stop");
      const noBody = await api.request("POST", `/v1/search/metric?metric_id=${metric}`);
      expect(noBody.status).toBe(400);
      expect(await noBody.text()).toContain("No query specified in body");
      const not = await search(`metric_id=${metric}`, { not: [{ "=": 12 }] });
      expect(not.status).toBe(400);
      expect(not.json.description).toBe("Unknown operator not");
      for (const body of [{ "=": "12" }, { "=": [1, 2, 3] }, { "=": 1, "<": 2 }, { what: 1 }, []]) {
        const r = await search(`metric_id=${metric}`, body);
        expect(r.status).toBe(400);
        expect(r.json.description.cause).toBe("Invalid input");
      }
      const missing = await api.request("POST", "/v1/search/metric", { body: { "=": 1 } });
      expect(missing.status).toBe(400);
    });

    it("reports a metric without data and ignores unknown ids", async () => {
      const r = await search(`metric_id=${empty}`, { "=": 12 });
      expect(r.status).toBe(400);
      expect(r.json.description.cause).toBe("Metric does not exist");
      expect(r.json.description.detail.metric.id).toBe(empty);
      const unknown = await search(
        `metric_id=8c062a7e-9f9f-4b1c-9996-9d0328512ab7&metric_id=nope&metric_id=${metric}&granularity=2`,
        { "=": 13 },
      );
      expect(Object.keys(unknown.json)).toEqual([metric]);
    });

    it("checks who may read the metrics", async () => {
      const other = await api.request("POST", `/v1/search/metric?metric_id=${metric}`, {
        headers: { authorization: "basic Zm9vYmF6Og==" },
        body: { "=": 12 },
      });
      expect(other.status).toBe(403);
      const anonymous = await api.request("POST", `/v1/search/metric?metric_id=${metric}`, {
        headers: { authorization: undefined },
        body: { "=": 12 },
      });
      expect(anonymous.status).toBe(401);
    });
  },
  { upgrade: { createDefaultPolicies: false } },
);
