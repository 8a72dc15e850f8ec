/**
 * SeriesCache's cold tier: the decoded splits an assembled series supersedes
 * are demoted, so filling the cache evicts them before any assembled series,
 * and a demoted entry used again is an ordinary entry once more.
 */
import { expect, it } from "vitest";
import { ENTRY_OVERHEAD, SeriesCache } from "../../src/storage/series-cache.js";

const serie = (n: number) => ({
  timestamps: Float64Array.from({ length: n }, (_, i) => i),
  values: new Float64Array(n),
});
/** Bytes one entry of `serie(n)` is accounted. */
const bytes = (n: number) => 16 * n + ENTRY_OVERHEAD;

it("evicts demoted entries before any other, even more recently used ones", () => {
  const cache = new SeriesCache(3 * bytes(100));
  cache.put("m", "assembled", serie(100));
  cache.put("m", "split-1", serie(100));
  cache.put("m", "split-2", serie(100));
  cache.demote("split-1");
  cache.demote("split-2");
  // The assembled series is the least recently used, yet the demoted splits go first.
  cache.put("n", "other-1", serie(100));
  cache.put("n", "other-2", serie(100));
  expect(cache.get("split-1")).toBeUndefined();
  expect(cache.get("split-2")).toBeUndefined();
  expect(cache.get("assembled")).toBeDefined();
  expect(cache.get("other-1")).toBeDefined();
  expect(cache.bytes).toBe(3 * bytes(100));
  expect(cache.size).toBe(3);
});

it("a demoted entry that is used again leaves the cold tier", () => {
  const cache = new SeriesCache(3 * bytes(100));
  cache.put("m", "a", serie(100));
  cache.put("m", "b", serie(100));
  cache.demote("b");
  expect(cache.get("b")).toBeDefined();
  cache.put("m", "c", serie(100));
  // b is an ordinary entry again (newer than a): a, the least recently used, goes.
  cache.put("m", "d", serie(100));
  expect(cache.get("a")).toBeUndefined();
  expect(cache.get("b")).toBeDefined();
});
