/**
 * Splits stored as chains of APPEND_SPLIT records (issue 4): what metricd
 * writes every cycle. Real SplitTails drive the appends, as the processor
 * does, and every read must give the bytes the SplitTail would encode whole:
 * after appends, late data (a whole rewrite), puts, deletes, compactions
 * racing commits, reopening from hints and crash copies (scanned segments).
 */
import { stat } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { SplitTail } from "../../src/carbonara/split-tail.js";
import type { TimeSerie } from "../../src/carbonara/timeserie.js";
import { type FileAggregateOptions, FileAggregateStore } from "../../src/storage/aggregate-file.js";
import {
  MAX_SPLIT_CHAIN,
  type MetricCommit,
  type SplitId,
} from "../../src/storage/aggregate-store.js";
import { crashCopy, prng, tempDir, uuids } from "./helpers.js";

const G = 60_000_000;
const SPAN = 3600 * G;

async function open(dataDir: string, extra: Partial<FileAggregateOptions> = {}) {
  return FileAggregateStore.open({ dataDir, partitions: 2, onCorruption: () => {}, ...extra });
}

/** The model: per metric and split key, the SplitTail whose bytes the store must answer. */
type Model = Map<string, Map<number, SplitTail>>;

const splitOf = (key: number): SplitId => ({ method: "mean", granularity: G, key });

/** The next cycle's buckets of a split: mostly after its newest point, sometimes late. */
function freshPoints(tail: SplitTail | undefined, key: number, rand: () => number): TimeSerie {
  const last = tail && tail.count > 0 ? Math.round((tail.lastTimestamp - key) / G) : -1;
  const late = tail !== undefined && rand() < 0.08;
  let slot = late ? Math.max(0, last - Math.floor(rand() * 20)) : last + 1;
  const n = 1 + Math.floor(rand() * 12);
  const timestamps: number[] = [];
  const values: number[] = [];
  for (let i = 0; i < n && slot < 3600; i++) {
    timestamps.push(key + slot * G);
    values.push(Math.round(rand() * 10_000) / 100);
    slot += 1 + Math.floor(rand() * 2);
  }
  return { timestamps: Float64Array.from(timestamps), values: Float64Array.from(values) };
}

/** One cycle of one metric, written the way the processor writes it. */
function cycle(
  store: FileAggregateStore,
  model: Model,
  id: string,
  rand: () => number,
): MetricCommit {
  let splits = model.get(id);
  if (splits === undefined) {
    splits = new Map();
    model.set(id, splits);
  }
  const key = Math.floor(rand() * 3) * SPAN;
  const r = rand();
  if (r < 0.03 && splits.has(key)) {
    splits.delete(key);
    return { deletes: [splitOf(key)] };
  }
  const old = splits.get(key);
  const tail = old ?? new SplitTail(key, G, 4);
  const fresh = freshPoints(old, key, rand);
  if (fresh.timestamps.length === 0) return {};
  splits.set(key, tail);
  if (r < 0.08) return { puts: [{ split: splitOf(key), data: tail.append(fresh) }] };
  const chain = store.splitChainLength(id, splitOf(key));
  const change = tail.appendChunks(fresh, chain === 0 || chain >= MAX_SPLIT_CHAIN);
  return { appends: [{ split: splitOf(key), ...change }], rawBuffer: new Uint8Array([1, 2, 3]) };
}

async function check(store: FileAggregateStore, model: Model): Promise<void> {
  for (const [id, splits] of model) {
    expect(await store.listSplitKeys(id, "mean", G)).toEqual(
      [...splits.keys()].sort((a, b) => a - b),
    );
    for (const [key, tail] of splits) {
      expect(await store.getSplit(id, splitOf(key)), `${id} ${key}`).toEqual(tail.encode());
    }
  }
}

describe("file aggregate store: splits as append chains", () => {
  it("appends chunks instead of rewriting the split, and rebuilds the v2 bytes on read", async () => {
    const dir = await tempDir();
    const store = await open(dir);
    const [id] = uuids(1) as [string];
    const tail = new SplitTail(0, G, 4);
    const split = splitOf(0);
    const lengths: number[] = [];
    let appended = 0;
    for (let c = 0; c < 40; c++) {
      const fresh: TimeSerie = {
        timestamps: Float64Array.from({ length: 5 }, (_, i) => (c * 5 + i) * G),
        values: Float64Array.from({ length: 5 }, (_, i) => c + i / 4),
      };
      const chain = store.splitChainLength(id, split);
      const change = tail.appendChunks(fresh, chain === 0 || chain >= MAX_SPLIT_CHAIN);
      if (change.keep > 0) appended++;
      await store.commit(id, { appends: [{ split, ...change }] });
      lengths.push(store.splitChainLength(id, split));
      expect(await store.getSplit(id, split)).toEqual(tail.encode());
    }
    // The chain grows to its bound, then a whole rewrite starts a new one.
    expect(Math.max(...lengths)).toBe(MAX_SPLIT_CHAIN);
    expect(lengths.filter((n) => n === 1).length).toBeGreaterThan(2);
    // Every cycle seals a chunk here: all but one cycle in MAX_SPLIT_CHAIN append.
    expect(appended).toBeGreaterThanOrEqual((40 * (MAX_SPLIT_CHAIN - 1)) / MAX_SPLIT_CHAIN - 2);
    // Appending wrote far less than a whole split per cycle would have.
    const whole = tail.encode().length;
    expect(store.usage().bytes).toBeLessThan(40 * whole * 0.6);
    await store.close();
    const again = await open(dir);
    expect(await again.getSplit(id, split)).toEqual(tail.encode());
    expect(again.splitChainLength(id, split)).toBe(lengths[lengths.length - 1]);
    await again.compactPartition(again.partitionOf(id), true);
    expect(await again.getSplit(id, split)).toEqual(tail.encode());
    // Compaction copies only the bytes chains still use: beyond live bytes, only
    // frame headers (40 B per record, plus the REPLACES frame) are left.
    const usage = again.usage();
    expect(usage.bytes - usage.live).toBeLessThanOrEqual(40 * (MAX_SPLIT_CHAIN + 1) + 16);
    await again.close();
  });

  it("a put ends a chain; an append after it must start a new one (keep 0)", async () => {
    const dir = await tempDir();
    const store = await open(dir);
    const [id] = uuids(1) as [string];
    const split = splitOf(SPAN);
    const tail = new SplitTail(SPAN, G, 2);
    const points = (from: number): TimeSerie => ({
      timestamps: Float64Array.from({ length: 4 }, (_, i) => SPAN + (from + i) * G),
      values: Float64Array.from({ length: 4 }, (_, i) => from + i),
    });
    await store.commit(id, { appends: [{ split, ...tail.appendChunks(points(0), true) }] });
    await store.commit(id, { appends: [{ split, ...tail.appendChunks(points(4), false) }] });
    expect(store.splitChainLength(id, split)).toBe(2);
    await store.commit(id, { puts: [{ split, data: tail.append(points(8)) }] });
    expect(store.splitChainLength(id, split)).toBe(0);
    expect(await store.getSplit(id, split)).toEqual(tail.encode());
    await store.commit(id, { appends: [{ split, ...tail.appendChunks(points(12), true) }] });
    expect(store.splitChainLength(id, split)).toBe(1);
    expect(await store.getSplit(id, split)).toEqual(tail.encode());
    await expect(
      store.commit(id, {
        puts: [{ split, data: new Uint8Array(8) }],
        appends: [{ split, keep: 0, chunks: new Uint8Array(1), count: 1 }],
      }),
    ).rejects.toThrow(RangeError);
    await store.close();
  });

  it("keeps every chain intact under racing compactions, reopen and crashes", async () => {
    const dir = await tempDir();
    const store = await open(dir, {
      segmentBytes: 16 * 1024,
      minCompactBytes: 4 * 1024,
      garbageRatio: 0.2,
      fsync: async () => {}, // logic only: crash copies see the page cache anyway
    });
    const ids = uuids(8);
    const model: Model = new Map();
    const rand = prng(17);
    for (let step = 0; step < 600; step++) {
      // A few metrics per step, each with one commit in flight (as under the sack lock).
      const chosen = new Set<string>();
      while (chosen.size < 3) chosen.add(ids[Math.floor(rand() * ids.length)]!);
      await Promise.all([...chosen].map((id) => store.commit(id, cycle(store, model, id, rand))));
      if (step % 150 === 149) {
        await check(store, model);
        // A crash now: the copy is loaded by scanning the unsealed segments.
        const copy = await crashCopy(dir);
        const crashed = await open(copy);
        await check(crashed, model);
        await crashed.close();
      }
    }
    expect(store.stats.compactions).toBeGreaterThan(3);
    await check(store, model);
    for (let p = 0; p < 2; p++) await store.compactPartition(p, true);
    await check(store, model);
    await store.close();
    const again = await open(dir);
    expect(again.stats.segmentsScanned).toBe(0);
    await check(again, model);
    const usage = again.usage();
    let onDisk = 0;
    for (const s of await again.listMetrics()) expect(model.has(s)).toBe(true);
    for (let p = 0; p < 2; p++) onDisk += again.usage(p).bytes;
    expect(onDisk).toBe(usage.bytes);
    expect((await stat(dir)).isDirectory()).toBe(true);
    await again.close();
  });
});
