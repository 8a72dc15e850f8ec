/**
 * The two caches of the measures read path: kept metric lookups (dropped by
 * any indexer write through the API) and kept measures bodies (given again
 * only for byte-identical series). Through the API against both indexer
 * drivers (PostgreSQL has no lookup cache, the answers must be the same),
 * and each cache on its own.
 */
import { gunzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { MetricCache } from "../../src/gnocchi-api/metric-cache.js";
import { MeasuresBodyCache } from "../../src/gnocchi-api/services/measures-body-cache.js";
import {
  type MeasuresSeries,
  measuresToJson,
} from "../../src/gnocchi-api/services/measures-json.js";
import type { MetricDetail } from "../../src/indexer/metric-store.js";
import { describeDrivers } from "../indexer/drivers.js";
import { admin, harness } from "./helpers.js";

const metricNamed = (name: string) => ({ id: "m", name }) as unknown as MetricDetail;

describe("MetricCache", () => {
  it("keeps a lookup until a write begins or ends", async () => {
    const cache = new MetricCache();
    let loads = 0;
    const load = async () => metricNamed(`v${++loads}`);
    expect((await cache.get("m", load)).name).toBe("v1");
    expect((await cache.get("m", load)).name).toBe("v1");
    cache.bump();
    expect((await cache.get("m", load)).name).toBe("v2");
    expect(loads).toBe(2);
  });

  it("does not keep a lookup that overlapped a write", async () => {
    const cache = new MetricCache();
    let loads = 0;
    const overlapping = async () => {
      cache.bump(); // a write starts while the SELECT runs
      return metricNamed(`v${++loads}`);
    };
    expect((await cache.get("m", overlapping)).name).toBe("v1");
    expect((await cache.get("m", async () => metricNamed(`v${++loads}`))).name).toBe("v2");
  });
});

function series(values: readonly number[], start = 0): MeasuresSeries[] {
  return [
    {
      granularity: 60_000_000,
      timestamps: Float64Array.from(values, (_, i) => start + i * 60_000_000),
      values: Float64Array.from(values),
    },
  ];
}

describe("MeasuresBodyCache", () => {
  const many = Array.from({ length: 2_000 }, (_, i) => i / 4);

  it("gives the kept body for the same series and a new one when a byte differs", () => {
    const cache = new MeasuresBodyCache();
    const first = cache.body("k", series(many)).json;
    expect(cache.body("k", series(many)).json).toBe(first);
    expect(cache.hits).toBe(1);
    const changed = [...many];
    changed[1_999] = Number.NaN;
    const again = cache.body("k", series(changed)).json;
    expect(again.toString()).toBe(measuresToJson(series(changed)).toString());
    expect(again.toString().endsWith(", NaN]]")).toBe(true);
    // -0 and 0 are equal numbers but not equal bytes: different bodies.
    const zeros = many.map(() => 0);
    expect(cache.body("k", series(zeros)).json.toString()).toContain(", 0.0]");
    expect(cache.body("k", series(zeros.map(() => -0))).json.toString()).toContain(", -0.0]");
    // A shifted window is another series.
    const shifted = cache.body("k", series(changed, 60_000_000)).json;
    expect(shifted.toString()).toBe(measuresToJson(series(changed, 60_000_000)).toString());
  });

  it("keeps no copy the caller can change", () => {
    const cache = new MeasuresBodyCache();
    const read = series(many);
    const first = cache.body("k", read).json;
    read[0]!.values[0] = 42; // the reader's arrays change after the answer
    const second = cache.body("k", read).json;
    expect(second).not.toBe(first);
    expect(second.toString()).toContain('["1970-01-01T00:00:00+00:00", 60.0, 42.0]');
  });

  it("stays within its byte bound, and writes small bodies every time", () => {
    const cache = new MeasuresBodyCache(2_000_000);
    for (let k = 0; k < 50; k++) cache.body(`k${k}`, series(many, k));
    expect(cache.bytes).toBeLessThanOrEqual(2_000_000);
    const small = series([1, 2, 3]);
    expect(cache.body("s", small).json).not.toBe(cache.body("s", small).json);
    expect(cache.body("s", small).gzip).toBeUndefined();
  });

  it("gzips a kept body off the event loop and gives the gzip with it once ready", async () => {
    const cache = new MeasuresBodyCache();
    const first = cache.body("k", series(many));
    expect(first.gzip).toBeUndefined(); // never waits for the compression
    const before = cache.bytes;
    await cache.settled();
    const hit = cache.body("k", series(many));
    expect(hit.json).toBe(first.json);
    expect(hit.gzip).toBeDefined();
    expect(gunzipSync(hit.gzip!).equals(first.json)).toBe(true);
    expect(hit.gzip!.length).toBeLessThan(first.json.length / 4);
    expect(cache.bytes).toBeGreaterThan(before); // the gzip counts against the bound
    // A changed series gets a new body, and a gzip of that body, not of the old one.
    const changed = [...many];
    changed[0] = 7;
    expect(cache.body("k", series(changed)).gzip).toBeUndefined();
    await cache.settled();
    const next = cache.body("k", series(changed));
    expect(gunzipSync(next.gzip!).equals(measuresToJson(series(changed)))).toBe(true);
  });

  it("drops the gzip of a body replaced while it was being compressed", async () => {
    const cache = new MeasuresBodyCache();
    cache.body("k", series(many));
    const changed = many.map((v) => v + 1);
    cache.body("k", series(changed)); // replaces the entry before the first gzip lands
    await cache.settled();
    const hit = cache.body("k", series(changed));
    expect(gunzipSync(hit.gzip!).equals(hit.json)).toBe(true);
    expect(hit.json.equals(measuresToJson(series(changed)))).toBe(true);
    // Only the kept entry's body, series and gzip are counted: not the orphaned first gzip.
    expect(cache.bytes).toBe(
      hit.json.buffer.byteLength + many.length * 16 + hit.gzip!.buffer.byteLength,
    );
  });
});

describeDrivers(
  "measures reads after indexer writes",
  (ctx) => {
    const api = harness(ctx.db);
    let metricId = "";
    let resourceMetricId = "";
    const measures = (id: string) => api.request("GET", `/v1/metric/${id}/measures`);

    it("creates a policy, a metric and a resource with a metric, and reads them", async () => {
      const ap = await api.request("POST", "/v1/archive_policy", {
        headers: admin(),
        body: { name: "cached", definition: [{ granularity: "1 minute", points: 10 }] },
      });
      expect(ap.status).toBe(201);
      const m = await api.request("POST", "/v1/metric", {
        body: { archive_policy_name: "cached" },
      });
      metricId = ((await m.json()) as { id: string }).id;
      const r = await api.request("POST", "/v1/resource/generic", {
        body: { id: "cached-resource", metrics: { cpu: { archive_policy_name: "cached" } } },
      });
      expect(r.status).toBe(201);
      resourceMetricId = ((await r.json()) as { metrics: { cpu: string } }).metrics.cpu;
      for (let i = 0; i < 2; i++) {
        expect((await measures(metricId)).status).toBe(200);
        expect((await measures(resourceMetricId)).status).toBe(200);
      }
    });

    it("sees an archive policy change at once", async () => {
      const patched = await api.request("PATCH", "/v1/archive_policy/cached", {
        headers: admin(),
        body: { definition: [{ granularity: "1 minute", points: 20 }] },
      });
      expect(patched.status).toBe(200);
      const got = await api.request("GET", `/v1/metric/${metricId}`);
      const json = (await got.json()) as { archive_policy: { definition: { points: number }[] } };
      expect(json.archive_policy.definition[0]!.points).toBe(20);
    });

    it("answers 404 for a metric deleted since the last read", async () => {
      expect((await api.request("DELETE", `/v1/metric/${metricId}`)).status).toBe(204);
      expect((await measures(metricId)).status).toBe(404);
    });

    it("answers 404 for the metric of a resource deleted since the last read", async () => {
      const res = await api.request("GET", `/v1/metric/${resourceMetricId}`);
      expect(((await res.json()) as { resource: { id: string } | null }).resource).not.toBeNull();
      const deleted = await api.request("DELETE", "/v1/resource/generic/cached-resource");
      expect(deleted.status).toBe(204);
      expect((await measures(resourceMetricId)).status).toBe(404);
    });
  },
  { upgrade: { createDefaultPolicies: false } },
);

describeDrivers(
  "the measures body cache through the API (api.measures_cache_size)",
  (ctx) => {
    const cached = harness(ctx.db);
    const uncached = harness(ctx.db, { measuresCacheBytes: 0 });
    // 1,200 points: above the size below which bodies are always written.
    const measuresBody = Array.from({ length: 1_200 }, (_, i) => ({
      timestamp: 1_700_000_000 + i * 60,
      value: i / 8,
    }));
    const scrape = async (api: ReturnType<typeof harness>) =>
      (await (await api.request("GET", "/metrics")).text())
        .split("\n")
        .filter((l) => l.startsWith("gnocchi_api_measures_cache_"));
    const readTwice = async (api: ReturnType<typeof harness>) => {
      const m = await api.request("POST", "/v1/metric", {
        body: { archive_policy_name: "body-cached" },
      });
      const { id } = (await m.json()) as { id: string };
      const posted = await api.request("POST", `/v1/metric/${id}/measures`, {
        body: measuresBody,
      });
      expect(posted.status).toBe(202);
      const first = await api.request("GET", `/v1/metric/${id}/measures?refresh=true`);
      const second = await api.request("GET", `/v1/metric/${id}/measures`);
      const text = await first.text();
      expect(JSON.parse(text)).toHaveLength(1_200);
      expect(await second.text()).toBe(text);
    };

    it("creates the policy", async () => {
      const ap = await cached.request("POST", "/v1/archive_policy", {
        headers: admin(),
        body: { name: "body-cached", definition: [{ granularity: "1 minute", points: 2000 }] },
      });
      expect(ap.status).toBe(201);
    });

    it("gives the second read of an unchanged series from the cache, and says so on /metrics", async () => {
      await readTwice(cached);
      const lines = await scrape(cached);
      expect(lines).toContain("gnocchi_api_measures_cache_hits_total 1");
      expect(lines).toContain("gnocchi_api_measures_cache_misses_total 1");
      const bytes = lines.find((l) => l.startsWith("gnocchi_api_measures_cache_bytes "));
      expect(Number(bytes?.split(" ")[1])).toBeGreaterThan(1_200 * 16);
    });

    it("writes every body, the same, when the size is 0", async () => {
      await readTwice(uncached);
      expect(await scrape(uncached)).toEqual([]);
    });

    it("sends a kept body gzipped to a client that accepts gzip, and plain to one that does not", async () => {
      const m = await cached.request("POST", "/v1/metric", {
        body: { archive_policy_name: "body-cached" },
      });
      const { id } = (await m.json()) as { id: string };
      await cached.request("POST", `/v1/metric/${id}/measures`, { body: measuresBody });
      const path = `/v1/metric/${id}/measures`;
      const plain = await cached.request("GET", `${path}?refresh=true`);
      const text = await plain.text();
      expect(plain.headers.get("content-encoding")).toBeNull();
      expect(plain.headers.get("vary")).toBe("Accept-Encoding");
      // The gzip is made in the background after the first read: ask until it is there.
      let zipped: Response | undefined;
      for (let i = 0; i < 100 && zipped === undefined; i++) {
        const r = await cached.request("GET", path, {
          headers: { "accept-encoding": "gzip, deflate" },
        });
        if (r.headers.get("content-encoding") === "gzip") zipped = r;
        else {
          expect(await r.text()).toBe(text);
          await new Promise((resolve) => setTimeout(resolve, 10));
        }
      }
      expect(zipped).toBeDefined();
      const bytes = Buffer.from(await zipped!.arrayBuffer());
      expect(gunzipSync(bytes).toString()).toBe(text);
      const refused = await cached.request("GET", path, {
        headers: { "accept-encoding": "gzip;q=0, identity" },
      });
      expect(refused.headers.get("content-encoding")).toBeNull();
      expect(await refused.text()).toBe(text);
    });
  },
  { upgrade: { createDefaultPolicies: false } },
);
