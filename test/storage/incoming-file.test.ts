import { readdir, readFile, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { sackOf } from "../../src/storage/common.js";
import { unappliedMeasures } from "../../src/storage/incoming.js";
import { type FileIncomingOptions, FileIncomingStore } from "../../src/storage/incoming-file.js";
import { crashCopy, tempDir, uuidOf, uuids } from "./helpers.js";

function batch(metricId: string, from: number, n: number) {
  const timestamps = new Float64Array(n);
  const values = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    timestamps[i] = (from + i) * 1_000_000;
    values[i] = from + i + 0.5;
  }
  return { metricId, timestamps, values };
}

async function open(dataDir: string, extra: Partial<FileIncomingOptions> = {}) {
  return FileIncomingStore.open({ dataDir, onCorruption: () => {}, ...extra });
}

async function readAll(store: FileIncomingStore) {
  const out = new Map<string, number[]>();
  for (const sack of await store.sacksWithPending()) {
    const r = await store.read(sack);
    for (const m of r.metrics)
      out.set(
        m.metricId,
        [...m.timestamps].map((t) => t / 1_000_000),
      );
  }
  return out;
}

async function walFiles(dataDir: string): Promise<string[]> {
  const dir = join(dataDir, "incoming", "wal");
  return (await readdir(dir))
    .filter((f) => f.endsWith(".log"))
    .map((f) => join(dir, f))
    .sort();
}

describe("sack mapping (spec carbonara §10.2)", () => {
  it("is the UUID as a 128-bit integer modulo the sack count", () => {
    expect(sackOf(uuidOf(5), 128)).toBe(5);
    expect(sackOf(uuidOf(128 + 7), 128)).toBe(7);
    expect(sackOf("ffffffff-ffff-ffff-ffff-ffffffffffff", 128)).toBe(127);
    expect(sackOf("ffffffff-ffff-ffff-ffff-ffffffffffff", 3)).toBe(0); // 2^128 − 1 ≡ 0 (mod 3)
    expect(sackOf("FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF", 1000)).toBe(455); // 2^128 − 1 ≡ 455 (mod 1000)
    for (const id of uuids(200)) {
      for (const n of [1, 7, 128, 65535]) {
        expect(sackOf(id, n)).toBe(Number(BigInt(`0x${id.replaceAll("-", "")}`) % BigInt(n)));
      }
    }
  });
  it("rejects what is not a UUID and bad sack counts", () => {
    expect(() => sackOf("not-a-uuid", 128)).toThrow();
    expect(() => sackOf(uuidOf(1), 0)).toThrow(RangeError);
    expect(() => sackOf(uuidOf(1), 65536)).toThrow(RangeError);
  });
});

describe("file incoming store", () => {
  it("round-trips batches of many metrics, grouped by metric and sack", async () => {
    const dir = await tempDir();
    const store = await open(dir, { sacks: 8 });
    const ids = uuids(20);
    await store.append(ids.map((id, i) => batch(id, i * 100, i + 1)));
    await store.append([batch(ids[0]!, 5000, 3)]);
    const backlog = await store.backlog();
    expect(backlog.metrics).toBe(20);
    expect(backlog.batches).toBe(21);
    expect(backlog.measures).toBe(210 + 3);
    expect(backlog.perMetric.get(ids[0]!)).toBe(2);

    const seen = new Set<string>();
    for (const sack of await store.sacksWithPending()) {
      const r = await store.read(sack);
      for (const m of r.metrics) {
        expect(store.sackOf(m.metricId)).toBe(sack);
        seen.add(m.metricId);
        const i = ids.indexOf(m.metricId);
        const expected = [...batch(m.metricId, i * 100, i + 1).timestamps];
        if (i === 0) {
          expected.push(...batch(m.metricId, 5000, 3).timestamps);
          expect(m.batches).toBe(2);
          expect([...m.batchEnds]).toEqual([1, 4]);
          expect(m.batchPositions[0]!).toBeLessThan(m.batchPositions[1]!);
        }
        expect([...m.timestamps]).toEqual(expected);
        expect([...m.values]).toEqual(expected.map((t) => t / 1_000_000 + 0.5));
      }
      await store.release(r.handle);
    }
    expect(seen.size).toBe(20);
    expect((await store.backlog()).batches).toBe(0);
    expect(await store.sacksWithPending()).toEqual([]);
    await store.close();
  });

  it("releases exactly what was read: appends made after the read stay pending", async () => {
    const dir = await tempDir();
    const store = await open(dir, { sacks: 1 });
    const [a, b] = uuids(2) as [string, string];
    await store.append([batch(a, 0, 2)]);
    const r = await store.read(0);
    await store.append([batch(a, 10, 2), batch(b, 20, 1)]);
    await store.release(r.handle);
    await store.release(r.handle); // idempotent
    const next = await store.read(0);
    const got = new Map(next.metrics.map((m) => [m.metricId, [...m.timestamps]]));
    expect(got.get(a)).toEqual([10e6, 11e6]);
    expect(got.get(b)).toEqual([20e6]);
    expect((await store.backlog()).batches).toBe(2);
    await store.close();
  });

  it("shares fsyncs between concurrent appends (group commit)", async () => {
    const dir = await tempDir();
    let hookCalls = 0;
    const store = await open(dir, {
      fsync: async (fh) => {
        hookCalls++;
        await fh.datasync();
      },
    });
    const ids = uuids(50);
    const calls = 400;
    await Promise.all(
      Array.from({ length: calls }, (_, i) =>
        store.append([batch(ids[i % 50]!, i * 10, 10), batch(ids[(i * 7) % 50]!, i * 10, 5)]),
      ),
    );
    expect(store.stats.appends).toBe(calls);
    expect(store.stats.fsyncs).toBeLessThan(calls / 4);
    expect(hookCalls).toBeGreaterThanOrEqual(store.stats.fsyncs);
    expect((await store.backlog()).batches).toBe(2 * calls);
    await store.close();
  });

  it("resolves only after the data is durable: a crash copy taken right after holds it", async () => {
    const dir = await tempDir();
    const store = await open(dir, { sacks: 4 });
    const ids = uuids(10);
    await store.append(ids.map((id, i) => batch(id, i, 3)));
    const copy = await crashCopy(dir); // the process "dies" here: no close, no checkpoint
    const reopened = await open(copy);
    expect(reopened.sacks).toBe(4);
    const all = await readAll(reopened);
    expect(all.size).toBe(10);
    await reopened.close();
    await store.close();
  });

  it("keeps pending and drops released batches across close and reopen", async () => {
    const dir = await tempDir();
    const store = await open(dir, { sacks: 2 });
    const ids = uuids(6);
    await store.append(ids.map((id, i) => batch(id, i, 2)));
    const r = await store.read(0);
    await store.release(r.handle);
    await store.close();
    await expect(store.append([batch(ids[0]!, 0, 1)])).rejects.toThrow(/closed/);

    const again = await open(dir);
    const all = await readAll(again);
    for (const id of ids) expect(all.has(id)).toBe(again.sackOf(id) === 1);
    const bl = await again.backlog();
    expect(bl.batches).toBe(ids.filter((id) => again.sackOf(id) === 1).length);
    await again.close();
  });

  it("ignores a torn last frame at every cut point and keeps the earlier ones", async () => {
    const dir = await tempDir();
    const store = await open(dir, { sacks: 2 });
    const [a, b, c] = uuids(3) as [string, string, string];
    await store.append([batch(a, 0, 2)]);
    await store.append([batch(b, 10, 1), batch(c, 20, 2)]);
    const files = await walFiles(dir);
    expect(files.length).toBe(1);
    const before = (await stat(files[0]!)).size;
    await store.append([batch(c, 30, 3), batch(a, 40, 1)]);
    const after = (await stat(files[0]!)).size;
    await store.close();
    const original = await readFile(files[0]!);
    for (let cut = before; cut < after; cut++) {
      const copy = await crashCopy(dir);
      const wal = (await walFiles(copy))[0]!;
      await writeFile(wal, original.subarray(0, cut));
      // the crash happened before the state recorded anything about the last frame
      const s = await open(copy);
      const all = await readAll(s);
      expect(all.get(a)).toEqual([0, 1]);
      expect(all.get(b)).toEqual([10]);
      expect(all.get(c)).toEqual([20, 21]);
      expect(s.stats.corruptFrames).toBe(0);
      expect(s.stats.tornTails).toBe(cut === before ? 0 : 1);
      // writing resumes in a new segment; the new frame is readable after another reopen
      await s.append([batch(a, 99, 1)]);
      await s.close();
      const s2 = await open(copy);
      expect((await readAll(s2)).get(a)).toEqual([0, 1, 99]);
      await s2.close();
    }
  });

  it("reports a corrupt frame and still reads the frames around it", async () => {
    const dir = await tempDir();
    const store = await open(dir, { sacks: 1 });
    const [a, b, c] = uuids(3) as [string, string, string];
    await store.append([batch(a, 0, 4)]);
    const files = await walFiles(dir);
    const first = (await stat(files[0]!)).size;
    await store.append([batch(b, 10, 4)]);
    await store.append([batch(c, 20, 4)]);
    await store.close();
    const data = await readFile(files[0]!);
    data[first + 60] = data[first + 60]! ^ 0x40; // a byte of b's timestamps
    await writeFile(files[0]!, data);
    const events: string[] = [];
    const s = await open(dir, { onCorruption: (e) => events.push(e.detail) });
    expect(events.length).toBe(1);
    expect(s.stats.corruptFrames).toBe(1);
    const all = await readAll(s);
    expect(all.get(a)).toEqual([0, 1, 2, 3]);
    expect(all.has(b)).toBe(false);
    expect(all.get(c)).toEqual([20, 21, 22, 23]);
    await s.close();
  });

  it("restricted reads (refresh) consume only the metrics asked for", async () => {
    const dir = await tempDir();
    const store = await open(dir, { sacks: 1 });
    const [a, b] = uuids(2) as [string, string];
    await store.append([batch(a, 0, 2), batch(b, 10, 2)]);
    await store.append([batch(a, 2, 1)]);
    const r = await store.read(0, { metrics: new Set([a.toUpperCase()]) });
    expect(r.metrics.map((m) => m.metricId)).toEqual([a]);
    expect([...r.metrics[0]!.timestamps]).toEqual([0, 1e6, 2e6]);
    await store.release(r.handle);
    expect((await store.backlog()).perMetric).toEqual(new Map([[b, 1]]));
    await store.append([batch(a, 3, 1)]);
    const full = await store.read(0);
    const got = new Map(full.metrics.map((m) => [m.metricId, [...m.timestamps]]));
    expect(got.get(a)).toEqual([3e6]);
    expect(got.get(b)).toEqual([10e6, 11e6]);
    await store.release(full.handle);
    await store.close();
    const again = await open(dir);
    expect((await again.backlog()).batches).toBe(0);
    await again.close();
  });

  it("drops the pending measures of deleted metrics durably (janitor)", async () => {
    const dir = await tempDir();
    const store = await open(dir, { sacks: 2 });
    const [a, b] = uuids(2) as [string, string];
    await store.append([batch(a, 0, 2), batch(b, 10, 2)]);
    await store.drop([a]);
    expect((await store.backlog()).perMetric).toEqual(new Map([[b, 1]]));
    await store.append([batch(a, 50, 1)]);
    const copy = await crashCopy(dir);
    const again = await open(copy);
    const all = await readAll(again);
    expect(all.get(a)).toEqual([50]);
    expect(all.get(b)).toEqual([10, 11]);
    await again.close();
    await store.close();
  });

  it("hands out measures in chunks with maxBytes", async () => {
    const dir = await tempDir();
    const store = await open(dir, { sacks: 1 });
    const [a] = uuids(1) as [string];
    for (let i = 0; i < 10; i++) await store.append([batch(a, i * 10, 10)]);
    let total = 0;
    let reads = 0;
    while ((await store.sacksWithPending()).length > 0) {
      const r = await store.read(0, { maxBytes: 500 });
      total += r.metrics[0]?.timestamps.length ?? 0;
      reads++;
      await store.release(r.handle);
    }
    expect(total).toBe(100);
    expect(reads).toBeGreaterThan(3);
    await store.close();
  });

  it("reclaims the space of consumed segments", async () => {
    const dir = await tempDir();
    const store = await open(dir, {
      sacks: 4,
      segmentBytes: 4096,
      idleRollBytes: 1,
      cacheBytes: 8192, // most parts are read back from disk
    });
    const ids = uuids(30);
    for (let round = 0; round < 20; round++) {
      await store.append(ids.map((id) => batch(id, round * 10, 10)));
    }
    expect((await walFiles(dir)).length).toBeGreaterThan(10);
    let measures = 0;
    for (const sack of await store.sacksWithPending()) {
      const r = await store.read(sack);
      for (const m of r.metrics) measures += m.timestamps.length;
      await store.release(r.handle);
    }
    expect(measures).toBe(30 * 20 * 10);
    await store.checkpoint();
    expect(await walFiles(dir)).toEqual([]);
    expect(store.stats.segmentsDeleted).toBeGreaterThan(10);
    // positions keep increasing after everything was deleted
    const [a] = ids as [string];
    await store.append([batch(a, 1000, 1)]);
    const r = await store.read(store.sackOf(a));
    expect(Number(r.handle.end)).toBeGreaterThan(20 * 30 * 100);
    await store.close();
    const again = await open(dir);
    expect((await readAll(again)).get(a)).toEqual([1000]);
    await again.close();
  });

  it("refuses a different sack count while a backlog exists, accepts it once empty", async () => {
    const dir = await tempDir();
    const store = await open(dir, { sacks: 8 });
    const [a] = uuids(1) as [string];
    await store.append([batch(a, 0, 1)]);
    await store.close();
    await expect(open(dir, { sacks: 16 })).rejects.toThrow(/pending/);
    const same = await open(dir);
    expect(same.sacks).toBe(8);
    const r = await same.read(same.sackOf(a));
    await same.release(r.handle);
    await same.close();
    const resized = await open(dir, { sacks: 16 });
    expect(resized.sacks).toBe(16);
    expect((await resized.backlog()).batches).toBe(0);
    await resized.append([batch(a, 5, 1)]);
    expect((await readAll(resized)).get(a)).toEqual([5]);
    await resized.close();
  });

  it("notifies subscribers of the sacks that received data", async () => {
    const dir = await tempDir();
    const store = await open(dir, { sacks: 16 });
    const seen: number[] = [];
    const off = store.subscribe((s) => seen.push(s));
    const [a] = uuids(1) as [string];
    await store.append([batch(a, 0, 1)]);
    off();
    await store.append([batch(a, 1, 1)]);
    expect(seen).toEqual([store.sackOf(a)]);
    await store.close();
  });
});

describe("exactly-once markers", () => {
  it("skip the batches a committed marker covers, keep later ones", async () => {
    const dir = await tempDir();
    const store = await open(dir, { sacks: 1 });
    const [a] = uuids(1) as [string];
    await store.append([batch(a, 0, 2)]);
    await store.append([batch(a, 2, 3)]);
    const first = await store.read(0);
    const applied = first.metrics[0]!.marker; // committed with the aggregates, then "crash"
    await store.append([batch(a, 5, 1)]);
    const copy = await crashCopy(dir); // the release never happened
    const again = await open(copy);
    const replay = await again.read(0);
    const m = replay.metrics[0]!;
    expect(m.timestamps.length).toBe(6);
    const todo = unappliedMeasures(m, applied);
    expect([...todo.timestamps]).toEqual([5e6]);
    expect([...unappliedMeasures(m, undefined).timestamps].length).toBe(6);
    // a marker from another store (wiped and recreated) hides nothing
    const other = await open(await tempDir(), { sacks: 1 });
    await other.append([batch(a, 0, 1)]);
    const foreign = (await other.read(0)).metrics[0]!.marker;
    expect(unappliedMeasures(m, foreign).timestamps.length).toBe(6);
    await other.close();
    await again.close();
    await store.close();
  });
});

describe("file incoming store, checks", () => {
  it("rejects mismatched arrays and non-UUID metric ids without writing", async () => {
    const dir = await tempDir();
    const store = await open(dir, { sacks: 2 });
    await expect(
      store.append([
        { metricId: uuids(1)[0]!, timestamps: new Float64Array(2), values: new Float64Array(1) },
      ]),
    ).rejects.toThrow(RangeError);
    await expect(store.append([batch("nope", 0, 1)])).rejects.toThrow();
    await store.append([]);
    expect(store.stats.appends).toBe(0);
    await store.close();
  });
});

describe("file incoming store, columnar append (one run per metric, a whole request per call)", () => {
  /** Bits of a double, to compare NaN payloads exactly. */
  const bits = (values: Float64Array) =>
    [...new BigUint64Array(values.buffer, values.byteOffset, values.length)].map(String);

  it("stores each run as one batch of its metric, in the caller's order within a sack", async () => {
    const dir = await tempDir();
    const store = await open(dir, { sacks: 3 }); // not a power of two: the general sack path
    const ids = uuids(40);
    const counts = ids.map((_, i) => i % 4); // every fourth run is empty
    const runEnds = new Uint32Array(ids.length);
    let end = 0;
    counts.forEach((n, i) => {
      end += n;
      runEnds[i] = end;
    });
    const timestamps = Float64Array.from({ length: end }, (_, k) => (k + 1) * 1e6);
    const values = Float64Array.from({ length: end }, (_, k) => k + 0.25);
    await store.appendColumns({ metricIds: ids, runEnds, timestamps, values });
    const all = await readAll(store);
    expect(all.size).toBe(ids.filter((_, i) => counts[i]! > 0).length);
    let from = 0;
    ids.forEach((id, i) => {
      const expected = [...timestamps.subarray(from, runEnds[i]!)].map((t) => t / 1e6);
      from = runEnds[i]!;
      if (expected.length === 0) expect(all.has(id)).toBe(false);
      else expect(all.get(id)).toEqual(expected);
    });
    const backlog = await store.backlog();
    expect(backlog.batches).toBe(all.size);
    expect(backlog.measures).toBe(end);
    await store.close();
  });

  it("takes parsed ids (metricUuids), keeps signalling NaNs bit for bit, and survives a crash", async () => {
    const dir = await tempDir();
    const store = await open(dir, { sacks: 128 });
    const [a, b] = uuids(2) as [string, string];
    const metricUuids = new Uint8Array(32);
    for (const [k, id] of [a, b].entries()) {
      metricUuids.set(Buffer.from(id.replaceAll("-", ""), "hex"), 16 * k);
    }
    const values = new Float64Array(3);
    const words = new Uint32Array(values.buffer);
    words[0] = 2; // 0x7ff0000000000002: Prometheus' staleness marker, a signalling NaN
    words[1] = 0x7ff00000;
    values[1] = Number.NEGATIVE_INFINITY;
    values[2] = -0;
    const timestamps = Float64Array.from([1e6, 2e6, 3e6]);
    await store.appendColumns({
      metricIds: [a, b],
      metricUuids,
      runEnds: Uint32Array.from([1, 3]),
      timestamps,
      values,
    });
    const copy = await crashCopy(dir);
    const reopened = await open(copy);
    const got = new Map<string, Float64Array>();
    for (const sack of await reopened.sacksWithPending()) {
      for (const m of (await reopened.read(sack)).metrics) {
        expect(sackOf(m.metricId, 128)).toBe(sack); // the low bits of a power-of-two count
        got.set(m.metricId, m.values);
      }
    }
    expect(bits(got.get(a)!)).toEqual(bits(values.subarray(0, 1)));
    expect(bits(got.get(b)!)).toEqual(bits(values.subarray(1, 3)));
    await reopened.close();
    await store.close();
  });

  it("canonicalises ids, counts a metric named by two runs as two batches", async () => {
    const dir = await tempDir();
    const store = await open(dir, { sacks: 4 });
    const [a] = uuids(1) as [string];
    await store.appendColumns({
      metricIds: [a.toUpperCase(), a],
      runEnds: Uint32Array.from([1, 2]),
      timestamps: Float64Array.from([1e6, 2e6]),
      values: Float64Array.from([1, 2]),
    });
    expect((await store.backlog([a])).perMetric.get(a)).toBe(2);
    const read = await store.read(store.sackOf(a));
    expect(read.metrics.map((m) => [m.metricId, [...m.values], m.batches])).toEqual([
      [a, [1, 2], 2],
    ]);
    await store.close();
  });

  it("rejects runEnds that do not ascend within the samples, and ids that are not UUIDs", async () => {
    const dir = await tempDir();
    const store = await open(dir, { sacks: 2 });
    const [a, b] = uuids(2) as [string, string];
    const samples = { timestamps: new Float64Array(2), values: new Float64Array(2) };
    await expect(
      store.appendColumns({ metricIds: [a, b], runEnds: Uint32Array.from([2, 1]), ...samples }),
    ).rejects.toThrow(RangeError);
    await expect(
      store.appendColumns({ metricIds: [a], runEnds: Uint32Array.from([3]), ...samples }),
    ).rejects.toThrow(RangeError);
    await expect(
      store.appendColumns({ metricIds: [a, b], runEnds: Uint32Array.from([1]), ...samples }),
    ).rejects.toThrow(RangeError);
    await expect(
      store.appendColumns({ metricIds: ["nope"], runEnds: Uint32Array.from([1]), ...samples }),
    ).rejects.toThrow();
    expect(store.stats.appends).toBe(0);
    await store.close();
  });
});
