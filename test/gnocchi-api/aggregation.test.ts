/**
 * The deprecated `/v1/aggregation` endpoints (spec rest §12): the upstream
 * aggregation.yaml and resource-aggregation.yaml, in order.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { describeDrivers } from "../indexer/drivers.js";
import { aggregationFixture, type Json } from "./aggregation-fixture.js";

describeDrivers(
  "deprecated aggregation API",
  (ctx) => {
    describe("aggregation.yaml", () => {
      const api = aggregationFixture(ctx.db);
      let m1 = "";
      let m2 = "";
      const get = (query: string) => api.json("GET", `/v1/aggregation/metric?${query}`);
      const status = async (method: string, path: string, body?: unknown) => {
        const res = await api.request(method, path, { body });
        return { status: res.status, text: await res.text() };
      };

      beforeAll(async () => {
        await api.createPolicy("low", ["1 second", "300 seconds"]);
        // Sorted by id, as `GET /v1/metric` lists them.
        const ids = [await api.createMetric("low"), await api.createMetric("low")].sort();
        m1 = ids[0]!;
        m2 = ids[1]!;
        await api.measures(m1!, [
          ["2015-03-06T14:33:57", 43.1],
          ["2015-03-06T14:34:12", 12],
        ]);
        await api.measures(m2!, [
          ["2015-03-06T14:33:57", 3.1],
          ["2015-03-06T14:34:12", 2],
          ["2015-03-06T14:35:12", 5],
        ]);
      });

      it("refuses bad granularities and ids", async () => {
        expect(
          (
            await status(
              "GET",
              `/v1/aggregation/metric?metric=${m1}&metric=${m2}&granularity=foobar`,
            )
          ).status,
        ).toBe(400);
        const invalid = await status("GET", "/v1/aggregation/metric?metric=foobar");
        expect(invalid.status).toBe(400);
        expect(invalid.text).toContain("Invalid input: not a valid value @ data[0]");
        const unknown = await status(
          "GET",
          `/v1/aggregation/metric?metric=${m1}&metric=8c062a7e-9f9f-4b1c-9996-9d0328512ab7`,
        );
        expect(unknown.status).toBe(404);
        expect(unknown.text).toContain(
          "Metric 8c062a7e-9f9f-4b1c-9996-9d0328512ab7 does not exist",
        );
      });

      it("aggregates by GET and POST, with refresh", async () => {
        const expected = [
          ["2015-03-06T14:33:57+00:00", 1, 23.1],
          ["2015-03-06T14:34:12+00:00", 1, 7],
        ];
        expect(await get(`metric=${m1}&metric=${m2}&granularity=1&refresh=true`)).toEqual(expected);
        expect(
          await api.json("POST", "/v1/aggregation/metric?granularity=1&refresh=true", [m1, m2]),
        ).toEqual(expected);
        const raw = await api.request(
          "GET",
          `/v1/aggregation/metric?metric=${m1}&metric=${m2}&granularity=1`,
        );
        expect(await raw.text()).toBe(
          '[["2015-03-06T14:33:57+00:00", 1.0, 23.1], ["2015-03-06T14:34:12+00:00", 1.0, 7.0]]',
        );
      });

      it("slices by start and stop with offsets", async () => {
        const start = encodeURIComponent("2015-03-06T15:33:57+01:00");
        const stop = encodeURIComponent("2015-03-06T15:34:00+01:00");
        expect(
          await get(`metric=${m1}&metric=${m2}&start=${start}&stop=${stop}&refresh=true`),
        ).toEqual([
          ["2015-03-06T14:30:00+00:00", 300, 15.05],
          ["2015-03-06T14:33:57+00:00", 1, 23.1],
        ]);
      });

      it("answers Gnocchi's 404 text for an unknown method or granularity", async () => {
        const res = await api.request(
          "GET",
          `/v1/aggregation/metric?metric=${m1}&metric=${m2}&aggregation=wtf`,
          { headers: { accept: "application/json" } },
        );
        expect(res.status).toBe(404);
        expect(((await res.json()) as Json).description).toBe(
          `Aggregation method 'wtf' at granularity '1.0' for metric ${m1} does not exist`,
        );
        const last = await api.request(
          "GET",
          `/v1/aggregation/metric?metric=${m1}&aggregation=last`,
          {
            headers: { accept: "application/json" },
          },
        );
        expect(last.status).toBe(404);
        expect(((await last.json()) as Json).description).toEqual({
          cause: "Aggregation method does not exist for this metric",
          detail: { metric: m1, aggregation_method: "last" },
        });
        const one = await status("GET", `/v1/aggregation/metric?metric=${m1}&granularity=42`);
        expect(one.status).toBe(404);
        expect(one.text).toContain("Aggregation method 'mean' at granularity '42.0' for metric");
      });

      it("reaggregates, resamples and fills", async () => {
        expect(await get(`metric=${m1}&metric=${m2}&reaggregation=min&refresh=true`)).toEqual([
          ["2015-03-06T14:30:00+00:00", 300, 2.55],
          ["2015-03-06T14:33:57+00:00", 1, 3.1],
          ["2015-03-06T14:34:12+00:00", 1, 2],
        ]);
        expect(await get(`metric=${m1}&metric=${m2}&granularity=1&resample=60`)).toEqual([
          ["2015-03-06T14:33:00+00:00", 60, 23.1],
          ["2015-03-06T14:34:00+00:00", 60, 7],
        ]);
        const ops = await api.json("POST", "/v1/aggregates?granularity=1", {
          operations: `(aggregate mean (resample mean 60 (metric (${m1} mean) (${m2} mean))))`,
        });
        expect(ops.measures.aggregated).toEqual([
          ["2015-03-06T14:33:00+00:00", 60, 23.1],
          ["2015-03-06T14:34:00+00:00", 60, 7],
          ["2015-03-06T14:35:00+00:00", 60, 5],
        ]);
        expect(await get(`metric=${m1}&metric=${m2}&granularity=1&fill=0`)).toEqual([
          ["2015-03-06T14:33:57+00:00", 1, 23.1],
          ["2015-03-06T14:34:12+00:00", 1, 7],
          ["2015-03-06T14:35:12+00:00", 1, 2.5],
        ]);
        expect(await get(`metric=${m1}&metric=${m2}&granularity=1&fill=null`)).toEqual([
          ["2015-03-06T14:33:57+00:00", 1, 23.1],
          ["2015-03-06T14:34:12+00:00", 1, 7],
          ["2015-03-06T14:35:12+00:00", 1, 5],
        ]);
        expect(await get(`metric=${m1}&metric=${m2}&fill=0`)).toEqual([
          ["2015-03-06T14:30:00+00:00", 300, 15.05],
          ["2015-03-06T14:35:00+00:00", 300, 2.5],
          ["2015-03-06T14:33:57+00:00", 1, 23.1],
          ["2015-03-06T14:34:12+00:00", 1, 7],
          ["2015-03-06T14:35:12+00:00", 1, 2.5],
        ]);
        const bad = await status(
          "GET",
          `/v1/aggregation/metric?metric=${m1}&metric=${m2}&granularity=1&fill=asdf`,
        );
        expect(bad.status).toBe(400);
      });

      it("reads one metric like its measures, calendar resampling included", async () => {
        expect(await get(`metric=${m2}`)).toEqual([
          ["2015-03-06T14:30:00+00:00", 300, 2.55],
          ["2015-03-06T14:35:00+00:00", 300, 5],
          ["2015-03-06T14:33:57+00:00", 1, 3.1],
          ["2015-03-06T14:34:12+00:00", 1, 2],
          ["2015-03-06T14:35:12+00:00", 1, 5],
        ]);
        expect(await get(`metric=${m2}&granularity=1&resample=Y&aggregation=max`)).toEqual([
          ["2015-01-01T00:00:00+00:00", "Y", 5],
        ]);
        expect(await get("")).toEqual([]);
      });

      describe("by resource", () => {
        const R1 = "bcd3441c-b5aa-4d1b-af9a-5a72322bb269";
        beforeAll(async () => {
          const r1 = await api.createResource(R1, {}, { agg_meter: "low" });
          const r2 = await api.createResource(
            "1b0a8345-b279-4cb8-bd7a-2cb83193624f",
            {},
            { agg_meter: "low" },
          );
          await api.measures(r1.agg_meter!, [
            ["2015-03-06T14:33:57", 43.1],
            ["2015-03-06T14:34:12", 12],
          ]);
          await api.measures(r2.agg_meter!, [
            ["2015-03-06T14:33:57", 3.1],
            ["2015-03-06T14:34:12", 2],
            ["2015-03-06T14:35:12", 5],
          ]);
        });
        const post = (query: string) =>
          api.json("POST", `/v1/aggregation/resource/generic/metric/agg_meter?${query}`);
        const aggregates = (query: string, operations: string) =>
          api.json("POST", `/v1/aggregates?${query}`, {
            resource_type: "generic",
            search: {},
            operations,
          });

        it("aggregates the named metric of every resource", async () => {
          expect(await post("granularity=1&refresh=true")).toEqual([
            ["2015-03-06T14:33:57+00:00", 1, 23.1],
            ["2015-03-06T14:34:12+00:00", 1, 7],
          ]);
          expect(
            (await aggregates("granularity=1", "(aggregate mean (metric agg_meter mean))")).measures
              .aggregated,
          ).toEqual([
            ["2015-03-06T14:33:57+00:00", 1, 23.1],
            ["2015-03-06T14:34:12+00:00", 1, 7],
            ["2015-03-06T14:35:12+00:00", 1, 5],
          ]);
          expect(await post("granularity=1&resample=60")).toEqual([
            ["2015-03-06T14:33:00+00:00", 60, 23.1],
            ["2015-03-06T14:34:00+00:00", 60, 7],
          ]);
          expect(
            (
              await aggregates(
                "granularity=1",
                "(aggregate mean (resample mean 60 (metric agg_meter mean)))",
              )
            ).measures.aggregated,
          ).toEqual([
            ["2015-03-06T14:33:00+00:00", 60, 23.1],
            ["2015-03-06T14:34:00+00:00", 60, 7],
            ["2015-03-06T14:35:00+00:00", 60, 5],
          ]);
        });

        it("checks resample and slices by time", async () => {
          const bad = await status(
            "POST",
            "/v1/aggregation/resource/generic/metric/agg_meter?resample=abc",
          );
          expect(bad.status).toBe(400);
          const noGranularity = await status(
            "POST",
            "/v1/aggregation/resource/generic/metric/agg_meter?resample=60",
          );
          expect(noGranularity.status).toBe(400);
          expect(noGranularity.text).toContain("A granularity must be specified to resample");
          const start = encodeURIComponent("2015-03-06T15:33:57+01:00");
          const stop = encodeURIComponent("2015-03-06T15:34:00+01:00");
          const rows = [
            ["2015-03-06T14:30:00+00:00", 300, 15.05],
            ["2015-03-06T14:33:57+00:00", 1, 23.1],
          ];
          expect(await post(`start=${start}&stop=${stop}&refresh=true`)).toEqual(rows);
          expect(
            (
              await aggregates(
                `start=${start}&stop=${stop}`,
                "(aggregate mean (metric agg_meter mean))",
              )
            ).measures.aggregated,
          ).toEqual(rows);
        });

        it("reaggregates and fills", async () => {
          expect(await post("granularity=1&reaggregation=min&refresh=true")).toEqual([
            ["2015-03-06T14:33:57+00:00", 1, 3.1],
            ["2015-03-06T14:34:12+00:00", 1, 2],
          ]);
          const filled = [
            ["2015-03-06T14:33:57+00:00", 1, 23.1],
            ["2015-03-06T14:34:12+00:00", 1, 7],
            ["2015-03-06T14:35:12+00:00", 1, 2.5],
          ];
          expect(await post("granularity=1&fill=0")).toEqual(filled);
          expect(
            (await aggregates("granularity=1&fill=0", "(aggregate mean (metric agg_meter mean))"))
              .measures.aggregated,
          ).toEqual(filled);
        });

        it("answers Gnocchi's statuses for wrong paths and names", async () => {
          expect(
            (await status("GET", "/v1/aggregation/resource/generic/metric/agg_meter")).status,
          ).toBe(405);
          expect(
            await api.json("POST", "/v1/aggregation/resource/generic/metric/notexists"),
          ).toEqual([]);
          const type = await status("POST", "/v1/aggregation/resource/notexits/metric/agg_meter");
          expect(type.status).toBe(404);
          expect(type.text).toContain("Resource type notexits does not exist");
          expect((await status("POST", "/v1/aggregation/re/generic/metric/agg_meter")).status).toBe(
            404,
          );
          expect(
            (await status("POST", "/v1/aggregation/resource/generic/notexists/agg_meter")).status,
          ).toBe(404);
          expect((await status("POST", "/v1/aggregation/resource/generic/metric")).status).toBe(
            405,
          );
        });

        it("clips series in resource mode", async () => {
          const min = await aggregates(
            "fill=0&granularity=1",
            "(clip_min (metric agg_meter mean) 10)",
          );
          expect(min.measures[R1].agg_meter.mean).toEqual([
            ["2015-03-06T14:33:57+00:00", 1, 43.1],
            ["2015-03-06T14:34:12+00:00", 1, 12],
            ["2015-03-06T14:35:12+00:00", 1, 10],
          ]);
          const max = await aggregates(
            "fill=0&granularity=1",
            "(clip_max (metric agg_meter mean) 10)",
          );
          expect(max.measures[R1].agg_meter.mean).toEqual([
            ["2015-03-06T14:33:57+00:00", 1, 10],
            ["2015-03-06T14:34:12+00:00", 1, 10],
            ["2015-03-06T14:35:12+00:00", 1, 0],
          ]);
        });
      });
    });

    describe("resource-aggregation.yaml", () => {
      const api = aggregationFixture(ctx.db);
      const USER = "6c865dd0-7945-4e08-8b27-d0d7f1c2b667";
      const P1 = "c7f32f1f-c5ef-427a-8ecd-915b219c66e8";
      const P2 = "ee4cfc41-1cdc-4d2f-9a08-f94111d80171";
      const R1 = "4ed9c196-4c9f-4ba8-a5be-c9a71a82aac4";
      const path = "/v1/aggregation/resource/generic/metric/cpu.util";
      const GROUP_P1 = [
        ["2015-03-06T14:30:00+00:00", 300, 21.525],
        ["2015-03-06T14:33:57+00:00", 1, 33.05],
        ["2015-03-06T14:34:12+00:00", 1, 10],
      ];
      const GROUP_P2 = [
        ["2015-03-06T14:30:00+00:00", 300, 137.70499999999998],
        ["2015-03-06T14:33:57+00:00", 1, 230],
        ["2015-03-06T14:34:12+00:00", 1, 45.41],
      ];

      beforeAll(async () => {
        await api.createPolicy("low-r", ["1 second", "300 seconds"]);
        const r1 = await api.createResource(
          R1,
          { userId: USER, projectId: P1 },
          { "cpu.util": "low-r" },
        );
        await api.measures(r1["cpu.util"]!, [
          ["2015-03-06T14:33:57", 43.1],
          ["2015-03-06T14:34:12", 12],
        ]);
      });

      it("answers [] when nothing is in range", async () => {
        expect(
          await api.json(
            "POST",
            `${path}?stop=2012-03-06T00:00:00&fill=0&granularity=300&resample=3600&refresh=true`,
            { "=": { id: R1 } },
          ),
        ).toEqual([]);
      });

      it("groups by project, by filter string or JSON body", async () => {
        const r2 = await api.createResource(
          "1447CD7E-48A6-4C50-A991-6677CC0D00E6",
          { userId: USER, projectId: P1 },
          { "cpu.util": "low-r" },
        );
        await api.measures(r2["cpu.util"]!, [
          ["2015-03-06T14:33:57", 23],
          ["2015-03-06T14:34:12", 8],
        ]);
        const r3 = await api.createResource(
          "0FB0B7CD-9A41-4A76-8B2E-BFC02843506A",
          { userId: USER, projectId: P2 },
          { "cpu.util": "low-r" },
        );
        await api.measures(r3["cpu.util"]!, [
          ["2015-03-06T14:33:57", 230],
          ["2015-03-06T14:34:12", 45.41],
        ]);
        const filter = encodeURIComponent(`user_id='${USER}'`);
        expect(
          await api.json("POST", `${path}?groupby=project_id&filter=${filter}&refresh=true`),
        ).toEqual([
          { measures: GROUP_P1, group: { project_id: P1 } },
          { measures: GROUP_P2, group: { project_id: P2 } },
        ]);
        expect(
          await api.json("POST", `${path}?groupby=project_id&refresh=true`, {
            "=": { user_id: USER },
          }),
        ).toEqual([
          { measures: GROUP_P1, group: { project_id: P1 } },
          { measures: GROUP_P2, group: { project_id: P2 } },
        ]);
        expect(
          await api.json("POST", `${path}?groupby=project_id&groupby=user_id&refresh=true`, {
            "=": { user_id: USER },
          }),
        ).toEqual([
          { measures: GROUP_P1, group: { project_id: P1, user_id: USER } },
          { measures: GROUP_P2, group: { project_id: P2, user_id: USER } },
        ]);
      });

      it("refuses an invalid groupby attribute", async () => {
        const res = await api.request("POST", `${path}?groupby=project_id&groupby=thisisdumb`, {
          body: { "=": { user_id: USER } },
        });
        expect(res.status).toBe(400);
        expect(await res.text()).toContain("Invalid groupby attribute");
      });
    });
  },
  { upgrade: { createDefaultPolicies: false } },
);
