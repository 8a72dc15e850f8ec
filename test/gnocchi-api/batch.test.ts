/**
 * Batch measures, `/v1/batch/...` (spec rest §6): batch-measures.yaml in
 * file order, plus whole-request rejection (nothing stored, nothing created
 * when one part is wrong), the error paths of bad bodies, and the ACL.
 */
import { expect, it } from "vitest";
import { createResource } from "../../src/indexer/resource-store.js";
import { describeDrivers } from "../indexer/drivers.js";
import { ADMIN, harness } from "./helpers.js";

const admin = { authorization: ADMIN };
const json = { accept: "application/json" };
const FOOBAZ = "basic Zm9vYmF6Og==";
const R1 = "46c9418d-d63b-4cdd-be89-8f57ffc5952e";
const R2 = "f0f6038f-f82c-4f30-8d81-65db8be249fe";

type Obj = Record<string, unknown>;
type Desc = { description: Obj };

const two = [
  { timestamp: "2015-03-06T14:33:57", value: 43.1 },
  { timestamp: "2015-03-06T14:34:12", value: 12 },
];

describeDrivers(
  "batch measures API (batch-measures.yaml)",
  (ctx) => {
    const api = harness(ctx.db);
    let first = "";
    const createMetric = async (headers: Record<string, string> = {}) => {
      const res = await api.request("POST", "/v1/metric", {
        headers,
        body: { archive_policy_name: "simple" },
      });
      expect(res.status).toBe(201);
      return ((await res.json()) as { id: string }).id;
    };
    const measuresOf = async (path: string, query = "refresh=true") =>
      (await (await api.request("GET", `${path}/measures?${query}`)).json()) as unknown[];

    it("posts to metrics by id: 202 with an empty body", async () => {
      await api.request("POST", "/v1/archive_policy", {
        headers: admin,
        body: { name: "simple", definition: [{ granularity: "1 second" }] },
      });
      first = await createMetric();
      const res = await api.request("POST", "/v1/batch/metrics/measures", {
        body: { [first.toUpperCase()]: two },
      });
      expect(res.status).toBe(202);
      expect(res.headers.get("content-length")).toBe("0");
      expect(await measuresOf(`/v1/metric/${first}`)).toEqual([
        ["2015-03-06T14:33:57+00:00", 1.0, 43.1],
        ["2015-03-06T14:34:12+00:00", 1.0, 12.0],
      ]);
      expect((await api.request("POST", "/v1/batch/metrics/measures", { body: {} })).status).toBe(
        202,
      );
    });

    it("names unknown metrics, sorted and lowercase, and stores nothing", async () => {
      const res = await api.request("POST", "/v1/batch/metrics/measures", {
        body: {
          "37AEC8B7-C0D9-445B-8AB9-D3C6312DCF5D": two,
          [first]: [{ timestamp: "2015-03-06T14:40:00", value: 1 }],
          "37AEC8B7-C0D9-445B-8AB9-D3C6312DCF5C": two,
        },
      });
      expect(res.status).toBe(400);
      expect(await res.text()).toContain(
        "Unknown metrics: 37aec8b7-c0d9-445b-8ab9-d3c6312dcf5c, 37aec8b7-c0d9-445b-8ab9-d3c6312dcf5d",
      );
      expect(await measuresOf(`/v1/metric/${first}`)).toHaveLength(2);
    });

    it("names unknown (resource, name) pairs", async () => {
      const res = await api.request("POST", "/v1/batch/resources/metrics/measures", {
        body: {
          "37AEC8B7-C0D9-445B-8AB9-D3C6312DCF5D": { cpu_util: two },
          [R1]: { "disk.iops": two },
        },
      });
      expect(res.status).toBe(400);
      expect(await res.text()).toContain(
        `Unknown metrics: 37aec8b7-c0d9-445b-8ab9-d3c6312dcf5d/cpu_util, ${R1}/disk.iops`,
      );
    });

    it("posts to two metrics by id and to named metrics of two resources", async () => {
      const second = await createMetric();
      for (const [id, names] of [
        [R1, ["disk.iops", "cpu_util"]],
        [R2, ["net.speed", "mem_usage"]],
      ] as const) {
        await createResource(
          ctx.db(),
          "generic",
          {
            id,
            metrics: Object.fromEntries(names.map((n) => [n, { archivePolicyName: "simple" }])),
          },
          "foobar",
        );
      }
      const byId = await api.request("POST", "/v1/batch/metrics/measures", {
        body: { [first]: two, [second]: two },
      });
      expect(byId.status).toBe(202);
      const byName = await api.request("POST", "/v1/batch/resources/metrics/measures", {
        body: {
          [R1]: { "disk.iops": two, cpu_util: two },
          [R2]: { mem_usage: two, "net.speed": two },
        },
      });
      expect(byName.status).toBe(202);
      expect(byName.headers.get("content-length")).toBe("0");
      expect(await measuresOf(`/v1/resource/generic/${R2}/metric/net.speed`)).toHaveLength(2);
    });

    it("creates missing metrics by rule and by the new payload format", async () => {
      const rule = await api.request("POST", "/v1/archive_policy_rule", {
        headers: admin,
        body: { name: "rule_auto", metric_pattern: "auto.*", archive_policy_name: "simple" },
      });
      expect(rule.status).toBe(201);
      const url = "/v1/batch/resources/metrics/measures?create_metrics=true";
      expect(
        (await api.request("POST", url, { body: { [R1]: { "auto.test": two } } })).status,
      ).toBe(202);
      const res = await api.request("POST", url, {
        body: {
          [R1]: {
            newformat: {
              archive_policy_name: "simple",
              unit: "ks",
              measures: [
                { timestamp: "2015-03-06T14:33:57", value: 43.1 },
                { timestamp: "2015-03-06T14:34:12", value: 42 },
              ],
            },
            "auto.newformat": {
              measures: [
                { timestamp: "2015-03-06T14:33:57", value: 43.1 },
                { timestamp: "2015-03-06T14:34:12", value: 24 },
              ],
            },
            "auto.test": {
              measures: [
                { timestamp: "2015-03-06T14:33:57", value: 43.1 },
                { timestamp: "2015-03-06T14:35:12", value: 24 },
              ],
            },
          },
        },
      });
      expect(res.status).toBe(202);
      const base = `/v1/resource/generic/${R1}/metric`;
      const created = (await (await api.request("GET", `${base}/newformat`)).json()) as Obj;
      expect(created).toMatchObject({ unit: "ks", creator: "foobar" });
      expect((created.archive_policy as Obj).name).toBe("simple");
      const start = "refresh=true&start=2015-03-06T14:34";
      expect(await measuresOf(`${base}/auto.test`, start)).toEqual([
        ["2015-03-06T14:34:12+00:00", 1.0, 12.0],
        ["2015-03-06T14:35:12+00:00", 1.0, 24.0],
      ]);
      expect(await measuresOf(`${base}/newformat`, start)).toEqual([
        ["2015-03-06T14:34:12+00:00", 1.0, 42.0],
      ]);
      expect(await measuresOf(`${base}/auto.newformat`, start)).toEqual([
        ["2015-03-06T14:34:12+00:00", 1.0, 24.0],
      ]);
    });

    it("names unknown resources once each, creating nothing", async () => {
      const url = "/v1/batch/resources/metrics/measures?create_metrics=true";
      const res = await api.request("POST", url, {
        headers: json,
        body: {
          "aaaaaaaa-d63b-4cdd-be89-111111111111": { "auto.test": two, "auto.test2": two },
          "bbbbbbbb-d63b-4cdd-be89-111111111111": { "auto.test": { measures: two } },
          [R1]: { "auto.fresh": two },
        },
      });
      expect(res.status).toBe(400);
      expect(((await res.json()) as Desc).description).toEqual({
        cause: "Unknown resources",
        detail: [
          {
            resource_id: "aaaaaaaa-d63b-4cdd-be89-111111111111",
            original_resource_id: "aaaaaaaa-d63b-4cdd-be89-111111111111",
          },
          {
            resource_id: "bbbbbbbb-d63b-4cdd-be89-111111111111",
            original_resource_id: "bbbbbbbb-d63b-4cdd-be89-111111111111",
          },
        ],
      });
      const fresh = await api.request("GET", `/v1/resource/generic/${R1}/metric/auto.fresh`);
      expect(fresh.status).toBe(404);
      const nonUuid = await api.request("POST", url, {
        headers: json,
        body: { foobar: { "auto.test": two } },
      });
      expect(((await nonUuid.json()) as Desc).description).toEqual({
        cause: "Unknown resources",
        detail: [
          { resource_id: "2fbfbb20-8d56-5e1e-afb9-b3007da11fdf", original_resource_id: "foobar" },
        ],
      });
    });

    it("refuses creation errors whole", async () => {
      const url = "/v1/batch/resources/metrics/measures?create_metrics=true";
      const noRule = await api.request("POST", url, {
        body: { [R1]: { "auto.ok": two, "norule.metric": two } },
      });
      expect(noRule.status).toBe(400);
      expect(await noRule.text()).toContain(
        "No archive policy name specified and no archive policy rule found matching the metric name norule.metric",
      );
      const policy = await api.request("POST", url, {
        body: { [R1]: { "x.y": { archive_policy_name: "nope", measures: two } } },
      });
      expect(policy.status).toBe(400);
      expect(await policy.text()).toContain("Archive policy nope does not exist");
      const slash = await api.request("POST", url, { body: { [R1]: { "a/b": two } } });
      expect(slash.status).toBe(400);
      expect(await slash.text()).toContain("'/' is not supported in metric name");
      const unit = await api.request("POST", url, {
        body: { [R1]: { "auto.unit": { unit: "x".repeat(32), measures: two } } },
      });
      expect(unit.status).toBe(400);
      const list = (await (
        await api.request("GET", `/v1/resource/generic/${R1}/metric`)
      ).json()) as Obj[];
      expect(list.map((m) => m.name)).not.toContain("auto.ok");
      const bool = await api.request(
        "POST",
        "/v1/batch/resources/metrics/measures?create_metrics=perhaps",
        {
          body: { [R1]: { "auto.ok": two } },
        },
      );
      expect(bool.status).toBe(400);
      expect(await bool.text()).toContain("invalid truth value 'perhaps'");
    });

    it("reports body errors with voluptuous's text and path", async () => {
      const post = (path: string, body: unknown) =>
        api.request("POST", `/v1/batch${path}`, { headers: json, body });
      const description = async (res: Response) => ((await res.json()) as Desc).description;

      const shape = await post("/resources/metrics/measures?create_metrics=true", {
        [R1]: {
          "auto.test": [
            ["2015-03-06T14:33:57", 43.1],
            ["2015-03-06T14:34:12", 12],
          ],
        },
      });
      expect(shape.status).toBe(400);
      expect(await description(shape)).toEqual({
        cause: "Invalid input",
        reason: `unexpected measures format for dictionary value @ data['${R1}']['auto.test']`,
        detail: [R1, "auto.test"],
      });
      expect(await description(await post("/metrics/measures", { "not-a-uuid": two }))).toEqual({
        cause: "Invalid input",
        reason: "extra keys not allowed @ data['not-a-uuid']",
        detail: ["not-a-uuid"],
      });
      expect(
        await description(
          await post("/metrics/measures", { [first]: [{ timestamp: 1, value: "x" }] }),
        ),
      ).toEqual({
        cause: "Invalid input",
        reason: `unexpected measures value for dictionary value @ data['${first}']`,
        detail: [first],
      });
      expect(await description(await post("/metrics/measures", [1]))).toMatchObject({
        reason: "expected a dictionary",
        detail: [],
      });
      expect(await description(await post("/resources/metrics/measures", { [R1]: [] }))).toEqual({
        cause: "Invalid input",
        reason: `expected a dictionary for dictionary value @ data['${R1}']`,
        detail: [R1],
      });
      expect(
        await description(
          await post("/resources/metrics/measures", { [R1]: { m: { unit: "x" } } }),
        ),
      ).toMatchObject({
        reason: `required key not provided @ data['${R1}']['m']['measures']`,
        detail: [R1, "m", "measures"],
      });
      expect(
        await description(
          await post("/resources/metrics/measures", { [R1]: { m: { measures: two, colour: 1 } } }),
        ),
      ).toMatchObject({
        reason: `extra keys not allowed @ data['${R1}']['m']['colour']`,
        detail: [R1, "m", "colour"],
      });
      expect(
        await description(await post("/resources/metrics/measures", { "a/b": { m: two } })),
      ).toMatchObject({ reason: "extra keys not allowed @ data['a/b']", detail: ["a/b"] });
    });

    it("checks post measures on every metric", async () => {
      const theirs = await createMetric({ authorization: FOOBAZ });
      const res = await api.request("POST", "/v1/batch/metrics/measures", {
        body: { [first]: two, [theirs]: two },
      });
      expect(res.status).toBe(403);
      const named = await api.request("POST", "/v1/batch/resources/metrics/measures", {
        headers: { authorization: FOOBAZ },
        body: { [R1]: { "disk.iops": two } },
      });
      expect(named.status).toBe(403);
      const asAdmin = await api.request("POST", "/v1/batch/metrics/measures", {
        headers: admin,
        body: { [first]: two, [theirs]: two },
      });
      expect(asAdmin.status).toBe(202);
      const anon = await api.request("POST", "/v1/batch/metrics/measures", {
        headers: { authorization: "" },
        body: {},
      });
      expect(anon.status).toBe(401);
    });

    it("has accepted every measure it answered 202 to (and leaves nothing pending)", async () => {
      const metrics: Obj[] = [];
      for (let page: Obj[] = []; metrics.length === 0 || page.length === 7; ) {
        const marker = metrics.length === 0 ? "" : `?marker=${metrics[metrics.length - 1]!.id}`;
        page = (await (await api.request("GET", `/v1/metric${marker}`)).json()) as Obj[];
        metrics.push(...page);
      }
      expect(metrics).toHaveLength(10);
      for (const m of metrics) {
        const res = await api.request("GET", `/v1/metric/${m.id}/measures?refresh=true`, {
          headers: admin,
        });
        expect(res.status).toBe(200);
      }
      const iops = await measuresOf(`/v1/resource/generic/${R1}/metric/disk.iops`);
      expect(iops).toHaveLength(2);
    });
  },
  { upgrade: { createDefaultPolicies: false } },
);
