import { lowerBound } from "./aggregate.js";
import { floorTime, type Micros } from "./time.js";
import { EMPTY_SERIE, type TimeSerie } from "./timeserie.js";

/**
 * Whole-series operations shared by the write path (merging into the raw
 * buffer and into stored splits, retention) and the read path (concatenating
 * splits, truncation, slicing), spec carbonara §4 and §7.
 */

/** Union of two ascending series; where both hold a timestamp, `fresh` wins. */
export function mergeSeries(old: TimeSerie, fresh: TimeSerie): TimeSerie {
  const a = old.timestamps;
  const b = fresh.timestamps;
  if (a.length === 0) return fresh;
  if (b.length === 0) return old;
  // Steady ingest appends after the old data: no interleaving to do.
  if (a[a.length - 1]! < b[0]!) return concatSeries([old, fresh]);
  const timestamps = new Float64Array(a.length + b.length);
  const values = new Float64Array(a.length + b.length);
  const av = old.values;
  const bv = fresh.values;
  let i = 0;
  let j = 0;
  let n = 0;
  while (i < a.length && j < b.length) {
    const ta = a[i]!;
    const tb = b[j]!;
    if (ta < tb) {
      timestamps[n] = ta;
      values[n++] = av[i++]!;
    } else {
      if (ta === tb) i++;
      timestamps[n] = tb;
      values[n++] = bv[j++]!;
    }
  }
  for (; i < a.length; i++, n++) {
    timestamps[n] = a[i]!;
    values[n] = av[i]!;
  }
  for (; j < b.length; j++, n++) {
    timestamps[n] = b[j]!;
    values[n] = bv[j]!;
  }
  return { timestamps: timestamps.subarray(0, n), values: values.subarray(0, n) };
}

/** Concatenation of series already in ascending, non-overlapping order. */
export function concatSeries(series: readonly TimeSerie[]): TimeSerie {
  const nonEmpty = series.filter((s) => s.timestamps.length > 0);
  if (nonEmpty.length === 0) return EMPTY_SERIE;
  if (nonEmpty.length === 1) return nonEmpty[0]!;
  let length = 0;
  for (const s of nonEmpty) length += s.timestamps.length;
  const timestamps = new Float64Array(length);
  const values = new Float64Array(length);
  let offset = 0;
  for (const s of nonEmpty) {
    timestamps.set(s.timestamps, offset);
    values.set(s.values, offset);
    offset += s.timestamps.length;
  }
  return { timestamps, values };
}

/** The points at or after `from` and strictly before `to`, as views (no copy). */
export function sliceSerie(serie: TimeSerie, from: number, to: number): TimeSerie {
  const { timestamps, values } = serie;
  const start = lowerBound(timestamps, from);
  const end = lowerBound(timestamps, to, start);
  if (start === 0 && end === timestamps.length) return serie;
  return { timestamps: timestamps.subarray(start, end), values: values.subarray(start, end) };
}

/**
 * Read-side slice of an aggregate (spec §7 step 6): `from` rounds down to the
 * bucket of `granularity`, `to` is exclusive on bucket start.
 */
export function sliceAggregated(
  serie: TimeSerie,
  granularity: Micros,
  from: Micros | undefined,
  to: Micros | undefined,
): TimeSerie {
  const lo = from === undefined ? Number.NEGATIVE_INFINITY : floorTime(from, granularity);
  const hi = to === undefined ? Number.POSITIVE_INFINITY : to;
  return sliceSerie(serie, lo, hi);
}

/**
 * Retention (spec §4.4, §7 step 4): keeps the points strictly newer than the
 * newest point minus `timespan`, so exactly `points` buckets survive. A null
 * timespan keeps everything.
 */
export function truncateToTimespan(serie: TimeSerie, timespan: Micros | null): TimeSerie {
  const n = serie.timestamps.length;
  if (timespan === null || n === 0) return serie;
  return sliceSerie(serie, serie.timestamps[n - 1]! - timespan + 1, Number.POSITIVE_INFINITY);
}
