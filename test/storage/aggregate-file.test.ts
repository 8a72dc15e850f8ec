import { readdir, readFile, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { type FileAggregateOptions, FileAggregateStore } from "../../src/storage/aggregate-file.js";
import type { MetricCommit, SplitId } from "../../src/storage/aggregate-store.js";
import { deleteSplit, putRawBuffer, putSplit } from "../../src/storage/aggregate-store.js";
import { bytes, crashCopy, prng, tempDir, uuids } from "./helpers.js";

const G = 60_000_000;
const split = (key: number, method = "mean", granularity = G): SplitId => ({
  method,
  granularity,
  key,
});

async function open(dataDir: string, extra: Partial<FileAggregateOptions> = {}) {
  return FileAggregateStore.open({ dataDir, partitions: 4, onCorruption: () => {}, ...extra });
}

async function segFiles(dataDir: string): Promise<string[]> {
  const out: string[] = [];
  const root = join(dataDir, "aggregates");
  for (const p of await readdir(root)) {
    if (!p.startsWith("p")) continue;
    for (const f of await readdir(join(root, p)))
      if (f.endsWith(".seg")) out.push(join(root, p, f));
  }
  return out.sort();
}

/** Reference model: metric → object key → bytes. */
type Model = Map<string, Map<string, Uint8Array>>;
const objKey = (s: SplitId) => `${s.method}|${s.granularity}|${s.key}`;

function applyModel(model: Model, id: string, c: MetricCommit | "delete"): void {
  if (c === "delete") {
    model.delete(id);
    return;
  }
  let m = model.get(id);
  if (!m) {
    m = new Map();
    model.set(id, m);
  }
  for (const d of c.deletes ?? []) m.delete(objKey(d));
  for (const p of c.puts ?? []) m.set(objKey(p.split), p.data);
  if (c.rawBuffer === null) m.delete("raw");
  else if (c.rawBuffer) m.set("raw", c.rawBuffer);
  if (c.incomingMarker !== undefined) m.set("marker", new TextEncoder().encode(c.incomingMarker));
  if (m.size === 0) model.delete(id);
}

async function checkModel(store: FileAggregateStore, model: Model, ids: string[]): Promise<void> {
  expect(new Set(await store.listMetrics())).toEqual(new Set(model.keys()));
  for (const id of ids) {
    const m = model.get(id) ?? new Map<string, Uint8Array>();
    expect(await store.hasMetric(id)).toBe(m.size > 0);
    expect(await store.getRawBuffer(id)).toEqual(m.get("raw"));
    const marker = m.get("marker");
    expect(await store.getIncomingMarker(id)).toEqual(
      marker ? new TextDecoder().decode(marker) : undefined,
    );
    const expectedKeys = new Map<string, number[]>();
    for (const [k, v] of m) {
      if (k === "raw" || k === "marker") continue;
      const [method, g, key] = k.split("|") as [string, string, string];
      const ak = `${method}|${g}`;
      expectedKeys.set(ak, [...(expectedKeys.get(ak) ?? []), Number(key)]);
      expect(await store.getSplit(id, split(Number(key), method, Number(g)))).toEqual(v);
    }
    for (const [ak, keys] of expectedKeys) {
      const [method, g] = ak.split("|") as [string, string];
      expect(await store.listSplitKeys(id, method, Number(g))).toEqual(keys.sort((a, b) => a - b));
    }
    expect((await store.listAggregations(id)).length).toBe(expectedKeys.size);
  }
}

function randomCommit(rand: () => number, step: number): MetricCommit {
  const puts = [];
  const deletes = [];
  const nPuts = Math.floor(rand() * 5);
  for (let i = 0; i < nPuts; i++) {
    const method = rand() < 0.5 ? "mean" : "rate:max";
    puts.push({
      split: split(Math.floor(rand() * 6) * 3600 * G, method, rand() < 0.5 ? G : 2 * G),
      data: bytes(50 + Math.floor(rand() * 3000), step * 31 + i),
    });
  }
  if (rand() < 0.3) deletes.push(split(Math.floor(rand() * 6) * 3600 * G));
  const c: MetricCommit = { puts, deletes };
  const r = rand();
  return {
    ...c,
    ...(r < 0.4 ? { rawBuffer: bytes(100 + Math.floor(rand() * 500), step) } : {}),
    ...(r > 0.95 ? { rawBuffer: null } : {}),
    ...(rand() < 0.5 ? { incomingMarker: `store@${step}` } : {}),
  };
}

describe("file aggregate store", () => {
  it("round-trips splits, raw buffers and markers, across close and reopen", async () => {
    const dir = await tempDir();
    const store = await open(dir);
    const [a, b] = uuids(2) as [string, string];
    const s1 = bytes(100, 1);
    const s2 = bytes(3000, 2);
    await store.commit(a, {
      puts: [
        { split: split(0), data: s1 },
        { split: split(3600 * G), data: s2 },
        { split: split(0, "max", 3600_000_000), data: s2 },
      ],
      rawBuffer: bytes(50, 3),
      incomingMarker: "x@42",
    });
    await putSplit(store, b, split(7200 * G), s1);
    expect(await store.getSplit(a, split(0))).toEqual(s1);
    expect(await store.getSplits(a, [split(3600 * G), split(99), split(0)])).toEqual([
      s2,
      undefined,
      s1,
    ]);
    expect(await store.listSplitKeys(a, "mean", G)).toEqual([0, 3600 * G]);
    expect(await store.listSplitKeys(a, "mean", 2 * G)).toEqual([]);
    expect(await store.getIncomingMarker(a)).toBe("x@42");
    expect(await store.getRawBuffer(a)).toEqual(bytes(50, 3));
    expect(await store.getRawBuffer(b)).toBeUndefined();
    expect(new Set(await store.listMetrics())).toEqual(new Set([a, b]));
    // The listed keys follow every change of the split set (the store keeps them sorted between changes).
    await putSplit(store, a, split(1800 * G), s1);
    expect(await store.listSplitKeys(a, "mean", G)).toEqual([0, 1800 * G, 3600 * G]);
    await putSplit(store, a, split(1800 * G), s2); // rewritten: same keys
    expect(await store.listSplitKeys(a, "mean", G)).toEqual([0, 1800 * G, 3600 * G]);
    await deleteSplit(store, a, split(1800 * G));
    expect(await store.listSplitKeys(a, "mean", G)).toEqual([0, 3600 * G]);
    await deleteSplit(store, a, split(0));
    expect(await store.listSplitKeys(a, "mean", G)).toEqual([3600 * G]);
    await putRawBuffer(store, b, bytes(10, 9));
    await store.close();

    const again = await open(dir, { partitions: 99 }); // an existing store keeps its count
    expect(again.partitionsCount).toBe(4);
    expect(again.stats.hintsLoaded).toBeGreaterThan(0);
    expect(again.stats.segmentsScanned).toBe(0);
    expect(await again.getSplit(a, split(0))).toBeUndefined();
    expect(await again.getSplit(a, split(3600 * G))).toEqual(s2);
    expect(await again.getSplit(a, split(0, "max", 3600_000_000))).toEqual(s2);
    expect(await again.getRawBuffer(b)).toEqual(bytes(10, 9));
    expect(await again.getIncomingMarker(a)).toBe("x@42");
    await again.deleteMetric(a);
    expect(await again.hasMetric(a)).toBe(false);
    expect(await again.getSplit(a, split(3600 * G))).toBeUndefined();
    await again.close();
    const third = await open(dir);
    expect(await third.listMetrics()).toEqual([b]);
    await third.close();
  });

  it("recovers from a crash (no close: segments are scanned, not hinted)", async () => {
    const dir = await tempDir();
    const store = await open(dir);
    const ids = uuids(30);
    const model: Model = new Map();
    const rand = prng(7);
    for (let step = 0; step < 200; step++) {
      const id = ids[Math.floor(rand() * ids.length)]!;
      const c = randomCommit(rand, step);
      await store.commit(id, c);
      applyModel(model, id, c);
    }
    const copy = await crashCopy(dir);
    const again = await open(copy);
    expect(again.stats.segmentsScanned).toBeGreaterThan(0);
    await checkModel(again, model, ids);
    await again.close();
    await store.close();
  });

  it("shares fsyncs between concurrent commits of a partition (group commit)", async () => {
    const dir = await tempDir();
    let hook = 0;
    const store = await open(dir, {
      partitions: 1,
      fsync: async (fh) => {
        hook++;
        await fh.datasync();
      },
    });
    const ids = uuids(300);
    await Promise.all(
      ids.map((id, i) => store.commit(id, { puts: [{ split: split(0), data: bytes(200, i) }] })),
    );
    expect(store.stats.commits).toBe(300);
    expect(store.stats.fsyncs).toBeLessThan(50);
    expect(hook).toBeGreaterThanOrEqual(store.stats.fsyncs);
    for (const [i, id] of ids.entries())
      expect(await store.getSplit(id, split(0))).toEqual(bytes(200, i));
    await store.close();
  });

  it("makes a commit all-or-nothing: a torn last frame, cut at every byte, vanishes whole", async () => {
    const dir = await tempDir();
    const store = await open(dir, { partitions: 1 });
    const [a] = uuids(1) as [string];
    const first: MetricCommit = {
      puts: [
        { split: split(0), data: bytes(40, 1) },
        { split: split(3600 * G), data: bytes(30, 2) },
      ],
      rawBuffer: bytes(20, 3),
      incomingMarker: "s@100",
    };
    await store.commit(a, first);
    const [file] = await segFiles(dir);
    const before = (await stat(file!)).size;
    await store.commit(a, {
      puts: [
        { split: split(0), data: bytes(45, 4) },
        { split: split(7200 * G), data: bytes(10, 5) },
      ],
      deletes: [split(3600 * G)],
      rawBuffer: bytes(25, 6),
      incomingMarker: "s@200",
    });
    const after = (await stat(file!)).size;
    const image = await readFile(file!);
    await store.close();
    for (let cut = before; cut < after; cut++) {
      const copy = await crashCopy(dir);
      const [f] = await segFiles(copy);
      await writeFile(f!, image.subarray(0, cut));
      for (const h of await readdir(join(f!, ".."))) {
        if (h.endsWith(".hint")) await writeFile(join(f!, "..", h), "stale");
      }
      const s = await open(copy);
      const model: Model = new Map();
      applyModel(model, a, first);
      await checkModel(s, model, [a]);
      expect(s.stats.corruptFrames).toBe(0);
      await s.close();
    }
  });

  it("reports a corrupt split on read and still reads the others", async () => {
    const dir = await tempDir();
    const store = await open(dir, { partitions: 1 });
    const [a, b] = uuids(2) as [string, string];
    const target = bytes(500, 11);
    await store.commit(a, {
      puts: [
        { split: split(0), data: target },
        { split: split(3600 * G), data: bytes(500, 12) },
      ],
    });
    await store.commit(b, { puts: [{ split: split(0), data: bytes(500, 13) }] });
    await store.close();
    const [file] = await segFiles(dir);
    const image = await readFile(file!);
    const at = Buffer.from(image).indexOf(Buffer.from(target));
    expect(at).toBeGreaterThan(0);
    image[at + 100] = image[at + 100]! ^ 1;
    await writeFile(file!, image);

    const events: { metricId?: string }[] = [];
    const s = await open(dir, { onCorruption: (e) => events.push(e) });
    expect(await s.getSplit(a, split(0))).toBeUndefined();
    expect(events).toHaveLength(1);
    expect(events[0]!.metricId).toBe(a);
    expect(s.stats.corruptReads).toBe(1);
    expect(await s.getSplit(a, split(3600 * G))).toEqual(bytes(500, 12));
    expect(await s.getSplit(b, split(0))).toEqual(bytes(500, 13));
    await s.close();
  });

  it("skips a corrupt frame found while scanning after a crash, keeping the other commits", async () => {
    const dir = await tempDir();
    const store = await open(dir, { partitions: 1 });
    const [a, b, c] = uuids(3) as [string, string, string];
    await store.commit(a, { puts: [{ split: split(0), data: bytes(300, 1) }] });
    await store.commit(b, { puts: [{ split: split(0), data: bytes(300, 2) }] });
    await store.commit(c, { puts: [{ split: split(0), data: bytes(300, 3) }] });
    const copy = await crashCopy(dir);
    await store.close();
    const [file] = await segFiles(copy);
    const image = await readFile(file!);
    const at = Buffer.from(image).indexOf(Buffer.from(bytes(300, 2)));
    image[at + 5] = image[at + 5]! ^ 0x80;
    await writeFile(file!, image);
    const events: string[] = [];
    const s = await open(copy, { onCorruption: (e) => events.push(e.detail) });
    expect(events).toHaveLength(1);
    expect(await s.getSplit(a, split(0))).toEqual(bytes(300, 1));
    expect(await s.getSplit(b, split(0))).toBeUndefined();
    expect(await s.getSplit(c, split(0))).toEqual(bytes(300, 3));
    await s.close();
  });

  it("compacts under interleaved commits, keeps every live object, bounds disk use", async () => {
    const dir = await tempDir();
    const store = await open(dir, {
      partitions: 2,
      segmentBytes: 64 * 1024,
      minCompactBytes: 16 * 1024,
      garbageRatio: 0.2,
      fsync: async () => {}, // logic only: crash copies see the page cache anyway
    });
    const ids = uuids(12);
    const model: Model = new Map();
    const rand = prng(99);
    for (let step = 0; step < 800; step++) {
      // several commits in flight at once, some while a compaction runs
      const batch: Promise<void>[] = [];
      for (let k = 0; k < 4; k++) {
        const id = ids[Math.floor(rand() * ids.length)]!;
        if (rand() < 0.01) {
          applyModel(model, id, "delete");
          batch.push(store.deleteMetric(id));
        } else {
          const c = randomCommit(rand, step * 4 + k);
          applyModel(model, id, c);
          batch.push(store.commit(id, c));
        }
      }
      await Promise.all(batch);
      if (step % 400 === 0) await checkModel(store, model, ids);
    }
    expect(store.stats.compactions).toBeGreaterThan(5);
    await checkModel(store, model, ids);

    // a crash right now (compactions may be half-way) loses nothing
    const copy = await crashCopy(dir);
    const crashed = await open(copy);
    await checkModel(crashed, model, ids);
    await crashed.close();

    for (let p = 0; p < 2; p++) await store.compactPartition(p, true);
    const usage = store.usage();
    expect(usage.bytes).toBeLessThanOrEqual(usage.live * 1.3 + 4096);
    await store.close();
    const again = await open(dir);
    await checkModel(again, model, ids);
    // the disk holds what the index says
    let onDisk = 0;
    for (const f of await segFiles(dir)) onDisk += (await stat(f)).size;
    expect(onDisk).toBe(again.usage().bytes);
    await again.close();
  });

  it("survives a crash at each step of a compaction", async () => {
    for (const step of ["written", "renamed"] as const) {
      const dir = await tempDir();
      const store = await open(dir, {
        partitions: 1,
        segmentBytes: 8 * 1024,
        minCompactBytes: 1e12,
      });
      const ids = uuids(5);
      const model: Model = new Map();
      const rand = prng(3);
      for (let i = 0; i < 300; i++) {
        const id = ids[i % 5]!;
        const c = i % 50 === 49 ? "delete" : randomCommit(rand, i);
        applyModel(model, id, c);
        if (c === "delete") await store.deleteMetric(id);
        else await store.commit(id, c);
      }
      let copy = "";
      store.compactionHook = async (at) => {
        if (at === step) {
          copy = await crashCopy(dir);
          throw new Error("simulated crash");
        }
      };
      await expect(store.compactPartition(0, true)).rejects.toThrow(/simulated/);
      const crashed = await open(copy);
      await checkModel(crashed, model, ids);
      // compact for real afterwards, reopen, still the same
      await crashed.compactPartition(0, true);
      await crashed.close();
      const again = await open(copy);
      await checkModel(again, model, ids);
      expect((await segFiles(copy)).length).toBeLessThanOrEqual(2);
      await again.close();
      store.compactionHook = undefined;
      await store.close();
    }
  });

  it("does not resurrect deleted objects when a compaction dropped their tombstones", async () => {
    const dir = await tempDir();
    const store = await open(dir, { partitions: 1, segmentBytes: 2048, minCompactBytes: 1e12 });
    const [a, b] = uuids(2) as [string, string];
    await store.commit(a, { puts: [{ split: split(0), data: bytes(1500, 1) }] });
    await store.commit(b, { puts: [{ split: split(0), data: bytes(1500, 2) }] });
    await store.commit(a, { deletes: [split(0)], rawBuffer: bytes(1500, 3) });
    await store.deleteMetric(b);
    await store.commit(a, { rawBuffer: bytes(100, 4) });
    await store.compactPartition(0, true);
    await store.close();
    const again = await open(dir);
    expect(await again.getSplit(a, split(0))).toBeUndefined();
    expect(await again.hasMetric(b)).toBe(false);
    expect(await again.getRawBuffer(a)).toEqual(bytes(100, 4));
    expect((await segFiles(dir)).length).toBe(1);
    await again.close();
  });
});
