/**
 * Quantiles as Prometheus computes them (promql/quantile.go, 2.42): the
 * φ-quantile of a set of values with linear interpolation between closest
 * ranks (`quantile`, `quantile_over_time`), and the quantile of a classic
 * histogram from its cumulative `le` buckets (`histogram_quantile`).
 */

/** NaN sorts first, as in Prometheus' vectorByValueHeap. */
function byValueNaNFirst(a: number, b: number): number {
  if (Number.isNaN(a)) return Number.isNaN(b) ? 0 : -1;
  if (Number.isNaN(b)) return 1;
  return a - b;
}

/** φ-quantile of `values[0..n)`; sorts the array in place. */
export function quantile(q: number, values: Float64Array, n: number): number {
  if (n === 0 || Number.isNaN(q)) return Number.NaN;
  if (q < 0) return Number.NEGATIVE_INFINITY;
  if (q > 1) return Number.POSITIVE_INFINITY;
  const v = values.subarray(0, n);
  v.sort(byValueNaNFirst);
  const rank = q * (n - 1);
  const lower = Math.max(0, Math.floor(rank));
  const upper = Math.min(n - 1, lower + 1);
  const weight = rank - Math.floor(rank);
  return v[lower]! * (1 - weight) + v[upper]! * weight;
}

/**
 * Quantile of a classic histogram. `bounds`/`counts` hold n buckets (upper
 * bound, cumulative count) in any order; both arrays are reordered in place.
 */
export function bucketQuantile(
  q: number,
  bounds: Float64Array,
  counts: Float64Array,
  n: number,
): number {
  if (Number.isNaN(q)) return Number.NaN;
  if (q < 0) return Number.NEGATIVE_INFINITY;
  if (q > 1) return Number.POSITIVE_INFINITY;
  if (n === 0) return Number.NaN;
  sortBuckets(bounds, counts, n);
  if (bounds[n - 1] !== Number.POSITIVE_INFINITY) return Number.NaN;
  // Coalesce buckets with the same upper bound (counts add up).
  let m = 0;
  for (let i = 1; i < n; i++) {
    if (bounds[i] === bounds[m]) counts[m] = counts[m]! + counts[i]!;
    else {
      m++;
      bounds[m] = bounds[i]!;
      counts[m] = counts[i]!;
    }
  }
  m++;
  // Make the counts monotonic (scrapes of different buckets can race).
  let max = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < m; i++) {
    if (counts[i]! > max) max = counts[i]!;
    else if (counts[i]! < max) counts[i] = max;
  }
  if (m < 2) return Number.NaN;
  const observations = counts[m - 1]!;
  if (observations === 0) return Number.NaN;
  let rank = q * observations;
  // First bucket among 0..m-2 whose count reaches the rank (m-1 when none).
  let b = 0;
  while (b < m - 1 && !(counts[b]! >= rank)) b++;
  if (b === m - 1) return bounds[m - 2]!;
  if (b === 0 && bounds[0]! <= 0) return bounds[0]!;
  let bucketStart = 0;
  const bucketEnd = bounds[b]!;
  let count = counts[b]!;
  if (b > 0) {
    bucketStart = bounds[b - 1]!;
    count -= counts[b - 1]!;
    rank -= counts[b - 1]!;
  }
  return bucketStart + (bucketEnd - bucketStart) * (rank / count);
}

function sortBuckets(bounds: Float64Array, counts: Float64Array, n: number): void {
  // Insertion sort: histograms have tens of buckets, usually already in order.
  for (let i = 1; i < n; i++) {
    const b = bounds[i]!;
    const c = counts[i]!;
    let j = i - 1;
    while (j >= 0 && bounds[j]! > b) {
      bounds[j + 1] = bounds[j]!;
      counts[j + 1] = counts[j]!;
      j--;
    }
    bounds[j + 1] = b;
    counts[j + 1] = c;
  }
}
