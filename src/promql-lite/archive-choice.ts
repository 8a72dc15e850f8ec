/**
 * Which stored aggregate a PromQL selector reads (the approximation rules of
 * the README's "PromQL on pre-aggregated data"):
 *
 * - granularity: the coarsest one no coarser than what the query resolves
 *   (the step; the window of a range function, half of it for `rate` and
 *   the other functions of two samples) among those retained for the time
 *   range (95 % of it at least); the finest retained one when all are coarser (always, for
 *   an instant query of a plain selector, which wants the newest value, and
 *   of a bare range selector, which returns the samples themselves); the
 *   longest-lived one when none covers the range. A one-year panel at a 1 h step then
 *   reads the 1 h archive, a five-minute panel the finest.
 * - method: what the enclosing function would compute from the raw samples,
 *   so bucket-level aggregates compose (`max_over_time` → max of maxima,
 *   `sum_over_time` → sum of sums); counters, `rate` and plain selectors read
 *   `last`, the value a scrape at the bucket's end would have seen. When the
 *   policy lacks the method, the next best one it has.
 * - weights: `count_over_time` and `avg_over_time` also read each bucket's
 *   sample count (`count`), so the first adds counts up and the second
 *   weights bucket means by them. Where every bucket holds one sample (the
 *   archive does not downsample) the counts are all 1 and both give exactly
 *   Prometheus' result over the samples.
 */
import type { ArchivePolicy } from "../carbonara/archive-policy.js";
import type { Micros } from "../carbonara/time.js";
import type { SelectHints } from "./series-source.js";

export interface ArchiveChoice {
  readonly method: string;
  /**
   * The stored method giving each bucket's number of samples (`count`), for
   * the functions whose result depends on it (`count_over_time`,
   * `avg_over_time`), when the policy stores it; else undefined.
   */
  readonly weightMethod: string | undefined;
  /**
   * For `count` read as values: a stored method in which a bucket holding a
   * staleness marker is NaN (`mean`, else `sum`), so the marker's measure is
   * not counted as a sample, as Prometheus' range selectors skip markers.
   */
  readonly markerMethod: string | undefined;
  readonly granularity: Micros;
  /** The archive's retention (null: forever), for the reader's truncation. */
  readonly timespan: Micros | null;
  /**
   * Coarser than the finest archive of the policy: its points are buckets of
   * several samples, and the functions of two samples widen their windows to
   * two buckets (SeriesData.bucketWidth). Never on the finest archive, whose
   * results stay those of the stored samples.
   */
  readonly downsampled: boolean;
}

/** Functions whose result a bucket aggregate gives exactly (or, for avg, up to bucket weights). */
const METHOD_OF_FUNCTION: Readonly<Record<string, string>> = {
  max_over_time: "max",
  min_over_time: "min",
  avg_over_time: "mean",
  sum_over_time: "sum",
  count_over_time: "count",
};

/**
 * Functions that give no value for a window with fewer than two samples: over
 * an archive coarser than their window (e.g. `rate(x[5m])` on hourly
 * buckets) they give nothing at all, and the series need not be read.
 */
const NOTHING_BELOW_TWO_SAMPLES = new Set([
  "rate",
  "increase",
  "delta",
  "irate",
  "idelta",
  "deriv",
  "predict_linear",
  "holt_winters",
]);

/**
 * Functions that need two samples in a window to say something (`resets` and
 * `changes` answer 0 for one): read an archive with at least two buckets per window.
 */
const TWO_SAMPLE_FUNCTIONS = new Set([...NOTHING_BELOW_TWO_SAMPLES, "resets", "changes"]);

/**
 * Functions whose windows over a downsampled archive are widened to hold two
 * buckets (range-functions.ts windowStart); they always read. Not the
 * forecasting ones: two buckets are no basis for a trend.
 */
const WIDENED_FUNCTIONS = new Set(
  [...TWO_SAMPLE_FUNCTIONS].filter((f) => f !== "predict_linear" && f !== "holt_winters"),
);

/** Counter functions: without `last`, a bucket's maximum is its last value unless the counter reset. */
const COUNTER_FUNCTIONS = new Set(["rate", "increase", "irate", "resets"]);

/** Functions whose result depends on how many samples each bucket stands for. */
const WEIGHTED_FUNCTIONS = new Set(["count_over_time", "avg_over_time"]);

/**
 * Whether the selector's function can give no value from this archive: its
 * windows hold one bucket at most, and are not widened (the finest archive,
 * or `predict_linear` and `holt_winters`).
 */
export function windowsTooShort(hints: SelectHints, choice: ArchiveChoice): boolean {
  return (
    hints.range > 0 &&
    hints.range * 1000 < choice.granularity &&
    NOTHING_BELOW_TWO_SAMPLES.has(hints.func) &&
    !(choice.downsampled && WIDENED_FUNCTIONS.has(hints.func))
  );
}

/** The stored method to read, in order of preference, for the function a selector feeds. */
export function methodPreference(func: string): readonly string[] {
  const wanted = METHOD_OF_FUNCTION[func];
  if (wanted !== undefined) return [wanted, "last", "mean"];
  if (COUNTER_FUNCTIONS.has(func)) return ["last", "max", "mean"];
  return ["last", "mean", "max"];
}

export function chooseMethod(policy: ArchivePolicy, func: string): string | undefined {
  const stored = policy.aggregationMethods;
  for (const m of methodPreference(func)) if (stored.includes(m)) return m;
  // Only rate:/percentile methods: a plain one of those beats nothing.
  return stored.find((m) => !m.startsWith("rate:")) ?? stored[0];
}

/**
 * The archive for a selector with these hints (times in ms) at wall-clock
 * `nowMs`, or undefined when the policy stores nothing readable.
 */
export function chooseArchive(
  policy: ArchivePolicy,
  hints: SelectHints,
  nowMs: number,
): ArchiveChoice | undefined {
  const method = chooseMethod(policy, hints.func);
  if (method === undefined || policy.definition.length === 0) return undefined;
  const items = [...policy.definition].sort((a, b) => a.granularity - b.granularity);
  // What the query resolves, µs: the step, narrowed by a range function's window
  // (half of it for functions of two or more samples); an instant query of a
  // plain selector wants the newest value, so the finest archive.
  let limit = hints.step > 0 ? hints.step : Number.POSITIVE_INFINITY;
  if (hints.range > 0 && hints.func === "" && hints.step === 0)
    limit = 0; // `x[5m]` itself: the raw samples
  else if (hints.range > 0)
    limit = Math.min(limit, TWO_SAMPLE_FUNCTIONS.has(hints.func) ? hints.range / 2 : hints.range);
  else if (hints.step === 0) limit = 0;
  limit *= 1000;
  // "Retained for the range": keeps at least 95 % of it, so a one-day archive still
  // serves a "last 24 hours" panel whose first window reaches a few minutes further back.
  const oldest = (hints.start + (hints.end - hints.start) / 20) * 1000;
  const now = nowMs * 1000;
  const retained = items.filter((i) => i.timespan === null || now - i.timespan <= oldest);
  let pick = retained.length === 0 ? undefined : retained[0];
  for (const i of retained) if (i.granularity <= limit) pick = i;
  if (pick === undefined) {
    // Nothing covers the whole range: the archive that reaches furthest back.
    pick = items.reduce((best, i) =>
      i.timespan === null || (best.timespan !== null && i.timespan > best.timespan) ? i : best,
    );
  }
  const weightMethod =
    WEIGHTED_FUNCTIONS.has(hints.func) &&
    method === METHOD_OF_FUNCTION[hints.func] &&
    policy.aggregationMethods.includes("count")
      ? "count"
      : undefined;
  const markerMethod =
    method === "count"
      ? ["mean", "sum"].find((m) => policy.aggregationMethods.includes(m))
      : undefined;
  return {
    method,
    weightMethod,
    markerMethod,
    granularity: pick.granularity,
    timespan: pick.timespan,
    downsampled: pick.granularity > items[0]!.granularity,
  };
}
