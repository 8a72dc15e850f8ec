/**
 * String order by Unicode code point, the order of SQL's binary collation
 * and of Python, which Gnocchi's sorted answers and Prometheus' label order
 * follow. JavaScript's `<` compares UTF-16 code units instead, which orders
 * astral characters before U+E000–U+FFFF.
 */
export function compareCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const l = a.charCodeAt(i);
    const r = b.charCodeAt(i);
    if (l !== r) return codePointRank(l) - codePointRank(r);
  }
  return a.length - b.length;
}

/**
 * A UTF-16 unit's rank in code-point order at the first unit where two
 * strings differ: surrogates (code points above U+FFFF) rank after every BMP
 * unit, so they move above U+E000–U+FFFF, which move down to make room.
 * Comparing units this way sorts like comparing code points, without
 * iterating code points (sorting label names is on the ingest path).
 */
function codePointRank(unit: number): number {
  if (unit >= 0xe000) return unit - 0x800;
  if (unit >= 0xd800) return unit + 0x2000;
  return unit;
}
