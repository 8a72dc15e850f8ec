/**
 * MurmurHash3 (x86, 32-bit) of a byte range: the hash of a series' encoded
 * label fields, which is how a known series is found without decoding a
 * single string. Four bytes per round, no allocation.
 */
export function hashBytes(
  buf: Uint8Array,
  start: number,
  end: number,
  /** A DataView over exactly `buf` (the decoder passes its own; made here when absent). */
  view: DataView = viewOf(buf),
): number {
  let h = 0x9747b28c ^ (end - start);
  let i = start;
  // One unaligned 32-bit load per round (TurboFan compiles DataView reads to a plain load).
  for (const last = end - 3; i < last; i += 4) {
    let k = view.getInt32(i, true);
    k = Math.imul(k, 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    h ^= Math.imul(k, 0x1b873593);
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  const rest = end - i;
  if (rest > 0) {
    let k = buf[i]!;
    if (rest > 1) k ^= buf[i + 1]! << 8;
    if (rest > 2) k ^= buf[i + 2]! << 16;
    k = Math.imul(k, 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    h ^= Math.imul(k, 0x1b873593);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h | 0;
}

/**
 * Whether `a[aStart, aEnd)` and `b[bStart, bStart + aEnd - aStart)` hold the
 * same bytes, four at a time through DataViews over exactly `a` and `b`.
 */
export function sameBytes(
  a: DataView,
  aStart: number,
  aEnd: number,
  b: DataView,
  bStart: number,
): boolean {
  const n = aEnd - aStart;
  let i = 0;
  for (; i + 4 <= n; i += 4) if (a.getInt32(aStart + i) !== b.getInt32(bStart + i)) return false;
  for (; i < n; i++) if (a.getUint8(aStart + i) !== b.getUint8(bStart + i)) return false;
  return true;
}

/** A DataView over exactly the bytes of `buf`. */
export function viewOf(buf: Uint8Array): DataView {
  return new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
}
