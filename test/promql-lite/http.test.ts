/**
 * The Prometheus HTTP API on our storage, through the Hono app with a real
 * storage engine and remote-written samples, on both indexer drivers:
 * response shapes, GET and form POST, read-after-write, staleness markers,
 * Prometheus' error types and statuses, limits, tenancy, deleted metrics.
 */
import { describe, expect, it } from "vitest";
import { deleteMetric } from "../../src/indexer/metric-store.js";
import { describeDrivers } from "../indexer/drivers.js";
import { ADMIN, createPromPolicy, FOOBAR, OTHER, promHarness } from "./http-helpers.js";

const MIN = 60_000;
/** Minute-aligned, 30 minutes ago (inside the 1 s archive's hour). */
const T0 = Math.floor(Date.now() / MIN) * MIN - 30 * MIN;
const sec = (ms: number) => ms / 1000;
const STALE = new Float64Array(new BigUint64Array([0x7ff0000000000002n]).buffer)[0]!;

/** Samples every 15 s for 20 minutes from T0, value f(seconds since T0). */
function samples(f: (s: number) => number, minutes = 20): [number, number][] {
  const out: [number, number][] = [];
  for (let s = 0; s <= minutes * 60; s += 15) out.push([T0 + s * 1000, f(s)]);
  return out;
}

const CPU = { __name__: "node_cpu_seconds_total", job: "node", instance: "a:9100", cpu: "0" };

async function json(r: Response): Promise<Record<string, unknown>> {
  return (await r.json()) as Record<string, unknown>;
}

describeDrivers(
  "Prometheus HTTP API",
  (ctx) => {
    const api = promHarness(ctx.db);

    it("loads data through remote write", async () => {
      await createPromPolicy(ctx.db());
      await api.write([
        { labels: { ...CPU, mode: "idle" }, samples: samples((s) => s) },
        { labels: { ...CPU, mode: "user" }, samples: samples((s) => s / 2) },
        { labels: { __name__: "up", job: "node", instance: "a:9100" }, samples: samples(() => 1) },
      ]);
      await api.write(
        [
          {
            labels: { __name__: "secret_total", job: "foo", instance: "b" },
            samples: samples((s) => s),
          },
        ],
        FOOBAR,
      );
    });

    it("answers the health check's 1+1 at time 4 with a scalar", async () => {
      const r = await api.postForm("/api/v1/query", { query: "1+1", time: "4" });
      expect(r.status).toBe(200);
      expect(r.headers.get("content-type")).toMatch(/application\/json/);
      expect(await r.json()).toEqual({
        status: "success",
        data: { resultType: "scalar", result: [4, "2"] },
      });
    });

    it("evaluates an instant vector selector right after the write (read-after-write)", async () => {
      const t = T0 + 10 * MIN;
      const r = await api.get("/api/v1/query", { query: "up", time: String(sec(t)) });
      expect(await r.json()).toEqual({
        status: "success",
        data: {
          resultType: "vector",
          result: [
            { metric: { __name__: "up", job: "node", instance: "a:9100" }, value: [sec(t), "1"] },
          ],
        },
      });
    });

    it("sees samples written just before the query, without waiting for metricd", async () => {
      const t = T0 + 25 * MIN;
      await api.write([
        {
          labels: { __name__: "fresh_gauge", job: "node", instance: "a:9100" },
          samples: [[t, 42]],
        },
      ]);
      const r = await api.get("/api/v1/query", { query: "fresh_gauge", time: String(sec(t)) });
      const body = (await json(r)) as { data: { result: { value: [number, string] }[] } };
      expect(body.data.result.map((s) => s.value)).toEqual([[sec(t), "42"]]);
    });

    it("range query: sum by (mode) (rate(...)) on the step grid, GET and form POST alike", async () => {
      const params = {
        query: "sum by (mode) (rate(node_cpu_seconds_total[1m]))",
        start: String(sec(T0 + 5 * MIN)),
        end: String(sec(T0 + 10 * MIN)),
        step: "60",
      };
      const viaGet = await json(await api.get("/api/v1/query_range", params));
      const viaPost = await json(await api.postForm("/api/v1/query_range", params));
      expect(viaPost).toEqual(viaGet);
      const data = viaGet.data as {
        resultType: string;
        result: { metric: object; values: [number, string][] }[];
      };
      expect(data.resultType).toBe("matrix");
      expect(data.result.map((s) => s.metric)).toEqual([{ mode: "idle" }, { mode: "user" }]);
      for (const s of data.result)
        expect(s.values.map((v) => v[0])).toEqual(
          [0, 1, 2, 3, 4, 5].map((k) => sec(T0 + (5 + k) * MIN)),
        );
      expect(data.result[0]!.values.every((v) => Math.abs(Number(v[1]) - 1) < 1e-9)).toBe(true);
      expect(data.result[1]!.values.every((v) => Math.abs(Number(v[1]) - 0.5) < 1e-9)).toBe(true);
    });

    it("accepts RFC 3339 times and duration steps", async () => {
      const r = await api.get("/api/v1/query_range", {
        query: "up",
        start: new Date(T0 + 5 * MIN).toISOString(),
        end: new Date(T0 + 6 * MIN).toISOString(),
        step: "30s",
      });
      const body = (await json(r)) as { data: { result: { values: unknown[] }[] } };
      expect(body.data.result[0]!.values).toHaveLength(3);
    });

    it("returns the raw samples of a range selector in an instant query", async () => {
      const t = T0 + 10 * MIN;
      const r = await api.get("/api/v1/query", {
        query: 'node_cpu_seconds_total{mode="idle"}[1m]',
        time: String(sec(t)),
      });
      const body = (await json(r)) as {
        data: { resultType: string; result: { values: [number, string][] }[] };
      };
      expect(body.data.resultType).toBe("matrix");
      expect(body.data.result[0]!.values).toEqual(
        [0, 15, 30, 45, 60].map((s) => [sec(t - 60_000 + s * 1000), String(540 + s)]),
      );
    });

    it("passes staleness markers through: a series ends at its marker", async () => {
      const t = T0 + 21 * MIN;
      await api.write([
        {
          labels: { __name__: "gone", job: "node", instance: "a:9100" },
          samples: [
            [t - 30_000, 7],
            [t - 15_000, STALE],
          ],
        },
      ]);
      const before = await json(
        await api.get("/api/v1/query", { query: "gone", time: String(sec(t - 20_000)) }),
      );
      expect((before.data as { result: unknown[] }).result).toHaveLength(1);
      const after = await json(
        await api.get("/api/v1/query", { query: "gone", time: String(sec(t)) }),
      );
      expect(after.data).toEqual({ resultType: "vector", result: [] });
    });

    describe("errors", () => {
      const expectError = async (
        r: Response,
        status: number,
        errorType: string,
        error: string | RegExp,
      ) => {
        const body = await json(r);
        expect(r.status).toBe(status);
        expect(body.status).toBe("error");
        expect(body.errorType).toBe(errorType);
        if (typeof error === "string") expect(body.error).toBe(error);
        else expect(body.error).toMatch(error);
      };

      it("parse error: 400 bad_data with Prometheus' text", async () => {
        await expectError(
          await api.get("/api/v1/query", { query: "sum(up" }),
          400,
          "bad_data",
          /^invalid parameter "query": 1:\d+: parse error: /,
        );
      });

      it("query_range parameter checks, in Prometheus' order", async () => {
        await expectError(
          await api.get("/api/v1/query_range", { query: "up", end: "10", step: "1" }),
          400,
          "bad_data",
          'invalid parameter "start": cannot parse "" to a valid timestamp',
        );
        await expectError(
          await api.get("/api/v1/query_range", { query: "up", start: "10", end: "5", step: "1" }),
          400,
          "bad_data",
          "end timestamp must not be before start time",
        );
        await expectError(
          await api.get("/api/v1/query_range", { query: "up", start: "1", end: "5" }),
          400,
          "bad_data",
          'invalid parameter "step": cannot parse "" to a valid duration',
        );
        await expectError(
          await api.get("/api/v1/query_range", { query: "up", start: "1", end: "5", step: "-1" }),
          400,
          "bad_data",
          "zero or negative query resolution step widths are not accepted. Try a positive integer",
        );
        await expectError(
          await api.get("/api/v1/query_range", {
            query: "up",
            start: "0",
            end: "12000",
            step: "1",
          }),
          400,
          "bad_data",
          "exceeded maximum resolution of 11,000 points per timeseries. Try decreasing the query resolution (?step=XX)",
        );
        await expectError(
          await api.get("/api/v1/query_range", {
            query: "up[5m]",
            start: "0",
            end: "10",
            step: "1",
          }),
          400,
          "bad_data",
          'invalid parameter "query": invalid expression type "range vector" for range query, must be Scalar or instant Vector',
        );
        await expectError(
          await api.get("/api/v1/query", { query: "up", time: "yesterday" }),
          400,
          "bad_data",
          'invalid parameter "time": cannot parse "yesterday" to a valid timestamp',
        );
      });

      it("evaluation failure: 422 execution", async () => {
        // Two series per job on each side of a one-to-one match.
        await expectError(
          await api.get("/api/v1/query", {
            query: "node_cpu_seconds_total + on(job) node_cpu_seconds_total",
            time: String(sec(T0 + 10 * MIN)),
          }),
          422,
          "execution",
          /duplicate series|many-to-many|same labelset/,
        );
      });

      it("timeout: 503 timeout", async () => {
        await expectError(
          await api.get("/api/v1/query_range", {
            query: "rate(node_cpu_seconds_total[1m])",
            start: String(sec(T0)),
            end: String(sec(T0 + 20 * MIN)),
            step: "1",
            timeout: "0.000000001",
          }),
          503,
          "timeout",
          /^query timed out in /,
        );
      });

      it("bad timeout parameter: 400", async () => {
        await expectError(
          await api.get("/api/v1/query", { query: "up", timeout: "soon" }),
          400,
          "bad_data",
          'invalid parameter "timeout": cannot parse "soon" to a valid duration',
        );
      });

      it("no identity: 401 in Prometheus' shape", async () => {
        const r = await api.get("/api/v1/query", { query: "up" }, "");
        expect(r.status).toBe(401);
        expect((await json(r)).status).toBe("error");
      });

      it("wrong method: plain-text 405", async () => {
        const r = await (await api.app()).request("http://localhost:8041/gnocchi/api/v1/query", {
          method: "DELETE",
          headers: { authorization: ADMIN },
        });
        expect(r.status).toBe(405);
        expect(await r.text()).toBe("Method Not Allowed\n");
      });
    });

    describe("metadata endpoints", () => {
      it("/series with match[] (repeatable), sorted label sets", async () => {
        const r = await api.get("/api/v1/series", {
          "match[]": ["up", 'node_cpu_seconds_total{mode="user"}'],
        });
        expect(await r.json()).toEqual({
          status: "success",
          data: [
            {
              __name__: "node_cpu_seconds_total",
              cpu: "0",
              instance: "a:9100",
              job: "node",
              mode: "user",
            },
            { __name__: "up", instance: "a:9100", job: "node" },
          ],
        });
        const form = await api.postForm("/api/v1/series", { "match[]": "up" });
        expect(((await json(form)).data as unknown[]).length).toBe(1);
      });

      it("/series without match[] or with a bad one: 400", async () => {
        const none = await api.get("/api/v1/series");
        expect(await none.json()).toEqual({
          status: "error",
          errorType: "bad_data",
          error: "no match[] parameter provided",
        });
        const bad = await api.get("/api/v1/series", { "match[]": "rate(up[5m])" });
        expect(bad.status).toBe(400);
        expect((await json(bad)).error).toMatch(/^invalid parameter "match\[\]": /);
      });

      it("/labels and /label/<name>/values, with match[]", async () => {
        const names = await json(await api.get("/api/v1/labels", { "match[]": "up" }));
        expect(names.data).toEqual(["__name__", "instance", "job"]);
        const all = await json(await api.get("/api/v1/labels"));
        expect(all.data).toEqual(["__name__", "cpu", "instance", "job", "mode"]);
        const values = await json(await api.get("/api/v1/label/mode/values"));
        expect(values.data).toEqual(["idle", "user"]);
        const metricNames = await json(
          await api.get("/api/v1/label/__name__/values", { "match[]": '{job="node"}' }),
        );
        expect(metricNames.data).toEqual(["fresh_gauge", "gone", "node_cpu_seconds_total", "up"]);
        const unknown = await json(await api.get("/api/v1/label/nope/values"));
        expect(unknown).toEqual({ status: "success", data: [] });
        const invalid = await api.get("/api/v1/label/1bad/values");
        expect(await invalid.json()).toEqual({
          status: "error",
          errorType: "bad_data",
          error: 'invalid label name: "1bad"',
        });
      });

      it("metadata, exemplars, buildinfo, format_query", async () => {
        expect(await (await api.get("/api/v1/metadata")).json()).toEqual({
          status: "success",
          data: {},
        });
        expect(await (await api.get("/api/v1/query_exemplars", { query: "up" })).json()).toEqual({
          status: "success",
          data: [],
        });
        const info = (await json(await api.get("/api/v1/status/buildinfo"))).data as Record<
          string,
          string
        >;
        expect(info.version).toBe("2.42.0");
        expect(info.revision).toBe("gnocchi-ts 4.4.2");
        expect(
          await (await api.get("/api/v1/format_query", { query: "sum by(mode)(up)" })).json(),
        ).toEqual({
          status: "success",
          data: "sum by (mode) (up)",
        });
      });
    });

    describe("tenancy", () => {
      it("a non-admin sees only the series of metrics they may read", async () => {
        const t = String(sec(T0 + 10 * MIN));
        const foo = await json(
          await api.get("/api/v1/query", { query: '{__name__=~".+"}', time: t }, FOOBAR),
        );
        expect(
          (foo.data as { result: { metric: { __name__: string } }[] }).result.map(
            (s) => s.metric.__name__,
          ),
        ).toEqual(["secret_total"]);
        const other = await json(
          await api.get("/api/v1/query", { query: '{__name__=~".+"}', time: t }, OTHER),
        );
        expect(other.data).toEqual({ resultType: "vector", result: [] });
        const admin = await json(
          await api.get("/api/v1/query", { query: "secret_total", time: t }),
        );
        expect((admin.data as { result: unknown[] }).result).toHaveLength(1);
      });

      it("on /series, /labels and label values too", async () => {
        const series = await json(
          await api.get("/api/v1/series", { "match[]": '{__name__!=""}' }, FOOBAR),
        );
        expect(series.data).toEqual([{ __name__: "secret_total", instance: "b", job: "foo" }]);
        expect((await json(await api.get("/api/v1/labels", {}, OTHER))).data).toEqual([]);
        expect((await json(await api.get("/api/v1/label/job/values", {}, FOOBAR))).data).toEqual([
          "foo",
        ]);
        expect((await json(await api.get("/api/v1/label/job/values"))).data).toEqual([
          "foo",
          "node",
        ]);
      });
    });

    it("never returns a deleted metric", async () => {
      const t = String(sec(T0 + 10 * MIN));
      const before = await json(
        await api.get("/api/v1/query", { query: "secret_total", time: t }, FOOBAR),
      );
      expect((before.data as { result: unknown[] }).result).toHaveLength(1);
      const r = await ctx
        .db()
        .query<{ id: string }>("SELECT id::text FROM metric WHERE name = 'secret_total'");
      await deleteMetric(ctx.db(), r.rows[0]!.id);
      const after = await json(
        await api.get("/api/v1/query", { query: "secret_total", time: t }, FOOBAR),
      );
      expect(after.data).toEqual({ resultType: "vector", result: [] });
      const series = await json(await api.get("/api/v1/series", { "match[]": "secret_total" }));
      expect(series.data).toEqual([]);
    });
  },
  { upgrade: { createDefaultPolicies: false } },
);

describeDrivers(
  "Prometheus HTTP API limits",
  (ctx) => {
    const api = promHarness(ctx.db, { maxSamples: 10 });

    it("max samples: 422 execution", async () => {
      await createPromPolicy(ctx.db());
      await api.write([
        { labels: { __name__: "up", job: "node", instance: "a" }, samples: samples(() => 1) },
      ]);
      const r = await api.get("/api/v1/query_range", {
        query: "up",
        start: String(sec(T0)),
        end: String(sec(T0 + 10 * MIN)),
        step: "15",
      });
      expect(r.status).toBe(422);
      expect(await r.json()).toEqual({
        status: "error",
        errorType: "execution",
        error: "query processing would load too many samples into memory in query execution",
      });
    });
  },
  { upgrade: { createDefaultPolicies: false } },
);
