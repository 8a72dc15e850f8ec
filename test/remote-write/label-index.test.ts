/**
 * The remote-write ingester with the process's LabelStore, as src/server.ts
 * wires it, on both indexer drivers (real storage engine, metricd not
 * running): label sets the index holds cost no label-set SQL, new ones are
 * selectable at once, a set taken over from a deleted metric moves in the
 * index too, concurrent first writes agree, and sightings widen the series'
 * last seen time in memory before the SQL stamp, which then matches.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { resolveArchivePolicyItem } from "../../src/carbonara/archive-policy.js";
import { createArchivePolicy } from "../../src/indexer/archive-policy-store.js";
import type { SqlDriver } from "../../src/indexer/driver.js";
import type { LabelMatcher, Labels } from "../../src/indexer/label-index.js";
import { LabelStore } from "../../src/indexer/label-store.js";
import { IndexerMetricCatalog } from "../../src/indexer/metric-catalog.js";
import { deleteMetric } from "../../src/indexer/metric-store.js";
import {
  DEFAULT_REMOTE_WRITE_POLICY,
  RemoteWriteIngester,
} from "../../src/remote-write/ingester.js";
import { StorageEngine } from "../../src/storage/storage-engine.js";
import { describeDrivers } from "../indexer/drivers.js";
import { labelStatements, recordingDriver } from "../support/recording-driver.js";
import { series, writeBody } from "./proto.js";

const ADMIN = { creator: "admin", admin: true };
const HOUR = 3_600_000;
const name = (value: string): LabelMatcher[] => [{ name: "__name__", op: "=", value }];

describeDrivers(
  "remote write with the process's label index",
  (ctx) => {
    let dir: string;
    let storage: StorageEngine;
    const ingesters: RemoteWriteIngester[] = [];

    beforeAll(async () => {
      await createArchivePolicy(ctx.db(), {
        name: DEFAULT_REMOTE_WRITE_POLICY,
        backWindow: 0,
        aggregationMethods: ["last"],
        definition: [resolveArchivePolicyItem({ granularity: 1_000_000, points: 3600 })],
      });
      dir = await mkdtemp(join(tmpdir(), "gnocchi-ts-remote-write-labels-"));
      storage = await StorageEngine.open({
        dataDir: dir,
        sacks: 4,
        catalog: new IndexerMetricCatalog(ctx.db()),
      });
    });
    afterAll(async () => {
      for (const i of ingesters.splice(0)) await i.close();
      await storage?.close();
      await rm(dir, { recursive: true, force: true });
    });

    /** A new ingester (an empty series cache, as after a restart); SQL stamps only on close. */
    function ingester(db: SqlDriver, labelStore?: LabelStore): RemoteWriteIngester {
      const i = new RemoteWriteIngester({
        db,
        incoming: storage.incoming,
        sightingsIntervalMs: 0,
        ...(labelStore !== undefined ? { labelStore } : {}),
      });
      ingesters.push(i);
      return i;
    }

    const write = (
      i: RemoteWriteIngester,
      labels: Labels,
      samples: readonly (readonly [number, number])[],
    ) => i.write(writeBody({ series: [series(labels, samples)] }), ADMIN);

    it("selects a new series at once, and writes a set the index holds without label-set SQL", async () => {
      const store = await LabelStore.load(ctx.db());
      const labels = { __name__: "rw_known", job: "j", instance: "i:1" };
      const t = Date.now() - HOUR;
      const first = recordingDriver(ctx.db());
      await write(ingester(first.driver, store), labels, [[t, 1]]);
      // No refresh: the ingester put it in the index after commit.
      const [id] = store.select(name("rw_known"));
      expect(id).toBeDefined();
      expect(store.labelsOf(id!)).toEqual(labels);
      expect(labelStatements(first.statements).length).toBeGreaterThan(0);

      // A restarted ingester (empty cache) resolves the metric in SQL, but not its label set.
      const again = recordingDriver(ctx.db());
      const summary = await write(ingester(again.driver, store), labels, [[t + 1000, 2]]);
      expect(summary.resolved).toBe(1);
      expect(again.statements.length).toBeGreaterThan(0);
      expect(labelStatements(again.statements)).toEqual([]);
      expect(store.select(name("rw_known"))).toEqual([id]);

      // Without the index, the same write asks SQL for the label set.
      const plain = recordingDriver(ctx.db());
      await write(ingester(plain.driver), labels, [[t + 2000, 3]]);
      expect(labelStatements(plain.statements).length).toBeGreaterThan(0);
    });

    it("moves a label set taken over from a deleted metric in the index too", async () => {
      const store = await LabelStore.load(ctx.db());
      const labels = { __name__: "rw_reborn", job: "j", instance: "i:1" };
      await write(ingester(ctx.db(), store), labels, [[Date.now(), 1]]);
      const [old] = store.select(name("rw_reborn"));
      await deleteMetric(ctx.db(), old!);
      await write(ingester(ctx.db(), store), labels, [[Date.now(), 2]]);
      const now = store.select(name("rw_reborn"));
      expect(now).toHaveLength(1);
      expect(now[0]).not.toBe(old);
      expect(store.labelsOf(old!)).toBeUndefined();
      // What SQL holds agrees.
      expect((await LabelStore.load(ctx.db())).select(name("rw_reborn"))).toEqual(now);
    });

    it("agrees on one metric when two processes write a new series at once", async () => {
      const [mine, theirs] = [await LabelStore.load(ctx.db()), await LabelStore.load(ctx.db())];
      const labels = { __name__: "rw_race", job: "j", instance: "i:2" };
      await Promise.all([
        write(ingester(ctx.db(), mine), labels, [[Date.now(), 1]]),
        write(ingester(ctx.db(), theirs), labels, [[Date.now(), 2]]),
      ]);
      const ids = mine.select(name("rw_race"));
      expect(ids).toHaveLength(1);
      await theirs.refresh(ctx.db());
      expect(theirs.select(name("rw_race"))).toEqual(ids);
      expect((await LabelStore.load(ctx.db())).select(name("rw_race"))).toEqual(ids);
    });

    it("widens the series' last seen time in memory at once; the SQL stamp then matches", async () => {
      const store = await LabelStore.load(ctx.db());
      const labels = { __name__: "rw_seen", job: "j", instance: "i:3" };
      const old = Date.now() - 2 * HOUR;
      const i = ingester(ctx.db(), store);
      const before = Date.now();
      await write(i, labels, [[old, 1]]);
      const recent = { start: (before - 60_000) * 1000 };
      const later = { start: (Date.now() + HOUR) * 1000 };
      expect(store.select(name("rw_seen"), recent)).toHaveLength(1);
      expect(store.select(name("rw_seen"), later)).toEqual([]);
      // SQL still has the first sample's time until the sightings flush (on close here).
      const reloaded = await LabelStore.load(ctx.db());
      expect(reloaded.select(name("rw_seen"), { start: (old + 1000) * 1000 })).toEqual([]);
      await i.close();
      const flushed = await LabelStore.load(ctx.db());
      expect(flushed.select(name("rw_seen"), recent)).toEqual(
        store.select(name("rw_seen"), recent),
      );
      expect(flushed.select(name("rw_seen"), later)).toEqual([]);
    });
  },
  { upgrade: { createDefaultPolicies: false } },
);
