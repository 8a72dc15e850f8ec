/**
 * Cross-series reducers of `/v1/aggregates` `aggregate` and `rolling` (spec
 * carbonara §9.2). Unlike the stored per-bucket reducers (aggregators.ts)
 * they ignore NaN cells (numpy's `nanmean`, `nanstd`, …), use the population
 * standard deviation and variance (ddof 0), and `count` counts the non-NaN
 * cells. A set without any number reduces to NaN, except `count` (0).
 */

export const CROSS_BASE_METHODS = [
  "mean",
  "median",
  "std",
  "min",
  "max",
  "sum",
  "var",
  "count",
] as const;

export type CrossBaseMethod = (typeof CROSS_BASE_METHODS)[number];

/** A method of `aggregate`, `rolling` and `resample`: a base, possibly under `rate:`. */
export interface CrossMethod {
  readonly name: string;
  readonly base: CrossBaseMethod;
  /** `rate:M`: reduce with M, then difference consecutive results (first time dropped). */
  readonly rate: boolean;
}

/** The 16 accepted names: the 8 bases and `rate:` + each. */
export const CROSS_AGGREGATION_METHODS: readonly string[] = Object.freeze([
  ...CROSS_BASE_METHODS,
  ...CROSS_BASE_METHODS.map((m) => `rate:${m}`),
]);

const BASES: ReadonlySet<string> = new Set(CROSS_BASE_METHODS);

export function parseCrossMethod(name: string): CrossMethod | undefined {
  const rate = name.startsWith("rate:");
  const base = rate ? name.slice(5) : name;
  return BASES.has(base) ? { name, rate, base: base as CrossBaseMethod } : undefined;
}

/**
 * Reduces `values[from..to)`, NaN cells ignored. `scratch` has room for
 * `to - from` values (order statistics sort in it).
 */
export type NanReducer = (
  values: Float64Array,
  from: number,
  to: number,
  scratch: Float64Array,
) => number;

/**
 * How sums are accumulated. numpy adds a row across columns one column after
 * the other (`aggregate`: "sequential") but sums a contiguous window with
 * pairwise summation (`rolling`: "pairwise"); both are reproduced so results
 * match the original to the last bit. NaN cells count as 0 in either (numpy
 * replaces them before summing).
 */
export type Summation = "sequential" | "pairwise";

function sequentialSum(values: Float64Array, from: number, to: number): number {
  let s = 0;
  for (let i = from; i < to; i++) {
    const v = values[i]!;
    if (!Number.isNaN(v)) s += v;
  }
  return s;
}

/** numpy's `pairwise_sum` (blocks of 128, 8-way unrolled), NaN read as 0. */
function pairwiseSum(values: Float64Array, from: number, to: number): number {
  const n = to - from;
  if (n < 8) return sequentialSum(values, from, to);
  if (n <= 128) {
    let r0 = nz(values[from]!);
    let r1 = nz(values[from + 1]!);
    let r2 = nz(values[from + 2]!);
    let r3 = nz(values[from + 3]!);
    let r4 = nz(values[from + 4]!);
    let r5 = nz(values[from + 5]!);
    let r6 = nz(values[from + 6]!);
    let r7 = nz(values[from + 7]!);
    const blocks = n - (n % 8);
    let i = 8;
    for (; i < blocks; i += 8) {
      r0 += nz(values[from + i]!);
      r1 += nz(values[from + i + 1]!);
      r2 += nz(values[from + i + 2]!);
      r3 += nz(values[from + i + 3]!);
      r4 += nz(values[from + i + 4]!);
      r5 += nz(values[from + i + 5]!);
      r6 += nz(values[from + i + 6]!);
      r7 += nz(values[from + i + 7]!);
    }
    let res = r0 + r1 + (r2 + r3) + (r4 + r5 + (r6 + r7));
    for (; i < n; i++) res += nz(values[from + i]!);
    return res;
  }
  let half = Math.floor(n / 2);
  half -= half % 8;
  return pairwiseSum(values, from, from + half) + pairwiseSum(values, from + half, to);
}

function nz(v: number): number {
  return Number.isNaN(v) ? 0 : v;
}

function countNumbers(values: Float64Array, from: number, to: number): number {
  let n = 0;
  for (let i = from; i < to; i++) if (!Number.isNaN(values[i]!)) n++;
  return n;
}

function nanMin(values: Float64Array, from: number, to: number): number {
  let m = Number.NaN;
  for (let i = from; i < to; i++) {
    const v = values[i]!;
    if (v < m || Number.isNaN(m)) m = v;
  }
  return m;
}

function nanMax(values: Float64Array, from: number, to: number): number {
  let m = Number.NaN;
  for (let i = from; i < to; i++) {
    const v = values[i]!;
    if (v > m || Number.isNaN(m)) m = v;
  }
  return m;
}

function nanMedian(values: Float64Array, from: number, to: number, scratch: Float64Array): number {
  let n = 0;
  for (let i = from; i < to; i++) {
    const v = values[i]!;
    if (!Number.isNaN(v)) scratch[n++] = v;
  }
  if (n === 0) return Number.NaN;
  const sorted = scratch.subarray(0, n).sort();
  const half = n >> 1;
  return n % 2 === 1 ? sorted[half]! : (sorted[half - 1]! + sorted[half]!) / 2;
}

/** Mean, then the squared deviations (NaN cells as 0) summed the same way, over the count. */
function nanVariance(values: Float64Array, from: number, to: number, summation: Summation): number {
  const n = countNumbers(values, from, to);
  if (n === 0) return Number.NaN;
  const sum = summation === "pairwise" ? pairwiseSum : sequentialSum;
  const mean = sum(values, from, to) / n;
  if (summation === "sequential") {
    let squares = 0;
    for (let i = from; i < to; i++) {
      const v = values[i]!;
      if (!Number.isNaN(v)) squares += (v - mean) * (v - mean);
    }
    return squares / n;
  }
  return pairwiseSquares(values, from, to, mean) / n;
}

/** Pairwise sum of (v − mean)², NaN cells as 0, without a temporary array. */
function pairwiseSquares(values: Float64Array, from: number, to: number, mean: number): number {
  const n = to - from;
  const sq = (v: number) => (Number.isNaN(v) ? 0 : (v - mean) * (v - mean));
  if (n < 8) {
    let s = 0;
    for (let i = from; i < to; i++) s += sq(values[i]!);
    return s;
  }
  if (n <= 128) {
    const r = [0, 0, 0, 0, 0, 0, 0, 0];
    for (let j = 0; j < 8; j++) r[j] = sq(values[from + j]!);
    const blocks = n - (n % 8);
    let i = 8;
    for (; i < blocks; i += 8) for (let j = 0; j < 8; j++) r[j]! += sq(values[from + i + j]!);
    let res = r[0]! + r[1]! + (r[2]! + r[3]!) + (r[4]! + r[5]! + (r[6]! + r[7]!));
    for (; i < n; i++) res += sq(values[from + i]!);
    return res;
  }
  let half = Math.floor(n / 2);
  half -= half % 8;
  return (
    pairwiseSquares(values, from, from + half, mean) +
    pairwiseSquares(values, from + half, to, mean)
  );
}

function makeReducers(summation: Summation): Record<CrossBaseMethod, NanReducer> {
  const sum = summation === "pairwise" ? pairwiseSum : sequentialSum;
  return {
    mean: (v, from, to) => {
      const n = countNumbers(v, from, to);
      return n === 0 ? Number.NaN : sum(v, from, to) / n;
    },
    sum: (v, from, to) => (countNumbers(v, from, to) === 0 ? Number.NaN : sum(v, from, to)),
    count: countNumbers,
    min: nanMin,
    max: nanMax,
    median: nanMedian,
    var: (v, from, to) => nanVariance(v, from, to, summation),
    std: (v, from, to) => Math.sqrt(nanVariance(v, from, to, summation)),
  };
}

const REDUCERS: Record<Summation, Record<CrossBaseMethod, NanReducer>> = {
  sequential: makeReducers("sequential"),
  pairwise: makeReducers("pairwise"),
};

export function nanReducer(base: CrossBaseMethod, summation: Summation): NanReducer {
  return REDUCERS[summation][base];
}
