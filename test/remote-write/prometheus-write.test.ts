/**
 * `POST /v1/prometheus/write` and `POST /api/v1/write` through the Hono app
 * with a real storage engine, on both indexer drivers: the upstream
 * prometheus.yaml (with the mapping that keeps every series), status codes
 * and error bodies, atomicity, the cache, policies.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { expect, it } from "vitest";
import { resolveArchivePolicyItem } from "../../src/carbonara/archive-policy.js";
import { createArchivePolicyRule } from "../../src/indexer/archive-policy-rule-store.js";
import { createArchivePolicy } from "../../src/indexer/archive-policy-store.js";
import { deleteMetric, listResourceMetrics } from "../../src/indexer/metric-store.js";
import { resourceIdFromInput } from "../../src/indexer/resource-id.js";
import { createResource, findResource } from "../../src/indexer/resource-store.js";
import { findResourceType } from "../../src/indexer/resource-type-store.js";
import { gabbitsDir } from "../conformance/gabbits-source.js";
import { ADMIN, FOOBAR } from "../gnocchi-api/helpers.js";
import { describeDrivers } from "../indexer/drivers.js";
import { remoteWriteHarness } from "./harness.js";
import { series, snappy, writeBody } from "./proto.js";

/**
 * Gnocchi's own remote-write bodies, from Debian's python3-gnocchi (fetched
 * once, cached). Without apt-get (or offline) their tests are skipped with a
 * warning, except under CI=true, where that is a failure.
 */
function prometheusFixtures(): string | undefined {
  try {
    return join(
      gabbitsDir(undefined, () => {}),
      "prometheus_fixtures",
    );
  } catch (error) {
    if (process.env.CI === "true") throw error;
    console.warn(`skipping Gnocchi's prometheus.yaml fixtures: ${(error as Error).message}`);
    return undefined;
  }
}
const FIXTURES = prometheusFixtures();
const S = 1_000_000;
/** The upstream fixture: a migrated indexer without the default policies. */
const FIXTURE = { upgrade: { createDefaultPolicies: false } };
const fixture = (name: string) => new Uint8Array(readFileSync(`${FIXTURES}/${name}.dump`));

async function metricCount(db: () => import("../../src/indexer/driver.js").SqlDriver) {
  const r = await db().query<{ n: number }>("SELECT count(*)::int AS n FROM metric");
  return r.rows[0]!.n;
}

const policy = (name: string, granularity = S) => ({
  name,
  backWindow: 0,
  aggregationMethods: ["mean", "last"],
  definition: [resolveArchivePolicyItem({ granularity, points: 3600 })],
});

// Registered only when the fixtures are at hand (see prometheusFixtures).
(FIXTURES === undefined ? () => {} : describeDrivers)(
  "prometheus.yaml (Gnocchi's remote-write fixtures)",
  (ctx) => {
    const api = remoteWriteHarness(ctx.db);
    const rid = resourceIdFromInput("prometheus@localhost:9090", "admin");

    it("posts the first fixture: 202, resource type and resource created", async () => {
      await createArchivePolicy(ctx.db(), policy("space"));
      await createArchivePolicyRule(ctx.db(), {
        name: "test_prom",
        metricPattern: "*",
        archivePolicyName: "space",
      });
      const res = await api.post(
        "/v1/prometheus/write",
        fixture("031b586e-ebe1-4737-812e-cf0ddf26f5ad"),
        ADMIN,
      );
      expect(res.status).toBe(202);
      expect(await res.text()).toBe("");
      expect(rid).toBe("a943787c-3e17-584c-b236-a5597aeabd2e");
      const type = await findResourceType(ctx.db(), "prometheus");
      expect(type?.attributes.map((a) => [a.name, a.type, a.required])).toEqual([
        ["job", "string", true],
        ["instance", "string", true],
      ]);
      const resource = await findResource(ctx.db(), "prometheus", rid);
      expect(resource).toMatchObject({
        originalResourceId: "prometheus@localhost:9090",
        creator: "admin",
        attributes: { job: "prometheus", instance: "localhost:9090" },
      });
    });

    it("keeps every series: 100 label sets, 100 metrics (Gnocchi: 56, one per __name__)", async () => {
      const metrics = await listResourceMetrics(ctx.db(), rid);
      expect(metrics).toHaveLength(100);
      const names = metrics.map((m) => m.name!);
      expect(new Set(metrics.map((m) => m.archivePolicyName))).toEqual(new Set(["space"]));
      // Series with only __name__, job and instance keep Gnocchi's plain names.
      expect(names).toContain("scrape_samples_scraped");
      expect(names).toContain("prometheus_sd_marathon_refresh_duration_seconds_sum");
      // The others carry their labels; `/` in values is written as `∕`.
      expect(names).toContain(
        'prometheus_remote_storage_sent_batch_duration_seconds_bucket{le="+Inf",queue="0:http:∕∕bob:8041∕v1∕prometheus"}',
      );
      const labelSets = await ctx
        .db()
        .query<{ n: number }>("SELECT count(*)::int AS n FROM metric_label_set");
      expect(labelSets.rows[0]!.n).toBe(100);
      const stored = await ctx.db().query<{ name: string; value: string }>(
        `SELECT p.name, p.value FROM metric m
         JOIN metric_label_set s ON s.metric_id = m.id
         JOIN label_pair p ON p.id = ANY(s.label_ids)
        WHERE m.name = 'scrape_samples_scraped' ORDER BY p.name`,
      );
      expect(stored.rows).toEqual([
        { name: "__name__", value: "scrape_samples_scraped" },
        { name: "instance", value: "localhost:9090" },
        { name: "job", value: "prometheus" },
      ]);
    });

    it("stores the samples: scrape_samples_scraped = 558 at 2017-09-23T06:02:58", async () => {
      const metrics = await listResourceMetrics(ctx.db(), rid);
      const id = metrics.find((m) => m.name === "scrape_samples_scraped")!.id;
      const storage = await api.storage();
      await storage.reader.refresh([id]);
      const result = await storage.reader.getMeasures({
        metricId: id,
        method: "mean",
        granularity: S,
        timespan: null,
      });
      expect([...result!.timestamps]).toEqual([Date.UTC(2017, 8, 23, 6, 2, 58) * 1000]);
      expect([...result!.values]).toEqual([558]);
    });

    it("posts the second and third fixtures; the first measures stay", async () => {
      for (const name of [
        "a0c06674-a5ef-4621-883c-e94880a2de02",
        "1ea8f6f7-eebe-49d5-8276-ceb2d56c5ba4",
      ]) {
        expect((await api.post("/v1/prometheus/write", fixture(name), ADMIN)).status).toBe(202);
      }
      expect(await listResourceMetrics(ctx.db(), rid)).toHaveLength(300);
      const id = (await listResourceMetrics(ctx.db(), rid)).find(
        (m) => m.name === "scrape_samples_scraped",
      )!.id;
      const storage = await api.storage();
      await storage.reader.refresh([id]);
      const result = await storage.reader.getMeasures({
        metricId: id,
        method: "mean",
        granularity: S,
        timespan: null,
      });
      expect(result!.values[0]).toBe(558);
    });
  },
  FIXTURE,
);

describeDrivers(
  "remote write: status codes and atomicity",
  (ctx) => {
    const api = remoteWriteHarness(ctx.db, { cacheTtlMs: 3_600_000 });
    const T = 1_700_000_000_000;

    it("answers 204 on /api/v1/write, 401 without credentials", async () => {
      await createArchivePolicy(ctx.db(), policy("prometheus"));
      const body = writeBody({ series: [series({ __name__: "up", job: "node" }, [[T, 1]])] });
      const ok = await api.post("/api/v1/write", body, ADMIN);
      expect(ok.status).toBe(204);
      const anonymous = await api.post("/api/v1/write", body);
      expect(anonymous.status).toBe(401);
      expect(await anonymous.json()).toMatchObject({ status: "error", errorType: "unauthorized" });
      expect((await api.post("/v1/prometheus/write", body)).status).toBe(401);
    });

    it("uses the configured policy `prometheus` when it exists", async () => {
      const rid = resourceIdFromInput("node@none", "admin");
      const metrics = await listResourceMetrics(ctx.db(), rid);
      expect(metrics.map((m) => [m.name, m.archivePolicyName])).toEqual([["up", "prometheus"]]);
    });

    it("keeps series that differ only in other labels apart", async () => {
      const cpu = (c: string, mode: string, v: number) =>
        series(
          { __name__: "node_cpu_seconds_total", job: "node", instance: "h:9100", cpu: c, mode },
          [[T, v]],
        );
      const body = writeBody({
        series: [cpu("0", "idle", 1), cpu("0", "user", 2), cpu("1", "idle", 3)],
      });
      expect((await api.post("/api/v1/write", body, ADMIN)).status).toBe(204);
      const rid = resourceIdFromInput("node@h:9100", "admin");
      const metrics = await listResourceMetrics(ctx.db(), rid);
      expect(metrics.map((m) => m.name)).toEqual([
        'node_cpu_seconds_total{cpu="0",mode="idle"}',
        'node_cpu_seconds_total{cpu="0",mode="user"}',
        'node_cpu_seconds_total{cpu="1",mode="idle"}',
      ]);
      const last = api.appends.at(-1)!;
      const byId = new Map(metrics.map((m) => [m.id, m.name]));
      expect(last.map((b) => [byId.get(b.metricId), [...b.values]])).toEqual([
        ['node_cpu_seconds_total{cpu="0",mode="idle"}', [1]],
        ['node_cpu_seconds_total{cpu="0",mode="user"}', [2]],
        ['node_cpu_seconds_total{cpu="1",mode="idle"}', [3]],
      ]);
    });

    it("finds known series without any indexer statement, in one append per request", async () => {
      const before = api.statements();
      const appends = api.appends.length;
      // Prometheus sends one TimeSeries per sample: the same series twice, in another label order too.
      const body = writeBody({
        series: [
          series({ __name__: "up", job: "node" }, [[T + 15_000, 1]]),
          series({ __name__: "up", job: "node" }, [[T + 30_000, 0]]),
          series(
            {
              __name__: "node_cpu_seconds_total",
              job: "node",
              instance: "h:9100",
              cpu: "0",
              mode: "idle",
            },
            [[T + 15_000, 1.5]],
          ),
        ],
      });
      expect((await api.post("/api/v1/write", body, ADMIN)).status).toBe(204);
      expect(api.statements()).toBe(before);
      expect(api.appends.length).toBe(appends + 1);
      const batches = api.appends.at(-1)!;
      expect(batches.map((b) => [...b.timestamps])).toEqual([
        [(T + 15_000) * 1000, (T + 30_000) * 1000],
        [(T + 15_000) * 1000],
      ]);
      expect(batches.map((b) => [...b.values])).toEqual([[1, 0], [1.5]]);
      // Another label order: a new key, resolved once to the same metric.
      const reordered = writeBody({
        series: [
          {
            labels: [
              ["job", "node"],
              ["__name__", "up"],
            ],
            samples: [{ timestamp: T + 45_000, value: 1 }],
          },
        ],
      });
      const count = await metricCount(ctx.db);
      expect((await api.post("/api/v1/write", reordered, ADMIN)).status).toBe(204);
      expect(await metricCount(ctx.db)).toBe(count);
      expect(api.appends.at(-1)![0]!.metricId).toBe(batches[0]!.metricId);
    });

    it("stores NaN (staleness), +Inf and -Inf", async () => {
      const body = writeBody({
        series: [
          series({ __name__: "up", job: "node" }, [
            [T + 60_000, Number.NaN],
            [T + 75_000, Number.POSITIVE_INFINITY],
            [T + 90_000, Number.NEGATIVE_INFINITY],
          ]),
        ],
      });
      expect((await api.post("/api/v1/write", body, ADMIN)).status).toBe(204);
      const [batch] = api.appends.at(-1)!;
      expect([...batch!.values]).toEqual([
        Number.NaN,
        Number.POSITIVE_INFINITY,
        Number.NEGATIVE_INFINITY,
      ]);
    });

    it("rejects bad requests whole with 400, creating and storing nothing", async () => {
      const good = series({ __name__: "brand_new_metric", job: "node" }, [[T, 1]]);
      const bad: [string, Uint8Array, RegExp][] = [
        ["not snappy", new Uint8Array([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 1, 2]), /snappy/],
        ["garbage snappy", new Uint8Array([10, 0xfe, 1, 2, 3]), /snappy/],
        ["not protobuf", snappy(new Uint8Array([0x0a, 0x50, 1, 2, 3])), /protobuf/],
        ["truncated snappy", writeBody({ series: [good, good, good] }).subarray(0, 20), /snappy/],
        [
          "before 1970",
          writeBody({ series: [good, series({ __name__: "x" }, [[-1, 1]])] }),
          /1970/,
        ],
        ["no __name__", writeBody({ series: [good, series({ job: "x" }, [[T, 1]])] }), /__name__/],
        [
          "bad label name",
          writeBody({ series: [good, series({ __name__: "x", "a-b": "1" }, [[T, 1]])] }),
          /label name "a-b"/,
        ],
        [
          "bad metric name",
          writeBody({ series: [good, series({ __name__: "1x" }, [[T, 1]])] }),
          /metric name "1x"/,
        ],
        [
          "duplicate label",
          writeBody({
            series: [
              good,
              {
                labels: [
                  ["__name__", "x"],
                  ["a", "1"],
                  ["a", "2"],
                ],
                samples: [{ timestamp: T, value: 1 }],
              },
            ],
          }),
          /duplicate/,
        ],
        [
          "1 MB label value",
          writeBody({
            series: [good, series({ __name__: "x", big: "v".repeat(1 << 20) }, [[T, 1]])],
          }),
          /more than 2048/,
        ],
        [
          "NUL in a value",
          writeBody({ series: [good, series({ __name__: "x", a: "b\u0000c" }, [[T, 1]])] }),
          /NUL/,
        ],
      ];
      const count = await metricCount(ctx.db);
      const appends = api.appends.length;
      for (const [what, body, message] of bad) {
        for (const path of ["/api/v1/write", "/v1/prometheus/write"]) {
          const res = await api.post(path, body, ADMIN, { accept: "application/json" });
          expect(res.status, `${what} on ${path}`).toBe(400);
          const json = (await res.json()) as Record<string, unknown>;
          if (path === "/api/v1/write") {
            expect(json, what).toMatchObject({ status: "error", errorType: "bad_data" });
            expect(json.error, what).toMatch(message);
          } else {
            expect(json, what).toMatchObject({ code: 400, title: "Bad Request" });
            expect(json.description, what).toMatch(message);
          }
        }
      }
      expect(await metricCount(ctx.db)).toBe(count);
      expect(api.appends.length).toBe(appends);
    });

    it("rejects invalid UTF-8 in a label value", async () => {
      // Label value bytes 0xc3 0x28: an invalid 2-byte sequence.
      const raw = new Uint8Array([
        0x0a,
        0x1d,
        0x0a,
        0x0a,
        0x0a,
        0x08,
        ...new TextEncoder().encode("__name__"),
        0x0a,
        0x06,
        0x0a,
        0x01,
        0x61,
        0x12,
        0x01,
        0x78,
        0x0a,
        0x07,
        0x0a,
        0x01,
        0x62,
        0x12,
        0x02,
        0xc3,
        0x28,
        0x12,
        0x00,
      ]);
      // Fix the outer length to what was built.
      raw[1] = raw.length - 2;
      const res = await api.post("/api/v1/write", snappy(raw), ADMIN);
      expect(res.status).toBe(400);
      expect(((await res.json()) as { error: string }).error).toMatch(/UTF-8/);
    });

    it("answers 413 when the body decompresses past the limit", async () => {
      const small = remoteWriteHarness(ctx.db, { maxDecodedBytes: 100 });
      const body = writeBody({
        series: [series({ __name__: "up", job: "x".repeat(200) }, [[T, 1]])],
      });
      const res = await small.post("/api/v1/write", body, ADMIN);
      expect(res.status).toBe(413);
      // A 5-byte header claiming 4 GiB is refused before anything is allocated.
      const huge = new Uint8Array([0xff, 0xff, 0xff, 0xff, 0x0f, 0x00]);
      expect((await api.post("/api/v1/write", huge, ADMIN)).status).toBe(413);
    });

    it("answers 409 when the resource id belongs to a resource of another type", async () => {
      const rid = resourceIdFromInput("taken@host", "admin");
      await createResource(ctx.db(), "generic", { id: rid }, "admin");
      const body = writeBody({
        series: [series({ __name__: "up", job: "taken", instance: "host" }, [[T, 1]])],
      });
      const gnocchi = await api.post("/v1/prometheus/write", body, ADMIN, {
        accept: "application/json",
      });
      expect(gnocchi.status).toBe(409);
      expect(((await gnocchi.json()) as { description: unknown }).description).toEqual({
        cause: "Resource already exists",
        detail: rid,
      });
      expect((await api.post("/api/v1/write", body, ADMIN)).status).toBe(409);
    });

    it("answers 400 naming the metric when no policy and no rule apply", async () => {
      const rules = remoteWriteHarness(ctx.db, { archivePolicy: "" });
      const body = writeBody({ series: [series({ __name__: "needs_rule" }, [[T, 1]])] });
      const res = await rules.post("/api/v1/write", body, ADMIN);
      expect(res.status).toBe(400);
      expect(((await res.json()) as { error: string }).error).toBe(
        "No archive policy name specified and no archive policy rule found matching the metric name needs_rule",
      );
    });

    it("lets a non-admin write once the type exists, into resources of their own", async () => {
      const body = writeBody({ series: [series({ __name__: "up", job: "node" }, [[T, 1]])] });
      expect((await api.post("/api/v1/write", body, FOOBAR)).status).toBe(204);
      const mine = await findResource(
        ctx.db(),
        "prometheus",
        resourceIdFromInput("node@none", "foobar"),
      );
      expect(mine?.creator).toBe("foobar");
      expect(mine?.id).not.toBe(resourceIdFromInput("node@none", "admin"));
    });

    it("recreates a series whose metric was deleted, once the cache entry expires", async () => {
      const fresh = remoteWriteHarness(ctx.db, { cacheTtlMs: 0 });
      const body = (t: number) =>
        writeBody({ series: [series({ __name__: "deleted_later", job: "node" }, [[t, 1]])] });
      expect((await fresh.post("/api/v1/write", body(T), ADMIN)).status).toBe(204);
      const first = fresh.appends.at(-1)![0]!.metricId;
      await deleteMetric(ctx.db(), first);
      expect((await fresh.post("/api/v1/write", body(T + 1000), ADMIN)).status).toBe(204);
      const second = fresh.appends.at(-1)![0]!.metricId;
      expect(second).not.toBe(first);
      // The label set moved to the new metric (the old one awaits the janitor).
      const owner = await ctx.db().query<{ id: string }>(
        `SELECT s.metric_id::text AS id FROM metric_label_set s
             JOIN label_pair p ON p.id = ANY(s.label_ids)
            WHERE p.name = '__name__' AND p.value = 'deleted_later'`,
      );
      expect(owner.rows).toEqual([{ id: second }]);
      const rid = resourceIdFromInput("node@none", "admin");
      expect(
        (await listResourceMetrics(ctx.db(), rid)).find((m) => m.name === "deleted_later")?.id,
      ).toBe(second);
    });

    it("answers 503 with Retry-After when storage is unavailable or too busy", async () => {
      const down = remoteWriteHarness(ctx.db, {
        incoming: () => ({
          appendColumns: () =>
            Promise.reject(
              Object.assign(new Error("ENOSPC: no space left on device"), { code: "ENOSPC" }),
            ),
        }),
      });
      const body = writeBody({ series: [series({ __name__: "up", job: "node" }, [[T, 1]])] });
      for (const path of ["/api/v1/write", "/v1/prometheus/write"]) {
        const res = await down.post(path, body, ADMIN);
        expect(res.status).toBe(503);
        expect(res.headers.get("retry-after")).toBe("5");
      }
      const busy = remoteWriteHarness(ctx.db, { maxInFlight: 0 });
      const res = await busy.post("/api/v1/write", body, ADMIN);
      expect(res.status).toBe(503);
      expect(res.headers.get("retry-after")).toBe("1");
      expect(await res.json()).toMatchObject({ status: "error", errorType: "unavailable" });
    });
  },
  FIXTURE,
);

describeDrivers(
  "remote write: the prometheus resource type needs an admin",
  (ctx) => {
    const api = remoteWriteHarness(ctx.db);
    it("answers 403 to a non-admin while the type does not exist", async () => {
      await createArchivePolicy(ctx.db(), policy("prometheus"));
      const body = writeBody({ series: [series({ __name__: "up" }, [[1_700_000_000_000, 1]])] });
      const res = await api.post("/api/v1/write", body, FOOBAR);
      expect(res.status).toBe(403);
      expect(await findResourceType(ctx.db(), "prometheus")).toBeUndefined();
      expect(await metricCount(ctx.db)).toBe(0);
    });
  },
  FIXTURE,
);
