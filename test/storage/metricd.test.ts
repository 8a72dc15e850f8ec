import { readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { crc32 } from "node:zlib";
import { describe, expect, it } from "vitest";
import { aggregateSerie } from "../../src/carbonara/aggregate.js";
import type { ArchivePolicy } from "../../src/carbonara/archive-policy.js";
import { MICROS_PER_HOUR, MICROS_PER_MINUTE, MICROS_PER_SECOND } from "../../src/carbonara/time.js";
import type { TimeSerie } from "../../src/carbonara/timeserie.js";
import { RefreshTimeoutError } from "../../src/storage/aggregate-reader.js";
import { putSplit } from "../../src/storage/aggregate-store.js";
import type { IncomingStore, ReleaseHandle } from "../../src/storage/incoming.js";
import { measureBatch } from "../../src/storage/incoming.js";
import { InMemoryMetricCatalog } from "../../src/storage/metric-catalog.js";
import { MetricProcessor } from "../../src/storage/metric-processor.js";
import type { SeriesCorruptionEvent } from "../../src/storage/series-corruption.js";
import { StorageEngine, type StorageEngineOptions } from "../../src/storage/storage-engine.js";
import { prng, tempDir, uuidOf } from "./helpers.js";

const S = MICROS_PER_SECOND;
const T0 = 1_700_000_000 * S - ((1_700_000_000 * S) % (3600 * 3600 * S)); // on a 1 h split boundary

const policy = (
  definition: [granularity: number, points: number | null][],
  methods = ["mean", "sum", "count", "max", "min", "last"],
  backWindow = 0,
): ArchivePolicy => ({
  name: "test",
  backWindow,
  aggregationMethods: methods,
  definition: definition.map(([granularity, points]) => ({
    granularity,
    points,
    timespan: points === null ? null : granularity * points,
  })),
});

const UNLIMITED = policy([
  [S, null],
  [MICROS_PER_MINUTE, null],
  [MICROS_PER_HOUR, null],
]);

async function engine(
  catalog: InMemoryMetricCatalog,
  extra: Partial<StorageEngineOptions> = {},
  dataDir?: string,
) {
  const dir = dataDir ?? (await tempDir());
  const events: SeriesCorruptionEvent[] = [];
  const e = await StorageEngine.open({
    dataDir: dir,
    catalog,
    sacks: 4,
    onCorruption: (ev) => events.push(ev),
    aggregates: { onCorruption: () => {} },
    metricd: { workers: 2, processingDelayMs: 50, cleanupDelayMs: 50, onError: () => {} },
    ...extra,
  });
  return { e, dir, events };
}

async function processAll(e: StorageEngine): Promise<void> {
  for (const sack of await e.incoming.sacksWithPending()) await e.processor.processSack(sack);
}

function regular(from: number, n: number, step: number, value: (i: number) => number): TimeSerie {
  const timestamps = new Float64Array(n);
  const values = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    timestamps[i] = from + i * step;
    values[i] = value(i);
  }
  return { timestamps, values };
}

async function read(
  e: StorageEngine,
  id: string,
  method: string,
  granularity: number,
  p = UNLIMITED,
) {
  const item = p.definition.find((d) => d.granularity === granularity)!;
  return e.reader.getMeasures({ metricId: id, method, granularity, timespan: item.timespan });
}

describe("metric processor", () => {
  it("serves warm reads from the assembled series and never a stale one after a commit", async () => {
    const catalog = new InMemoryMetricCatalog();
    const id = uuidOf(60);
    catalog.add(id, UNLIMITED);
    const { e } = await engine(catalog);
    const all = regular(T0, 3 * 3600, S, (i) => (i % 500) / 4);
    const upTo = async (n: number) => {
      await e.incoming.append([
        measureBatch(id, all.timestamps.subarray(n - 3600, n), all.values.subarray(n - 3600, n)),
      ]);
      await processAll(e);
    };
    const window = (from: number, to: number) =>
      e.reader.getMeasures({
        metricId: id,
        method: "sum",
        granularity: S,
        timespan: null,
        from,
        to,
      });
    await upTo(3600);
    await upTo(7200);
    const cold = await read(e, id, "sum", S);
    expect(cold!.timestamps.length).toBe(7200);
    const hits = e.reader.stats.assembledHits;
    const warm = await read(e, id, "sum", S);
    expect(e.reader.stats.assembledHits).toBe(hits + 1);
    expect(Array.from(warm!.values)).toEqual(Array.from(cold!.values));
    // A window answers exactly what reading only its splits answers.
    const inWindow = await window(T0 + 3000 * S, T0 + 4000 * S);
    expect(Array.from(inWindow!.timestamps)).toEqual(
      Array.from(all.timestamps.subarray(3000, 4000)),
    );
    // A commit invalidates it: the next read sees the new points.
    await upTo(10800);
    const after = await read(e, id, "sum", S);
    expect(after!.timestamps.length).toBe(10800);
    expect(Array.from(after!.values)).toEqual(Array.from(all.values));
    await e.close();
  });

  it("keeps the newest splits a windowed read assembled, and reads a wider window afresh", async () => {
    const catalog = new InMemoryMetricCatalog();
    const id = uuidOf(61);
    catalog.add(id, UNLIMITED);
    const { e } = await engine(catalog);
    const all = regular(T0, 3 * 3600, S, (i) => i / 2);
    await e.incoming.append([measureBatch(id, all.timestamps, all.values)]);
    await processAll(e);
    const window = (from: number) =>
      e.reader.getMeasures({ metricId: id, method: "sum", granularity: S, timespan: null, from });
    const points = (from: number) => Array.from(all.timestamps.filter((t) => t >= from));
    // The last two splits (a dashboard's recent range): the second read slices the first's.
    const recent = T0 + 4000 * S;
    expect(Array.from((await window(recent))!.timestamps)).toEqual(points(recent));
    const hits = e.reader.stats.assembledHits;
    expect(Array.from((await window(recent))!.timestamps)).toEqual(points(recent));
    const newest = T0 + 10_000 * S; // fewer splits: also inside what is kept
    expect(Array.from((await window(newest))!.timestamps)).toEqual(points(newest));
    expect(e.reader.stats.assembledHits).toBe(hits + 2);
    // PromQL's ms times: kept for the points read, converted again for others of the run.
    const millis = (from: number) =>
      e.reader.getMillis({ metricId: id, method: "sum", granularity: S, timespan: null, from });
    const ms = (from: number) => points(from).map((t) => t / 1000);
    const m1 = await millis(newest);
    const m2 = await millis(newest);
    expect(Array.from(m1!.timestamps)).toEqual(ms(newest));
    expect(m2!.timestamps.buffer).toBe(m1!.timestamps.buffer);
    const m3 = await millis(recent);
    expect(Array.from(m3!.timestamps)).toEqual(ms(recent));
    expect(Array.from((await millis(newest))!.timestamps)).toEqual(ms(newest));
    // A wider window is not inside it: read from the splits, every point there.
    const before = e.reader.stats.assembledHits;
    const wide = await window(T0);
    expect(e.reader.stats.assembledHits).toBe(before);
    expect(Array.from(wide!.values)).toEqual(Array.from(all.values));
    await e.close();
  });

  it("aggregates incrementally, in any batching, exactly like one pass over all measures", async () => {
    const catalog = new InMemoryMetricCatalog();
    const ids = [uuidOf(1), uuidOf(2), uuidOf(7)];
    for (const id of ids) catalog.add(id, UNLIMITED);
    const { e } = await engine(catalog);
    const rand = prng(3);
    const all = regular(T0, 9000, S, () => Math.round(rand() * 1000) / 10);
    // Uneven batches, several processing cycles, metrics interleaved.
    let at = 0;
    while (at < 9000) {
      const n = Math.min(9000 - at, 1 + Math.floor(rand() * 1500));
      const ts = all.timestamps.subarray(at, at + n);
      const vs = all.values.subarray(at, at + n);
      await e.incoming.append(ids.map((id) => measureBatch(id, ts, vs)));
      if (rand() < 0.6) await processAll(e);
      at += n;
    }
    await processAll(e);
    for (const g of [S, MICROS_PER_MINUTE, MICROS_PER_HOUR]) {
      for (const method of ["mean", "sum", "count", "max", "last"]) {
        const [expected] = aggregateSerie(all, g, [method]);
        for (const id of ids) {
          const got = await read(e, id, method, g);
          expect(got, `${method}@${g}`).toBeDefined();
          expect(Array.from(got!.timestamps)).toEqual(Array.from(expected!.timestamps));
          expect(Array.from(got!.values)).toEqual(Array.from(expected!.values));
        }
      }
    }
    expect(await e.incoming.backlog()).toMatchObject({ metrics: 0, batches: 0 });
    await e.close();
  });

  it("never applies a batch twice when the release is lost after the commit (crash between them)", async () => {
    const catalog = new InMemoryMetricCatalog();
    const id = uuidOf(5);
    catalog.add(id, UNLIMITED);
    const { e, dir } = await engine(catalog);
    // Batch 1, then batch 2 correcting batch 1's last point upwards: applied
    // alone it replaces 30 with 35; batch 1 re-applied with it (one processing
    // batch: the smallest value wins, §4.1) would leave 30.
    await e.incoming.append([measureBatch(id, [T0, T0 + S, T0 + 2 * S], [10, 20, 30])]);
    // A processor whose release is lost: the "crash" happens right after the commits.
    const lossy: IncomingStore = Object.create(e.incoming, {
      release: { value: async (_h: ReleaseHandle) => {} },
    });
    const p1 = new MetricProcessor({ incoming: lossy, aggregates: e.aggregates, catalog });
    await p1.processSack(e.incoming.sackOf(id));
    await e.incoming.append([measureBatch(id, [T0 + 2 * S, T0 + 3 * S], [35, 40])]);
    await e.close();

    // Restart: batch 1 comes back from the incoming log with batch 2.
    const { e: e2 } = await engine(catalog, {}, dir);
    expect((await e2.incoming.backlog([id])).batches).toBe(2);
    const r = await e2.processor.processSack(e2.incoming.sackOf(id));
    expect(r.alreadyApplied).toBe(3);
    expect(r.accepted).toBe(2);
    const sum = await read(e2, id, "sum", MICROS_PER_HOUR);
    const count = await read(e2, id, "count", MICROS_PER_HOUR);
    expect(Array.from(sum!.values)).toEqual([10 + 20 + 35 + 40]);
    expect(Array.from(count!.values)).toEqual([4]);
    expect((await e2.incoming.backlog([id])).batches).toBe(0);
    await e2.close();
  });

  it("commits the marker when every measure is late, and discards unknown metrics' measures", async () => {
    const catalog = new InMemoryMetricCatalog();
    const id = uuidOf(9);
    const unknown = uuidOf(13);
    catalog.add(id, UNLIMITED);
    const { e } = await engine(catalog);
    await e.incoming.append([measureBatch(id, [T0 + 5 * MICROS_PER_HOUR], [1])]);
    await processAll(e);
    const before = await e.aggregates.getIncomingMarker(id);
    await e.incoming.append([
      measureBatch(id, [T0, T0 + S], [7, 8]),
      measureBatch(unknown, [T0], [1]),
    ]);
    const r = await e.processor.processSack(e.incoming.sackOf(id));
    expect(r.late).toBe(2);
    expect(r.discarded).toBe(1);
    const after = await e.aggregates.getIncomingMarker(id);
    expect(after).not.toBe(before);
    expect(await e.aggregates.hasMetric(unknown)).toBe(false);
    expect((await e.incoming.backlog()).batches).toBe(0);
    expect(Array.from((await read(e, id, "count", MICROS_PER_HOUR))!.values)).toEqual([1]);
    await e.close();
  });

  it("applies retention on write: truncates, deletes whole old splits lazily, reads truncate", async () => {
    const catalog = new InMemoryMetricCatalog();
    const id = uuidOf(21);
    const p = policy(
      [
        [S, 60],
        [MICROS_PER_HOUR, null],
      ],
      ["sum", "count"],
    );
    catalog.add(id, p);
    const { e } = await engine(catalog);
    // 3 hours at 1 s, in 30-minute batches: three 1 s splits would exist without retention.
    for (let b = 0; b < 6; b++) {
      const s = regular(T0 + b * 1800 * S, 1800, S, () => 1);
      await e.incoming.append([measureBatch(id, s.timestamps, s.values)]);
      await processAll(e);
    }
    const keys = await e.aggregates.listSplitKeys(id, "sum", S);
    const last = T0 + 3 * 3600 * S - S;
    expect(keys[0]).toBeGreaterThanOrEqual(T0 + 2 * 3600 * S);
    const got = await read(e, id, "sum", S, p);
    expect(got!.timestamps.length).toBe(60);
    expect(got!.timestamps[59]).toBe(last);
    // Unlimited aggregation keeps everything.
    expect(Array.from((await read(e, id, "count", MICROS_PER_HOUR, p))!.values)).toEqual([
      3600, 3600, 3600,
    ]);
    await e.close();
  });

  it("tells 'no data' from 'no points', reads only keys in range, resamples", async () => {
    const catalog = new InMemoryMetricCatalog();
    const id = uuidOf(33);
    const never = uuidOf(34);
    catalog.add(id, UNLIMITED);
    catalog.add(never, UNLIMITED);
    const { e } = await engine(catalog);
    const s = regular(T0, 4 * 3600, S, (i) => i % 10);
    await e.incoming.append([measureBatch(id, s.timestamps, s.values)]);
    await processAll(e);
    expect(await read(e, never, "sum", S)).toBeUndefined();
    const empty = await e.reader.getMeasures({
      metricId: id,
      method: "sum",
      granularity: S,
      timespan: null,
      from: T0 + 100 * 3600 * S,
    });
    expect(empty!.timestamps.length).toBe(0);
    const fromStore = e.reader.stats.splitsFromStore + e.reader.stats.splitsFromCache;
    const window = await e.reader.getMeasures({
      metricId: id,
      method: "sum",
      granularity: S,
      timespan: null,
      from: T0 + 3600 * S + 10 * S,
      to: T0 + 3600 * S + 20 * S,
    });
    expect(e.reader.stats.splitsFromStore + e.reader.stats.splitsFromCache - fromStore).toBe(1);
    expect(Array.from(window!.values)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const resampled = await e.reader.getMeasures({
      metricId: id,
      method: "sum",
      granularity: MICROS_PER_MINUTE,
      timespan: null,
      resample: MICROS_PER_HOUR,
    });
    expect(resampled!.granularity).toBe(MICROS_PER_HOUR);
    expect(Array.from(resampled!.values)).toEqual([16200, 16200, 16200, 16200]);
    const calendar = await e.reader.getMeasures({
      metricId: id,
      method: "count",
      granularity: MICROS_PER_HOUR,
      timespan: null,
      resample: "M",
    });
    expect(calendar!.granularity).toBe("M");
    expect(Array.from(calendar!.values)).toEqual([4]);
    await e.close();
  });

  it("reports a split corrupted on disk, skips it and still reads the other splits", async () => {
    const catalog = new InMemoryMetricCatalog();
    const id = uuidOf(40);
    catalog.add(id, UNLIMITED);
    const { e, dir } = await engine(catalog);
    const s = regular(T0, 3 * 3600, S, (i) => 1 + (i % 7));
    await e.incoming.append([measureBatch(id, s.timestamps, s.values)]);
    await processAll(e);
    // count@1 s is the one 1 s aggregation whose bytes no other one shares
    // (one point per bucket: mean = sum = max = …, and the CRC does not cover the method).
    const victim = { method: "count", granularity: S, key: T0 + 3600 * S };
    const split = (await e.aggregates.getSplit(id, victim))!;
    expect(e.aggregates.splitChainLength(id, victim)).toBe(1);
    // Processed in one go, the split is one append record holding its chunk stream:
    // the v2 bytes without tag, point count (3600: a 2-byte varint) and CRC. The
    // other count@1 s splits hold the same stream (slots are relative to the key),
    // so the record is found with its key, keep, count, length and CRC in front.
    const stream = split.subarray(3, split.length - 4);
    const head = Buffer.alloc(24);
    head.writeDoubleLE(victim.key, 0);
    head.writeUInt32LE(0, 8);
    head.writeUInt32LE(3600, 12);
    head.writeUInt32LE(stream.length, 16);
    head.writeUInt32LE(crc32(stream), 20);
    const victimBytes = Buffer.concat([head, stream]);
    await e.close();
    // Flip a byte in the middle of that split's data in its segment file.
    let flipped = 0;
    const root = join(dir, "aggregates");
    for (const p of await readdir(root)) {
      if (!p.startsWith("p")) continue;
      for (const f of await readdir(join(root, p))) {
        if (!f.endsWith(".seg")) continue;
        const path = join(root, p, f);
        const buf = await readFile(path);
        const at = buf.indexOf(Buffer.from(victimBytes));
        if (at < 0) continue;
        buf[at + head.length + (stream.length >> 1)]! ^= 0x5a;
        await writeFile(path, buf);
        flipped++;
      }
    }
    expect(flipped).toBe(1);
    const { e: e2, events } = await engine(catalog, {}, dir);
    const got = await read(e2, id, "count", S);
    expect(got!.timestamps.length).toBe(2 * 3600);
    expect(got!.timestamps[0]).toBe(T0);
    expect(got!.timestamps[3600]).toBe(T0 + 2 * 3600 * S);
    expect(events.length).toBeGreaterThanOrEqual(1);
    expect(events[0]).toMatchObject({ metricId: id, object: "split", split: victim });
    expect(e2.reader.corruptionCount).toBeGreaterThanOrEqual(1);
    // Other aggregations are unaffected.
    expect((await read(e2, id, "sum", S))!.timestamps.length).toBe(3 * 3600);

    // Bytes that pass the store's checksum but not the codec's are skipped too.
    await putSplit(
      e2.aggregates,
      id,
      { method: "max", granularity: S, key: T0 },
      new Uint8Array([0xa1, 1, 2, 3, 4, 5, 6]),
    );
    const max = await read(e2, id, "max", S);
    expect(max!.timestamps.length).toBe(2 * 3600);
    expect(events.some((ev) => ev.split?.method === "max")).toBe(true);
    await e2.close();
  });

  it("starts an empty buffer when the stored one is corrupt (spec §6.6)", async () => {
    const catalog = new InMemoryMetricCatalog();
    const id = uuidOf(41);
    catalog.add(id, UNLIMITED);
    const { e, events } = await engine(catalog);
    await e.incoming.append([measureBatch(id, [T0 + 10 * S], [5])]);
    await processAll(e);
    await e.aggregates.commit(id, { rawBuffer: new Uint8Array([0xb1, 9, 9, 9, 9, 9, 9]) });
    e.processor.cache.clear();
    await e.incoming.append([measureBatch(id, [T0 + 11 * S], [6])]);
    await processAll(e);
    expect(events.some((ev) => ev.object === "raw buffer")).toBe(true);
    expect(Array.from((await read(e, id, "count", S))!.values)).toEqual([1, 1]);
    await e.close();
  });

  it("keeps the decoded-series cache within its byte limit and stays correct under eviction", async () => {
    const catalog = new InMemoryMetricCatalog();
    const ids = Array.from({ length: 12 }, (_, i) => uuidOf(100 + i));
    for (const id of ids) catalog.add(id, UNLIMITED);
    const limit = 1_000_000;
    const { e } = await engine(catalog, { cacheBytes: limit });
    const cache = e.processor.cache;
    let peak = 0;
    for (let b = 0; b < 8; b++) {
      const s = regular(T0 + b * 600 * S, 600, S, (i) => i);
      await e.incoming.append(ids.map((id) => measureBatch(id, s.timestamps, s.values)));
      await processAll(e);
      peak = Math.max(peak, cache.bytes);
      expect(cache.bytes).toBeLessThanOrEqual(limit);
    }
    expect(cache.stats.evictions).toBeGreaterThan(0);
    expect(cache.stats.hits).toBeGreaterThan(0);
    expect(peak).toBeGreaterThan(limit / 2);
    for (const id of ids) {
      expect(Array.from((await read(e, id, "count", MICROS_PER_HOUR))!.values)).toEqual([
        3600, 1200,
      ]);
    }
    await e.close();
  });
});

describe("metricd", () => {
  it("processes new measures promptly (greedy wake-up) and at start (recovery scan)", async () => {
    const catalog = new InMemoryMetricCatalog();
    const ids = Array.from({ length: 10 }, (_, i) => uuidOf(200 + i));
    for (const id of ids) catalog.add(id, UNLIMITED);
    const { e, dir } = await engine(catalog, {
      metricd: { workers: 3, processingDelayMs: 60_000, onError: () => {} },
    });
    // Pending before start: only the start scan can find these.
    await e.incoming.append(ids.map((id) => measureBatch(id, [T0], [1])));
    e.metricd.start();
    await waitFor(async () => (await e.incoming.backlog()).batches === 0);
    await e.incoming.append(ids.map((id) => measureBatch(id, [T0 + S], [2])));
    await waitFor(async () => (await e.incoming.backlog()).batches === 0);
    for (const id of ids)
      expect(Array.from((await read(e, id, "sum", MICROS_PER_HOUR))!.values)).toEqual([3]);
    await e.metricd.idle();
    await e.close();
    expect(dir).toBeTruthy();
  });

  it("reports the backlog periodically while measures wait, and only then", async () => {
    const catalog = new InMemoryMetricCatalog();
    const ids = [uuidOf(250), uuidOf(251)];
    for (const id of ids) catalog.add(id, UNLIMITED);
    const reports: { metrics: number; batches: number; measures: number }[] = [];
    const { e } = await engine(catalog, {
      metricd: {
        greedy: false,
        processingDelayMs: 60_000,
        backlogIntervalMs: 20,
        onBacklog: (b) => reports.push(b),
        onError: () => {},
      },
    });
    const lease = (await e.locks.tryAcquire(e.incoming.sackOf(ids[0]!)))!;
    const lease2 =
      e.incoming.sackOf(ids[1]!) === lease.sack
        ? undefined
        : (await e.locks.tryAcquire(e.incoming.sackOf(ids[1]!)))!;
    await e.incoming.append(ids.map((id) => measureBatch(id, [T0, T0 + S], [1, 2])));
    await e.incoming.append([measureBatch(ids[0]!, [T0 + 2 * S], [3])]);
    e.metricd.start();
    await waitFor(async () => reports.length >= 2);
    expect(reports[0]).toEqual({ metrics: 2, batches: 3, measures: 5 });
    await lease.release();
    await lease2?.release();
    await e.metricd.scan();
    await waitFor(async () => (await e.incoming.backlog()).batches === 0);
    const seen = reports.length;
    await sleep(100);
    expect(reports.length).toBe(seen);
    await e.close();
  });

  it("refresh processes just the asked metrics under the sack lock and times out with a typed error", async () => {
    const catalog = new InMemoryMetricCatalog();
    const a = uuidOf(300);
    const b = uuidOf(304); // same sack as a (4 sacks)
    catalog.add(a, UNLIMITED);
    catalog.add(b, UNLIMITED);
    const { e } = await engine(catalog);
    expect(e.incoming.sackOf(a)).toBe(e.incoming.sackOf(b));
    await e.incoming.append([measureBatch(a, [T0], [1]), measureBatch(b, [T0], [2])]);
    const lease = (await e.locks.tryAcquire(e.incoming.sackOf(a)))!;
    await expect(e.reader.refresh([a], 50)).rejects.toBeInstanceOf(RefreshTimeoutError);
    await lease.release();
    await e.reader.refresh([a]);
    expect(Array.from((await read(e, a, "sum", S))!.values)).toEqual([1]);
    expect(await read(e, b, "sum", S)).toBeUndefined();
    expect((await e.reader.backlog()).perMetric.get(b)).toBe(1);
    // While refresh holds the lock, the worker skips the sack rather than waiting.
    const held = (await e.locks.tryAcquire(e.incoming.sackOf(b)))!;
    e.metricd.start();
    await sleep(100);
    expect(e.metricd.stats.busySkips).toBeGreaterThan(0);
    expect((await e.reader.backlog()).batches).toBe(1);
    await held.release();
    await waitFor(async () => (await e.incoming.backlog()).batches === 0);
    await e.close();
  });

  it("janitor drops a deleted metric's incoming and storage, then expunges it", async () => {
    const catalog = new InMemoryMetricCatalog();
    const id = uuidOf(400);
    const keep = uuidOf(401);
    catalog.add(id, UNLIMITED);
    catalog.add(keep, UNLIMITED);
    const { e } = await engine(catalog);
    await e.incoming.append([measureBatch(id, [T0], [1]), measureBatch(keep, [T0], [1])]);
    await processAll(e);
    await e.incoming.append([measureBatch(id, [T0 + S], [1])]);
    catalog.markDeleted(id);
    expect(await e.janitor.run()).toBe(1);
    expect(catalog.has(id)).toBe(false);
    expect(await e.aggregates.hasMetric(id)).toBe(false);
    expect((await e.incoming.backlog([id])).batches).toBe(0);
    expect(await e.aggregates.hasMetric(keep)).toBe(true);
    // Through metricd's timer as well.
    catalog.markDeleted(keep);
    e.metricd.start();
    await waitFor(async () => !catalog.has(keep));
    expect(await e.aggregates.hasMetric(keep)).toBe(false);
    await e.close();
  });
});

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

async function waitFor(cond: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error("condition not reached in time");
    await sleep(10);
  }
}
