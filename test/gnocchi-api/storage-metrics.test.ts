/** The storage figures `/metrics` exports, read from a real storage engine. */
import { Registry } from "prom-client";
import { expect, it, vi } from "vitest";
import { MICROS_PER_SECOND } from "../../src/carbonara/time.js";
import { StorageMetrics } from "../../src/gnocchi-api/storage-metrics.js";
import { InMemoryMetricCatalog } from "../../src/storage/metric-catalog.js";
import { StorageEngine } from "../../src/storage/storage-engine.js";
import { tempDir } from "../storage/helpers.js";

const S = MICROS_PER_SECOND;
const ID = "5b7ebe90-4ad2-4c83-ad2c-f6344884ab70";

function figure(text: string, name: string): number | undefined {
  const line = text.split("\n").find((l) => l.startsWith(`${name} `));
  return line === undefined ? undefined : Number(line.split(" ")[1]);
}

it("exports backlog, metricd progress, latency and cache figures", async () => {
  const catalog = new InMemoryMetricCatalog();
  catalog.add(ID, {
    name: "test",
    backWindow: 0,
    aggregationMethods: ["mean", "count"],
    definition: [{ granularity: S, points: 100, timespan: 100 * S }],
  });
  const registry = new Registry();
  const metrics = new StorageMetrics(registry);
  const storage = await StorageEngine.open({
    dataDir: await tempDir(),
    sacks: 4,
    catalog,
    metricd: { onSackProcessed: (s) => metrics.sackDuration.observe(s) },
  });
  try {
    metrics.attach(storage);
    const t0 = 1_700_000_000 * S;
    await storage.incoming.append([
      {
        metricId: ID,
        timestamps: Float64Array.from([t0, t0 + S, t0 + 2 * S]),
        values: Float64Array.from([1, 2, 3]),
      },
    ]);
    let text = await registry.metrics();
    expect(figure(text, "gnocchi_storage_backlog_metrics")).toBe(1);
    expect(figure(text, "gnocchi_storage_backlog_measures")).toBe(3);
    expect(figure(text, "gnocchi_metricd_measures_processed_total")).toBe(0);

    storage.metricd.start();
    await vi.waitFor(async () => expect((await storage.incoming.backlog()).measures).toBe(0), {
      timeout: 10_000,
    });
    await storage.metricd.idle();
    await storage.reader.getMeasures({
      metricId: ID,
      method: "count",
      granularity: S,
      timespan: null,
    });
    text = await registry.metrics();
    expect(figure(text, "gnocchi_storage_backlog_measures")).toBe(0);
    expect(figure(text, "gnocchi_metricd_measures_processed_total")).toBe(3);
    expect(figure(text, "gnocchi_metricd_sacks_processed_total")).toBeGreaterThanOrEqual(1);
    expect(
      figure(text, "gnocchi_metricd_processing_duration_seconds_count"),
    ).toBeGreaterThanOrEqual(1);
    expect(figure(text, "gnocchi_storage_reads_total")).toBe(1);
    expect(figure(text, "gnocchi_storage_cache_bytes")).toBeGreaterThan(0);
  } finally {
    await storage.close();
  }
});
