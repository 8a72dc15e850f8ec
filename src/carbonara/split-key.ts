import { lowerBound } from "./aggregate.js";
import { floorTime, type Micros } from "./time.js";
import type { TimeSerie } from "./timeserie.js";

/**
 * Split keys (spec carbonara §6.1): an aggregate of granularity g is stored
 * in splits of at most 3600 points, each covering [key, key + 3600·g) with
 * the key aligned on multiples of 3600·g since the epoch.
 */
export const POINTS_PER_SPLIT = 3600;

export function splitSpan(granularity: Micros): Micros {
  return granularity * POINTS_PER_SPLIT;
}

export function splitKey(t: Micros, granularity: Micros): Micros {
  return floorTime(t, splitSpan(granularity));
}

export function nextSplitKey(key: Micros, granularity: Micros): Micros {
  return key + splitSpan(granularity);
}

/** One split's share of a series; the arrays are views into the cut series. */
export interface SerieSplit {
  readonly key: Micros;
  readonly serie: TimeSerie;
}

/** Cuts an ascending series into its splits, in key order, without copying. */
export function splitSerie(serie: TimeSerie, granularity: Micros): SerieSplit[] {
  const { timestamps, values } = serie;
  const splits: SerieSplit[] = [];
  const span = splitSpan(granularity);
  const n = timestamps.length;
  if (n === 0) return splits;
  // A cycle's fresh aggregates mostly fall in one split: no views to make then.
  const firstKey = floorTime(timestamps[0]!, span);
  if (timestamps[n - 1]! < firstKey + span) {
    splits.push({ key: firstKey, serie });
    return splits;
  }
  let from = 0;
  while (from < timestamps.length) {
    const key = floorTime(timestamps[from]!, span);
    const end = key + span;
    // Binary search: a cycle's fresh aggregates are mostly one long split.
    const to = lowerBound(timestamps, end, from + 1);
    splits.push({
      key,
      serie: { timestamps: timestamps.subarray(from, to), values: values.subarray(from, to) },
    });
    from = to;
  }
  return splits;
}

/**
 * The oldest split key retention still needs (spec §4.4): splits whose key is
 * strictly older than the split holding `newest − timespan` can be deleted.
 * Null timespan keeps every split.
 */
export function oldestRetainedSplitKey(
  newest: Micros,
  timespan: Micros | null,
  granularity: Micros,
): Micros {
  if (timespan === null) return Number.NEGATIVE_INFINITY;
  return splitKey(newest - timespan, granularity);
}
