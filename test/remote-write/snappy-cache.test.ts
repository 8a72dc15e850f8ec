/** The snappy wrapper (snappy.ts) and the byte-keyed series cache (series-cache.ts). */
import fc from "fast-check";
import { compress } from "snappyjs";
import { describe, expect, it } from "vitest";
import { InvalidWriteError, WriteTooLargeError } from "../../src/remote-write/errors.js";
import { hashBytes } from "../../src/remote-write/key-hash.js";
import { SeriesCache } from "../../src/remote-write/series-cache.js";
import { snappyUncompress } from "../../src/remote-write/snappy.js";

describe("snappyUncompress", () => {
  it("round-trips snappyjs' blocks", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 5000 }), fc.nat(40), (bytes, repeat) => {
        const data = new Uint8Array(bytes.length * (repeat + 1));
        for (let i = 0; i <= repeat; i++) data.set(bytes, i * bytes.length);
        const block = compress(data);
        expect(snappyUncompress(block, 1 << 24)).toEqual(data);
      }),
      { numRuns: 200 },
    );
  });

  it("refuses truncated, corrupt and oversized blocks with 400 or 413, never a crash", () => {
    const data = new TextEncoder().encode("node_cpu_seconds_total ".repeat(200));
    const block = compress(data);
    for (let cut = 0; cut < block.length; cut++) {
      expect(() => snappyUncompress(block.subarray(0, cut), 1 << 20)).toThrow(InvalidWriteError);
    }
    expect(() => snappyUncompress(block, 100)).toThrow(WriteTooLargeError);
    expect(() =>
      snappyUncompress(new Uint8Array([0x80, 0x80, 0x80, 0x80, 0x80, 0x01]), 1e9),
    ).toThrow(/bad length header/);
    // A copy reaching back before the start of the output.
    expect(() => snappyUncompress(new Uint8Array([4, 0x01, 0x10]), 100)).toThrow(InvalidWriteError);
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        try {
          const out = snappyUncompress(bytes, 1 << 16);
          expect(out.length).toBeLessThanOrEqual(1 << 16);
        } catch (error) {
          expect(error instanceof InvalidWriteError || error instanceof WriteTooLargeError).toBe(
            true,
          );
        }
      }),
      { numRuns: 3000 },
    );
  });
});

describe("SeriesCache", () => {
  /** The metric id numbered n. */
  const m = (n: number) => `00000000-0000-4000-8000-${n.toString(16).padStart(12, "0")}`;
  const bytes = (s: string) => new TextEncoder().encode(s);
  const key = (s: string) => {
    const b = bytes(s);
    return [b, 0, b.length, hashBytes(b, 0, b.length)] as const;
  };

  it("finds keys by their bytes, several keys per metric", () => {
    const cache = new SeriesCache();
    const now = 1000;
    cache.insert(...key("a=1,b=2"), m(1), now);
    cache.insert(...key("b=2,a=1"), m(1), now);
    cache.insert(...key("a=2"), m(2), now);
    const s1 = cache.lookup(...key("a=1,b=2"));
    expect(cache.metricId(s1)).toBe(m(1));
    expect(cache.lookup(...key("b=2,a=1"))).toBe(s1);
    expect(cache.metricId(cache.lookup(...key("a=2")))).toBe(m(2));
    expect(cache.lookup(...key("a=3"))).toBe(-1);
    // A key inside a larger buffer, at an offset.
    const big = bytes("xxa=2yy");
    expect(cache.lookup(big, 2, 5, hashBytes(big, 2, 5))).toBe(cache.lookup(...key("a=2")));
  });

  it("never confuses keys whose hashes collide", () => {
    const cache = new SeriesCache();
    const [a] = key("first");
    const [b] = key("second");
    cache.insert(a, 0, a.length, 42, m(1), 0);
    cache.insert(b, 0, b.length, 42, m(2), 0);
    expect(cache.metricId(cache.lookup(a, 0, a.length, 42))).toBe(m(1));
    expect(cache.metricId(cache.lookup(b, 0, b.length, 42))).toBe(m(2));
    expect(cache.lookup(...(key("third").slice(0, 3) as [Uint8Array, number, number]), 42)).toBe(
      -1,
    );
  });

  it("grows past thousands of keys and starts over when full", () => {
    const cache = new SeriesCache(60_000, 200_000);
    for (let i = 0; i < 20_000; i++) cache.insert(...key(`series-${i}`), m(i), 0);
    expect(cache.size).toBeLessThan(20_000); // 200 kB of keys: it started over on the way
    const last = cache.lookup(...key("series-19999"));
    expect(cache.metricId(last)).toBe(m(19999));
    const big = new SeriesCache();
    for (let i = 0; i < 20_000; i++) big.insert(...key(`series-${i}`), m(i), 0);
    expect(big.size).toBe(20_000);
    for (let i = 0; i < 20_000; i += 997) {
      expect(big.metricId(big.lookup(...key(`series-${i}`)))).toBe(m(i));
    }
  });

  it("evicts a metric's keys and ages entries by TTL", () => {
    const cache = new SeriesCache(1000);
    cache.insert(...key("a"), m(1), 10_000);
    const slot = cache.lookup(...key("a"));
    expect(cache.isStale(slot, 10_400)).toBe(false);
    expect(cache.isStale(slot, 11_001)).toBe(true);
    cache.confirm(slot, 11_001);
    expect(cache.isStale(slot, 11_500)).toBe(false);
    cache.evict(slot);
    expect(cache.lookup(...key("a"))).toBe(-1);
    cache.insert(...key("a"), m(2), 12_000);
    expect(cache.metricId(cache.lookup(...key("a")))).toBe(m(2));
  });

  it("keeps each metric id canonical and its 16 bytes beside it", () => {
    const cache = new SeriesCache();
    cache.insert(...key("a"), "0A1B2C3D-4E5F-4A7B-8C9D-0E1F2A3B4C5D", 0);
    cache.insert(...key("b"), m(7), 0);
    const a = cache.lookup(...key("a"));
    const b = cache.lookup(...key("b"));
    expect(cache.metricId(a)).toBe("0a1b2c3d-4e5f-4a7b-8c9d-0e1f2a3b4c5d");
    const hex = (slot: number) =>
      Buffer.from(cache.metricUuids.subarray(16 * slot, 16 * slot + 16)).toString("hex");
    expect(hex(a)).toBe("0a1b2c3d4e5f4a7b8c9d0e1f2a3b4c5d");
    expect(hex(b)).toBe("00000000000040008000000000000007");
    // The same metric named in another case is the same slot.
    cache.insert(...key("c"), "0a1b2c3d-4e5f-4a7b-8c9d-0e1f2a3b4c5d", 0);
    expect(cache.lookup(...key("c"))).toBe(a);
    expect(() => cache.insert(...key("d"), "not-a-uuid", 0)).toThrow();
  });
});
