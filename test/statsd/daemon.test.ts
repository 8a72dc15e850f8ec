/**
 * The statsd daemon over real UDP on loopback, against a real indexer (both
 * drivers) and a real storage engine: datagrams in, a flush, and the measures
 * read back from the incoming store (metricd is not running, so they stay
 * there) or, for timings, aggregated through a refresh.
 */
import { createSocket } from "node:dgram";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Registry } from "prom-client";
import { afterAll, beforeAll, expect, it } from "vitest";
import { MICROS_PER_MINUTE } from "../../src/carbonara/time.js";
import { createLogger } from "../../src/gnocchi-api/logging.js";
import { createArchivePolicyRule } from "../../src/indexer/archive-policy-rule-store.js";
import { createArchivePolicy } from "../../src/indexer/archive-policy-store.js";
import type { SqlDriver } from "../../src/indexer/driver.js";
import { LabelStore } from "../../src/indexer/label-store.js";
import { IndexerMetricCatalog } from "../../src/indexer/metric-catalog.js";
import { listResourceMetrics } from "../../src/indexer/metric-store.js";
import { resourceIdFromInput } from "../../src/indexer/resource-id.js";
import { deleteResource, findResource } from "../../src/indexer/resource-store.js";
import { createResourceType } from "../../src/indexer/resource-type-store.js";
import { type RunningStatsd, type StatsdOptions, startStatsd } from "../../src/statsd/index.js";
import { StorageEngine } from "../../src/storage/storage-engine.js";
import { describeDrivers } from "../indexer/drivers.js";
import { labelStatements, recordingDriver } from "../support/recording-driver.js";

const OPTIONS: StatsdOptions = {
  host: "127.0.0.1",
  port: 0,
  resourceId: "statsd",
  creator: "admin",
  archivePolicyName: null,
  flushDelayMs: 3_600_000, // the tests flush by hand
  resourceTag: "host",
  resourceType: "generic",
};

const sender = createSocket("udp4");
afterAll(() => sender.close());

function send(port: number, ...datagrams: (string | Buffer)[]): Promise<void> {
  return datagrams.reduce(
    (previous, d) =>
      previous.then(
        () =>
          new Promise<void>((resolve, reject) =>
            sender.send(d, port, "127.0.0.1", (error) => (error ? reject(error) : resolve())),
          ),
      ),
    Promise.resolve(),
  );
}

/** Waits until the daemon has received `count` datagrams in all. */
async function received(daemon: RunningStatsd, count: number): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (daemon.stats.datagrams < count) {
    if (Date.now() > deadline) throw new Error(`only ${daemon.stats.datagrams} datagrams arrived`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

async function counterValue(registry: Registry, name: string, labels: Record<string, string> = {}) {
  const metric = await registry.getSingleMetric(name)?.get();
  const value = metric?.values.find((v) =>
    Object.entries(labels).every(([k, l]) => v.labels[k] === l),
  );
  return value?.value ?? 0;
}

describeDrivers(
  "statsd daemon",
  (ctx) => {
    let dir: string;
    let storage: StorageEngine;
    const daemons: RunningStatsd[] = [];
    const logger = createLogger("silent");

    beforeAll(async () => {
      dir = await mkdtemp(join(tmpdir(), "gnocchi-ts-statsd-"));
      storage = await StorageEngine.open({
        dataDir: dir,
        sacks: 4,
        catalog: new IndexerMetricCatalog(ctx.db()),
      });
    });
    afterAll(async () => {
      for (const d of daemons.splice(0)) await d.close();
      await storage?.close();
      await rm(dir, { recursive: true, force: true });
    });

    async function start(
      options: Partial<StatsdOptions> = {},
      db: SqlDriver = ctx.db(),
      labelStore?: LabelStore,
    ) {
      const registry = new Registry();
      const daemon = await startStatsd(
        { ...OPTIONS, ...options },
        { db, storage, logger, registry, ...(labelStore !== undefined ? { labelStore } : {}) },
      );
      daemons.push(daemon);
      return { daemon, registry };
    }

    /** Every measure pending for `resource`'s metric `name`. */
    async function pending(resource: string, name: string) {
      const rid = resourceIdFromInput(resource, "admin");
      const metric = (await listResourceMetrics(ctx.db(), rid)).find((m) => m.name === name);
      if (metric === undefined) return undefined;
      const read = await storage.incoming.read(storage.incoming.sackOf(metric.id), {
        metrics: new Set([metric.id]),
      });
      const m = read.metrics.find((p) => p.metricId === metric.id);
      return {
        id: metric.id,
        timestamps: [...(m?.timestamps ?? [])],
        values: [...(m?.values ?? [])],
      };
    }

    it("stores counters, gauges, sets and every timing on the statsd resource", async () => {
      const { daemon, registry } = await start();
      const rid = resourceIdFromInput("statsd", "admin");
      expect(await findResource(ctx.db(), "generic", rid)).toMatchObject({
        type: "generic",
        creator: "admin",
        originalResourceId: "statsd",
      });
      const before = Date.now() * 1000;
      await send(
        daemon.port,
        "test_counter:1|c\ngauge:45|g\ngauge:2|g",
        "users:alice|s\nusers:bob|s\nusers:alice|s",
        "db.query:10|ms\ndb.query:30:20|ms|@0.5",
      );
      await received(daemon, 3);
      expect(await daemon.flush()).toEqual({ metrics: 4, measures: 6, dropped: 0 });
      await send(daemon.port, "test_counter:45|c\ntest_counter:2|c|@0.2\ngauge:+5|g");
      await received(daemon, 4);
      await daemon.flush();

      const names = (await listResourceMetrics(ctx.db(), rid)).map((m) => m.name).sort();
      expect(names).toEqual(["db.query|ms", "gauge|g", "test_counter|c", "users|s"]);
      expect((await pending("statsd", "test_counter|c"))?.values).toEqual([1, 55]);
      expect((await pending("statsd", "gauge|g"))?.values).toEqual([2, 7]);
      expect((await pending("statsd", "users|s"))?.values).toEqual([2]);
      const timings = (await pending("statsd", "db.query|ms"))!;
      expect(timings.values).toEqual([10, 30, 20]);
      // Distinct, increasing timestamps at receipt time.
      expect(timings.timestamps[0]).toBeGreaterThanOrEqual(before);
      expect(timings.timestamps[1]).toBeGreaterThan(timings.timestamps[0]!);
      expect(timings.timestamps[2]).toBeGreaterThan(timings.timestamps[1]!);

      const labels = await LabelStore.load(ctx.db());
      expect(labels.labelsOf(timings.id)).toEqual({ __name__: "db_query", statsd_type: "ms" });
      expect(await counterValue(registry, "gnocchi_statsd_lines_total")).toBe(11);
      expect(await counterValue(registry, "gnocchi_statsd_flushes_total", { outcome: "ok" })).toBe(
        2,
      );
      expect(await counterValue(registry, "gnocchi_statsd_measures_total")).toBe(8);
    });

    it("skips bad lines alone, counting them by reason", async () => {
      const { daemon, registry } = await start({ resourceId: "badlines" });
      await send(
        daemon.port,
        "good:1|c\nbad line\ngood:2|c\nx:abc|c\ny:1|g|@0.5\n",
        Buffer.concat([
          Buffer.from("good:4|c\nbroken:\xff|c\n", "latin1"),
          Buffer.from("good:8|c"),
        ]),
        Buffer.from([0xff, 0xfe, 0x00, 0x0a, 0x7c]),
      );
      await received(daemon, 3);
      await daemon.flush();
      expect((await pending("badlines", "good|c"))?.values).toEqual([15]);
      expect(daemon.stats).toMatchObject({ datagrams: 3, lines: 10, badLines: 6 });
      const reasons = await registry.getSingleMetric("gnocchi_statsd_bad_lines_total")!.get();
      expect(Object.fromEntries(reasons.values.map((v) => [v.labels.reason, v.value]))).toEqual({
        no_value: 2,
        bad_value: 1,
        sample_rate_not_allowed: 1,
        invalid_utf8: 2,
      });
    });

    it("attaches series with the resource tag to a resource per value, with labels", async () => {
      await createResourceType(ctx.db(), "statsd_host", {});
      const { daemon } = await start({ resourceType: "statsd_host" });
      await send(
        daemon.port,
        "req:1|c|#host:web-1,env:prod\nreq:2|c|#env:prod,host:web-1\nreq:5|c|#host:web-2,env:prod",
      );
      await received(daemon, 1);
      await daemon.flush();
      for (const [host, total] of [
        ["web-1", 3],
        ["web-2", 5],
      ] as const) {
        const resource = await findResource(
          ctx.db(),
          "statsd_host",
          resourceIdFromInput(host, "admin"),
        );
        expect(resource).toMatchObject({ originalResourceId: host, creator: "admin" });
        const measures = (await pending(host, "req|c@env=prod"))!;
        expect(measures.values).toEqual([total]);
        const labels = await LabelStore.load(ctx.db());
        expect(labels.labelsOf(measures.id)).toEqual({
          __name__: "req",
          statsd_type: "c",
          env: "prod",
          host,
        });
      }
    });

    it("keeps every timing for the policy's mean, max and percentiles", async () => {
      await createArchivePolicy(ctx.db(), {
        name: "statsd-timings",
        backWindow: 0,
        aggregationMethods: ["mean", "max", "count", "90pct"],
        definition: [
          { granularity: MICROS_PER_MINUTE, points: 600, timespan: 600 * MICROS_PER_MINUTE },
        ],
      });
      const { daemon } = await start({
        resourceId: "timings",
        archivePolicyName: "statsd-timings",
      });
      const values = Array.from({ length: 100 }, (_, i) => i + 1);
      await send(daemon.port, values.map((v) => `lat:${v}|h`).join("\n"));
      await received(daemon, 1);
      await daemon.flush();
      const { id } = (await pending("timings", "lat|h"))!;
      await storage.reader.refresh([id]);
      const get = async (method: string) => {
        const r = await storage.reader.getMeasures({
          metricId: id,
          method,
          granularity: MICROS_PER_MINUTE,
          timespan: null,
        });
        // The timings may straddle a minute boundary: combine the buckets.
        return [...(r?.values ?? [])];
      };
      const counts = await get("count");
      expect(counts.reduce((a, b) => a + b, 0)).toBe(100);
      if (counts.length === 1) {
        expect(await get("mean")).toEqual([50.5]);
        expect(await get("max")).toEqual([100]);
        expect((await get("90pct"))[0]).toBeCloseTo(90.1, 6);
      }
    });

    it("drops only the series whose metric cannot be created", async () => {
      const db = await ctx.fresh();
      const { upgrade } = await import("../../src/indexer/upgrade.js");
      await upgrade(db, { createDefaultPolicies: false });
      await createArchivePolicy(db, {
        name: "p",
        backWindow: 0,
        aggregationMethods: ["mean"],
        definition: [
          { granularity: MICROS_PER_MINUTE, points: 10, timespan: 10 * MICROS_PER_MINUTE },
        ],
      });
      await createArchivePolicyRule(db, {
        name: "ok",
        metricPattern: "ok*",
        archivePolicyName: "p",
      });
      const { daemon, registry } = await start({}, db);
      await send(daemon.port, "ok.a:1|c\nnope:1|c\nok.b:2|g");
      await received(daemon, 1);
      expect(await daemon.flush()).toEqual({ metrics: 2, measures: 2, dropped: 1 });
      expect(await counterValue(registry, "gnocchi_statsd_dropped_measures_total")).toBe(1);
      const rid = resourceIdFromInput("statsd", "admin");
      expect((await listResourceMetrics(db, rid)).map((m) => m.name).sort()).toEqual([
        "ok.a|c",
        "ok.b|g",
      ]);
    });

    it("creates its resource again when it was deleted, and flushes on close", async () => {
      const { daemon } = await start({ resourceId: "phoenix", revalidateFlushes: 1 });
      await send(daemon.port, "n:1|c");
      await received(daemon, 1);
      await daemon.flush();
      const rid = resourceIdFromInput("phoenix", "admin");
      await deleteResource(ctx.db(), "generic", rid);
      await send(daemon.port, "n:2|c");
      await received(daemon, 2);
      await daemon.close();
      expect(await findResource(ctx.db(), "generic", rid)).toBeDefined();
      expect((await pending("phoenix", "n|c"))?.values).toEqual([2]);
    });

    it("with the process's label index: new sets selectable at once, known ones without label-set SQL", async () => {
      const store = await LabelStore.load(ctx.db());
      const line = "idx_hits:1|c|#env:prod";
      const first = recordingDriver(ctx.db());
      const { daemon } = await start({ sightingsIntervalMs: 0 }, first.driver, store);
      await send(daemon.port, line);
      await received(daemon, 1);
      const flushedAt = Date.now();
      await daemon.flush();
      // No refresh: the flusher put it in the index after commit.
      const selector = [{ name: "__name__", op: "=", value: "idx_hits" }] as const;
      const [id] = store.select(selector);
      expect(store.labelsOf(id!)).toEqual({ __name__: "idx_hits", statsd_type: "c", env: "prod" });
      expect(labelStatements(first.statements).length).toBeGreaterThan(0);
      await daemon.close();
      // The close stamped last_seen (wall time) for the series written.
      const recent = { start: (flushedAt - 1000) * 1000 };
      expect((await LabelStore.load(ctx.db())).select(selector, recent)).toEqual([id]);
      expect(store.select(selector, recent)).toEqual([id]);

      // A restarted daemon (no metric ids cached) finds the set in the index.
      const again = recordingDriver(ctx.db());
      const restarted = (await start({}, again.driver, store)).daemon;
      await send(restarted.port, line);
      await received(restarted, 1);
      expect((await restarted.flush()).measures).toBe(1);
      expect(again.statements.length).toBeGreaterThan(0);
      expect(labelStatements(again.statements)).toEqual([]);

      // Without the index, the same flush asks SQL for the label set.
      const plain = recordingDriver(ctx.db());
      const without = (await start({}, plain.driver)).daemon;
      await send(without.port, line);
      await received(without, 1);
      await without.flush();
      expect(labelStatements(plain.statements).length).toBeGreaterThan(0);
    });

    it("refuses to start on a port in use", async () => {
      const { daemon } = await start();
      await expect(start({ port: daemon.port })).rejects.toThrow(/EADDRINUSE/);
    });
  },
  { upgrade: true },
);
