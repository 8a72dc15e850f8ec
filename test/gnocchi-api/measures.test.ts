/**
 * Measures of a metric (spec rest §5.7, §5.8): the measures cases of
 * metric.yaml, metric-granularity.yaml, metric-timestamp-format.yaml,
 * metric-derived.yaml and resample-calendar.yaml against the real storage
 * engine (refresh processes through metricd's code), plus the body parser
 * and the measures JSON writer on their own.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { formatPythonFloat } from "../../src/carbonara/timespan.js";
import { formatTimestamp } from "../../src/carbonara/timestamp.js";
import { createApp } from "../../src/gnocchi-api/app.js";
import { pythonJson } from "../../src/gnocchi-api/json.js";
import { createLogger } from "../../src/gnocchi-api/logging.js";
import { ApiMetrics } from "../../src/gnocchi-api/metrics.js";
import { MeasuresInputError, parseMeasures } from "../../src/gnocchi-api/schemas/measures.js";
import { floatToken, measuresToJson } from "../../src/gnocchi-api/services/measures-json.js";
import { EMPTY_STATUS_SOURCE } from "../../src/gnocchi-api/status.js";
import { describeDrivers } from "../indexer/drivers.js";
import { ADMIN, BASE, FIXTURE_OPTIONS, FOOBAR, harness, openTestStorage } from "./helpers.js";

const admin = { authorization: ADMIN };
const json = { accept: "application/json" };
const FOOBAZ = "basic Zm9vYmF6Og==";

type Desc = { description: Record<string, unknown> };

function reasonOf(body: unknown): string {
  try {
    parseMeasures(body, 1_000_000_000_000_000);
  } catch (error) {
    if (error instanceof MeasuresInputError) return error.reason;
    throw error;
  }
  return "ok";
}

describe("measures body parser", () => {
  it("reads epoch numbers exactly, ISO strings, numeric strings and relative times", () => {
    const m = parseMeasures([
      { timestamp: 1425652437.2, value: 1 },
      { timestamp: 1425652437, value: "2.5" },
      { timestamp: "1425652437.123456789", value: true },
    ]);
    expect([...m.timestamps]).toEqual([1425652437200000, 1425652437000000, 1425652437123456]);
    expect([...m.values]).toEqual([1, 2.5, 1]);
    const iso = parseMeasures([{ timestamp: "2015-03-06T14:33:57.5+01:00", value: 0 }]);
    expect(formatTimestamp(iso.timestamps[0]!)).toBe("2015-03-06T13:33:57.500000+00:00");
    const now = 1_500_000_000_000_000;
    const rel = parseMeasures([{ timestamp: "-5 minutes", value: 0 }], now);
    expect(rel.timestamps[0]).toBe(now - 300_000_000);
    // Finer than a microsecond: floored exactly, not by float math.
    expect(parseMeasures([{ timestamp: 0.0000019, value: 0 }]).timestamps[0]).toBe(1);
  });

  it("takes what Python's float() takes as values", () => {
    const m = parseMeasures(
      ["nan", "-inf", "Infinity", " 1_000 ", "1e400", 3, false].map((value, i) => ({
        timestamp: i,
        value,
      })),
    );
    expect([...m.values]).toEqual([Number.NaN, -Infinity, Infinity, 1000, Infinity, 3, 0]);
  });

  it("gives Gnocchi's reasons, timestamps checked before values", () => {
    expect(reasonOf([["2015-03-06T14:33:57", 43.1]])).toBe("unexpected measures format");
    expect(reasonOf(1)).toBe("unexpected measures format");
    expect(reasonOf({ a: 1 })).toBe("unexpected measures format");
    expect(reasonOf([{ value: 1 }])).toBe("unexpected measures format");
    expect(reasonOf([{ timestamp: null, value: 1 }])).toBe("unexpected measures format");
    expect(reasonOf([{ timestamp: "1915-03-06T14:33:57", value: 1 }])).toBe(
      "unexpected timestamp 'Timestamp must be after Epoch'",
    );
    expect(reasonOf([{ timestamp: -1, value: 1 }])).toBe(
      "unexpected timestamp 'Timestamp must be after Epoch'",
    );
    expect(reasonOf([{ timestamp: "1915-100-06T14:33:57", value: 43.1 }])).toBe(
      "unexpected timestamp 'Unable to convert timestamps'",
    );
    expect(
      reasonOf([
        { timestamp: 1478012832, value: "x" },
        { timestamp: "-5 minutes", value: 43.1 },
      ]),
    ).toBe("unexpected timestamp 'Unable to convert timestamps'");
    expect(reasonOf([{ timestamp: 1, value: "foobar" }])).toBe("unexpected measures value");
    expect(reasonOf([{ timestamp: 1 }])).toBe("unexpected measures value");
    expect(reasonOf([{ timestamp: 1, value: null }])).toBe("unexpected measures value");
    expect(reasonOf([])).toBe("ok");
    expect(reasonOf({})).toBe("ok");
  });
});

/** Python's json.dumps of a float. */
function referenceFloat(v: number): string {
  if (Number.isNaN(v)) return "NaN";
  if (v === Infinity) return "Infinity";
  if (v === -Infinity) return "-Infinity";
  return formatPythonFloat(v);
}

describe("measures JSON writer", () => {
  it("matches pythonJson over formatTimestamp and Python floats", () => {
    const timestamps = Float64Array.from([0, 86_399_999_999, 1_425_652_437_200_000, 4e15]);
    const values = Float64Array.from([12, Number.NaN, -Infinity, 1e-7]);
    const expected = pythonJson(
      [...timestamps].map((t, i) => [formatTimestamp(t), 60.0, values[i]]),
    ).replaceAll(", 60, ", ", 60.0, ");
    const out = measuresToJson([{ granularity: 60_000_000, timestamps, values }]).toString();
    expect(out.replace(", 12.0]", ", 12]").replace("1e-07", String(1e-7))).toBe(expected);
    expect(out).toContain('["1970-01-01T00:00:00+00:00", 60.0, 12.0]');
    expect(out).toContain('"1970-01-01T23:59:59.999999+00:00", 60.0, NaN]');
    expect(out).toContain(", -Infinity]");
    expect(out).toContain(", 1e-07]");
    expect(measuresToJson([]).toString()).toBe("[]");
    expect(
      measuresToJson([
        { granularity: "M", timestamps: Float64Array.of(0), values: Float64Array.of(1.5) },
      ]).toString(),
    ).toBe('[["1970-01-01T00:00:00+00:00", "M", 1.5]]');
  });

  it("writes any value and timestamp as the reference serializer does", () => {
    const value = fc.oneof(
      fc.double(),
      fc.integer({ min: -1e9, max: 1e9 }).map((n) => n / 100),
      fc.integer({ min: -1e12, max: 1e12 }).map((n) => n / 10_000),
      fc.constantFrom(0, -0, 1e11, 99_999_999_999.9999, 1e-4, 0.00015),
    );
    const point = fc.tuple(fc.integer({ min: 0, max: 2 ** 52 }), value);
    fc.assert(
      fc.property(fc.array(point, { maxLength: 20 }), (points) => {
        const timestamps = Float64Array.from(points, (p) => p[0]);
        const values = Float64Array.from(points, (p) => p[1]);
        const reference = `[${points
          .map(([t, v]) => `[${JSON.stringify(formatTimestamp(t))}, 1.0, ${referenceFloat(v)}]`)
          .join(", ")}]`;
        const out = measuresToJson([{ granularity: 1_000_000, timestamps, values }]).toString();
        expect(out).toBe(reference);
      }),
      { numRuns: 500 },
    );
  });

  it("spells floats as Python's repr does", () => {
    for (const x of [0, -0, 1, 0.5, 43.1, 1e15, 1e16, 1.5e16, 1e-4, 1e-5, 123.456e-10, 2 ** 60]) {
      expect(floatToken(x)).toBe(formatPythonFloat(x));
    }
  });
});

describeDrivers(
  "measures API (metric.yaml, metric-granularity.yaml, metric-timestamp-format.yaml)",
  (ctx) => {
    const api = harness(ctx.db);
    let id = "";
    const measures = (query = "", headers: Record<string, string> = {}) =>
      api.request("GET", `/v1/metric/${id}/measures${query}`, { headers });
    const post = (body: unknown, headers: Record<string, string> = {}) =>
      api.request("POST", `/v1/metric/${id}/measures`, { headers, body });

    it("creates a one-second policy and a metric", async () => {
      const ap = await api.request("POST", "/v1/archive_policy", {
        headers: admin,
        body: { name: "cookies", definition: [{ granularity: "1 second" }] },
      });
      expect(ap.status).toBe(201);
      const res = await api.request("POST", "/v1/metric", {
        body: { archive_policy_name: "cookies" },
      });
      id = ((await res.json()) as { id: string }).id;
    });

    it("answers [] before any measure", async () => {
      const res = await measures();
      expect(res.status).toBe(200);
      expect(await res.text()).toBe("[]");
    });

    it("refuses measures before the epoch, bad timestamps, bad values, bad shapes", async () => {
      const epoch = await post([{ timestamp: "1915-03-06T14:33:57", value: 43.1 }]);
      expect(epoch.status).toBe(400);
      expect(await epoch.text()).toContain("Timestamp must be after Epoch");
      expect((await post([{ timestamp: "1915-100-06T14:33:57", value: 43.1 }])).status).toBe(400);
      const shape = await post(
        [
          ["2015-03-06T14:33:57", 43.1],
          ["2015-03-06T14:34:12", 12],
        ],
        json,
      );
      expect(shape.status).toBe(400);
      expect(((await shape.json()) as Desc).description).toEqual({
        cause: "Invalid input",
        detail: [],
        reason: "unexpected measures format",
      });
      const value = await post(
        [
          { timestamp: "2015-03-06T14:33:57", value: 12 },
          { timestamp: "2015-03-06T14:34:12", value: "foobar" },
        ],
        json,
      );
      expect(((await value.json()) as Desc).description.reason).toBe("unexpected measures value");
      expect((await post(1)).status).toBe(400);
      const mixed = await post([
        { timestamp: 1478012832, value: 43.1 },
        { timestamp: "-5 minutes", value: 43.1 },
      ]);
      expect(mixed.status).toBe(400);
      const undecodable = await api.request("POST", `/v1/metric/${id}/measures`, {
        headers: json,
        body: "[{",
      });
      expect(((await undecodable.json()) as Desc).description.cause).toBe("Unable to decode body");
    });

    it("refuses unknown metrics (404) and other users (403)", async () => {
      const body = [{ timestamp: "2015-03-06T14:33:57", value: 43.1 }];
      expect((await api.request("POST", "/v1/metric/fake/measures", { body })).status).toBe(404);
      expect((await api.request("GET", "/v1/metric/fake/measures")).status).toBe(404);
      expect((await post(body, { authorization: FOOBAZ })).status).toBe(403);
      expect((await measures("", { authorization: FOOBAZ })).status).toBe(403);
      expect((await post(body, { authorization: "" })).status).toBe(401);
    });

    it("accepts epoch, ISO and relative timestamps with 202 and an empty body", async () => {
      const epoch = await post([{ timestamp: 1425652437.0, value: 43.1 }]);
      expect(epoch.status).toBe(202);
      expect(epoch.headers.get("content-length")).toBe("0");
      expect(await epoch.text()).toBe("");
      expect((await post([{ timestamp: "2015-03-06T14:34:12", value: 12 }])).status).toBe(202);
      expect((await post([])).status).toBe(202);
    });

    it("checks the aggregation method and the granularity against the policy", async () => {
      const agg = await measures("?aggregation=wtf", json);
      expect(agg.status).toBe(404);
      expect(((await agg.json()) as Desc).description).toEqual({
        cause: "Aggregation method does not exist for this metric",
        detail: { metric: id, aggregation_method: "wtf" },
      });
      const gran = await measures("?granularity=42");
      expect(gran.status).toBe(404);
      expect(await gran.text()).toContain(
        `Aggregation method 'mean' at granularity '42.0' for metric ${id} does not exist`,
      );
      const bad = await measures("?granularity=foobar", json);
      expect(bad.status).toBe(400);
      expect(((await bad.json()) as Desc).description).toEqual({
        cause: "Argument value error",
        detail: "granularity",
        reason: "Unable to parse timespan",
      });
      const start = await measures("?start=notadate", json);
      expect(((await start.json()) as Desc).description).toEqual({
        cause: "Argument value error",
        detail: "start",
        reason: "Must be a datetime or a timestamp",
      });
      const stop = await measures("?stop=notadate", json);
      expect(((await stop.json()) as Desc).description.detail).toBe("stop");
      const refresh = await measures("?refresh=maybe");
      expect(refresh.status).toBe(400);
      expect(await refresh.text()).toContain(
        "Unable to parse `refresh': invalid truth value 'maybe'",
      );
    });

    it("reads after refresh, from a start in ISO or epoch form", async () => {
      const all = await measures("?refresh=true");
      expect(await all.text()).toBe(
        '[["2015-03-06T14:33:57+00:00", 1.0, 43.1], ["2015-03-06T14:34:12+00:00", 1.0, 12.0]]',
      );
      for (const start of ["2015-03-06T14:34", "1425652440"]) {
        const res = await measures(`?refresh=true&start=${start}`);
        expect(await res.json()).toEqual([["2015-03-06T14:34:12+00:00", 1.0, 12.0]]);
      }
      const stop = await measures("?stop=2015-03-06T14:34:12");
      expect(await stop.json()).toEqual([["2015-03-06T14:33:57+00:00", 1.0, 43.1]]);
      const gran = await measures("?granularity=1&refresh=true");
      expect(await gran.json()).toEqual([
        ["2015-03-06T14:33:57+00:00", 1.0, 43.1],
        ["2015-03-06T14:34:12+00:00", 1.0, 12.0],
      ]);
    });

    it("resamples to a coarser granularity, which needs a granularity", async () => {
      await post([
        { timestamp: "2015-03-06T14:34:15", value: 16 },
        { timestamp: "2015-03-06T14:35:12", value: 9 },
        { timestamp: "2015-03-06T14:35:15", value: 11 },
      ]);
      const res = await measures("?refresh=true&resample=60&granularity=1");
      expect(await res.text()).toBe(
        '[["2015-03-06T14:33:00+00:00", 60.0, 43.1], ["2015-03-06T14:34:00+00:00", 60.0, 14.0], ' +
          '["2015-03-06T14:35:00+00:00", 60.0, 10.0]]',
      );
      const none = await measures("?resample=60");
      expect(none.status).toBe(400);
      expect(await none.text()).toContain("A granularity must be specified to resample");
      const bad = await measures("?resample=abc&granularity=1");
      expect(bad.status).toBe(400);
      expect(await bad.text()).toContain("Unable to parse timespan");
    });

    it("accepts a relative timestamp and reads it back", async () => {
      const res = await api.request("POST", "/v1/metric", {
        body: { archive_policy_name: "cookies" },
      });
      const other = ((await res.json()) as { id: string }).id;
      const posted = await api.request("POST", `/v1/metric/${other}/measures`, {
        body: [{ timestamp: "-5 minutes", value: 43.1 }],
      });
      expect(posted.status).toBe(202);
      const got = await api.request("GET", `/v1/metric/${other}/measures?refresh=true`);
      const points = (await got.json()) as [string, number, number][];
      expect(points).toHaveLength(1);
      const age = Date.now() - Date.parse(points[0]![0]);
      expect(age).toBeGreaterThan(299_000);
      expect(age).toBeLessThan(320_000);
    });

    it("answers 503 when refresh cannot lock the sack in time", async () => {
      const storage = await openTestStorage(ctx.db());
      const app = createApp({
        options: { ...FIXTURE_OPTIONS, operationTimeout: 0.2 },
        db: ctx.db(),
        storage,
        status: EMPTY_STATUS_SOURCE,
        metrics: new ApiMetrics({ defaultMetrics: false }),
        logger: createLogger("silent"),
        version: "4.4.2",
      });
      // Hold the metric's sack as a busy metricd worker would.
      const lease = await storage.locks.acquire(storage.incoming.sackOf(id), 1_000);
      try {
        await storage.incoming.append([
          { metricId: id, timestamps: Float64Array.of(1425653000e6), values: Float64Array.of(1) },
        ]);
        const res = await app.request(`${BASE}/v1/metric/${id}/measures?refresh=true`, {
          headers: { authorization: FOOBAR },
        });
        expect(res.status).toBe(503);
        expect(await res.text()).toContain(
          `Unable to refresh metric: ${id}. Metric is locked. Please try again.`,
        );
      } finally {
        await lease.release();
        // Leave nothing pending for metricd once the indexer closes.
        await storage.reader.refresh([id]);
      }
    });
  },
  { upgrade: { createDefaultPolicies: false } },
);

describeDrivers(
  "measures semantics (metric-derived.yaml, resample-calendar.yaml)",
  (ctx) => {
    const api = harness(ctx.db);

    const derived: [string, number][] = [
      ["14:33:00", 10],
      ["14:34:10", 13],
      ["14:34:20", 13],
      ["14:34:30", 15],
      ["14:34:40", 18],
      ["14:34:50", 20],
      ["14:35:00", 22],
      ["14:35:10", 26],
      ["14:35:20", 30],
      ["14:35:30", 31],
      ["14:35:40", 37],
      ["14:35:50", 55],
      ["14:36:00", 62],
      ["14:36:10", 100],
      ["14:36:20", 102],
      ["14:36:30", 103],
      ["14:36:40", 104],
      ["14:36:50", 110],
    ];
    const body = (points: [string, number][]) =>
      points.map(([t, value]) => ({ timestamp: `2015-03-06T${t}`, value }));

    const expectDerived = async (id: string) => {
      const get = async (aggregation: string) =>
        (await (
          await api.request(
            "GET",
            `/v1/metric/${id}/measures?aggregation=${aggregation}&refresh=true`,
          )
        ).json()) as unknown;
      expect(await get("rate:mean")).toEqual([
        ["2015-03-06T14:34:00+00:00", 60.0, 2.0],
        ["2015-03-06T14:35:00+00:00", 60.0, 5.833333333333333],
        ["2015-03-06T14:36:00+00:00", 60.0, 9.166666666666666],
      ]);
      expect(await get("rate:95pct")).toEqual([
        ["2015-03-06T14:34:00+00:00", 60.0, 3.0],
        ["2015-03-06T14:35:00+00:00", 60.0, 15.0],
        ["2015-03-06T14:36:00+00:00", 60.0, 30.25],
      ]);
      expect(await get("rate:max")).toEqual([
        ["2015-03-06T14:34:00+00:00", 60.0, 3.0],
        ["2015-03-06T14:35:00+00:00", 60.0, 18.0],
        ["2015-03-06T14:36:00+00:00", 60.0, 38.0],
      ]);
      expect(await get("max")).toEqual([
        ["2015-03-06T14:33:00+00:00", 60.0, 10.0],
        ["2015-03-06T14:34:00+00:00", 60.0, 20.0],
        ["2015-03-06T14:35:00+00:00", 60.0, 55.0],
        ["2015-03-06T14:36:00+00:00", 60.0, 110.0],
      ]);
    };

    it("computes rate: methods, in one POST or two", async () => {
      const ap = await api.request("POST", "/v1/archive_policy", {
        headers: admin,
        body: {
          name: "carrot-cake",
          aggregation_methods: ["rate:mean", "rate:max", "rate:95pct", "max"],
          definition: [{ granularity: "1 minute" }],
        },
      });
      expect(ap.status).toBe(201);
      const create = async () =>
        (
          (await (
            await api.request("POST", "/v1/metric", {
              body: { archive_policy_name: "carrot-cake" },
            })
          ).json()) as { id: string }
        ).id;
      const one = await create();
      const posted = await api.request("POST", `/v1/metric/${one}/measures`, {
        body: body(derived),
      });
      expect(posted.status).toBe(202);
      await expectDerived(one);

      const two = await create();
      for (const part of [derived.slice(0, 8), derived.slice(8)]) {
        const res = await api.request("POST", `/v1/metric/${two}/measures`, { body: body(part) });
        expect(res.status).toBe(202);
      }
      await expectDerived(two);
    });

    it("resamples by calendar period", async () => {
      await api.request("POST", "/v1/archive_policy", {
        headers: admin,
        body: { name: "daily", definition: [{ granularity: "1 day" }] },
      });
      const created = await api.request("POST", "/v1/metric", {
        body: { archive_policy_name: "daily" },
      });
      const id = ((await created.json()) as { id: string }).id;
      const points: [string, number][] = [
        ["2015-03-01", 10],
        ["2015-03-06", 12],
        ["2015-04-01", 2],
        ["2015-04-06", 4],
        ["2015-10-06", 7],
        ["2016-01-06", 12],
        ["2016-02-06", 4],
      ];
      await api.request("POST", `/v1/metric/${id}/measures`, {
        body: points.map(([d, value]) => ({ timestamp: `${d}T14:34:12`, value })),
      });
      const get = async (query: string) =>
        (await (await api.request("GET", `/v1/metric/${id}/measures?${query}`)).json()) as unknown;
      expect(await get("refresh=true")).toEqual(
        points.map(([d, v]) => [`${d}T00:00:00+00:00`, 86400.0, v]),
      );
      const cal = (letter: string, rows: [string, number][]) =>
        rows.map(([d, v]) => [`${d}T00:00:00+00:00`, letter, v]);
      expect(await get("resample=Y&granularity=86400")).toEqual(
        cal("Y", [
          ["2015-01-01", 7.0],
          ["2016-01-01", 8.0],
        ]),
      );
      expect(await get("resample=H&granularity=86400")).toEqual(
        cal("H", [
          ["2015-01-01", 7.0],
          ["2015-07-01", 7.0],
          ["2016-01-01", 8.0],
        ]),
      );
      expect(await get("resample=Q&granularity=86400")).toEqual(
        cal("Q", [
          ["2015-01-01", 11.0],
          ["2015-04-01", 3.0],
          ["2015-10-01", 7.0],
          ["2016-01-01", 8.0],
        ]),
      );
      expect(await get("resample=M&granularity=86400")).toEqual(
        cal("M", [
          ["2015-03-01", 11.0],
          ["2015-04-01", 3.0],
          ["2015-10-01", 7.0],
          ["2016-01-01", 12.0],
          ["2016-02-01", 4.0],
        ]),
      );
      expect(await get("resample=W&granularity=86400")).toEqual(
        cal("W", [
          ["2015-03-01", 11.0],
          ["2015-03-29", 2.0],
          ["2015-04-05", 4.0],
          ["2015-10-04", 7.0],
          ["2016-01-03", 12.0],
          ["2016-01-31", 4.0],
        ]),
      );
      // A calendar resample combined with start works (the original failed there).
      expect(await get("resample=M&granularity=86400&start=2016-01-15")).toEqual(
        cal("M", [
          ["2016-01-01", 12.0],
          ["2016-02-01", 4.0],
        ]),
      );
    });

    it("writes NaN and infinities as Python's tokens", async () => {
      await api.request("POST", "/v1/archive_policy", {
        headers: admin,
        body: {
          name: "plain",
          aggregation_methods: ["mean", "max"],
          definition: [{ granularity: 1 }],
        },
      });
      const created = await api.request("POST", "/v1/metric", {
        body: { archive_policy_name: "plain" },
      });
      const id = ((await created.json()) as { id: string }).id;
      await api.request("POST", `/v1/metric/${id}/measures`, {
        body: [
          { timestamp: 10, value: "nan" },
          { timestamp: 11, value: "inf" },
          { timestamp: 12, value: "-Infinity" },
        ],
      });
      const res = await api.request("GET", `/v1/metric/${id}/measures?refresh=true`);
      expect(await res.text()).toBe(
        '[["1970-01-01T00:00:10+00:00", 1.0, NaN], ["1970-01-01T00:00:11+00:00", 1.0, Infinity], ' +
          '["1970-01-01T00:00:12+00:00", 1.0, -Infinity]]',
      );
    });
  },
  { upgrade: { createDefaultPolicies: false } },
);
