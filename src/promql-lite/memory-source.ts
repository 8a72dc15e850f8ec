/**
 * An in-memory SeriesSource: series keyed by label set, samples in growable
 * typed arrays. Used by the tests (Prometheus' PromQL corpus), the benchmark
 * and anywhere a query runs over data already in memory.
 */
import { lowerBound } from "../carbonara/aggregate.js";
import { type LabelMatcher, type Labels, matcherPredicate } from "../indexer/label-index.js";
import { labelsKey } from "./labels.js";
import type { SelectHints, SeriesData, SeriesSource } from "./series-source.js";

class MemorySeries {
  timestamps = new Float64Array(16);
  values = new Float64Array(16);
  length = 0;
  constructor(readonly labels: Labels) {}

  append(t: number, v: number): void {
    if (this.length > 0 && t <= this.timestamps[this.length - 1]!) {
      this.#insert(t, v);
      return;
    }
    if (this.length === this.timestamps.length) this.#grow();
    this.timestamps[this.length] = t;
    this.values[this.length] = v;
    this.length++;
  }

  /** Out-of-order or duplicate time: the later write wins, as a later `load` line does. */
  #insert(t: number, v: number): void {
    const i = lowerBound(this.timestamps, t, 0, this.length);
    if (i < this.length && this.timestamps[i] === t) {
      this.values[i] = v;
      return;
    }
    if (this.length === this.timestamps.length) this.#grow();
    this.timestamps.copyWithin(i + 1, i, this.length);
    this.values.copyWithin(i + 1, i, this.length);
    this.timestamps[i] = t;
    this.values[i] = v;
    this.length++;
  }

  #grow(): void {
    const ts = new Float64Array(this.timestamps.length * 2);
    ts.set(this.timestamps);
    const vs = new Float64Array(this.values.length * 2);
    vs.set(this.values);
    this.timestamps = ts;
    this.values = vs;
  }
}

export class MemorySeriesSource implements SeriesSource {
  readonly #series = new Map<string, MemorySeries>();

  /** Appends one sample (ms, value); the value's bits are kept (staleness markers survive). */
  append(labels: Labels, t: number, v: number): void {
    this.#get(labels).append(t, v);
  }

  /** Appends many samples of one series, copying the typed arrays' bits. */
  appendMany(labels: Labels, timestamps: ArrayLike<number>, values: Float64Array): void {
    const s = this.#get(labels);
    for (let i = 0; i < timestamps.length; i++) s.append(timestamps[i]!, values[i]!);
  }

  clear(): void {
    this.#series.clear();
  }

  get size(): number {
    return this.#series.size;
  }

  select(
    matchers: readonly LabelMatcher[],
    mint: number,
    maxt: number,
    _hints?: SelectHints,
  ): SeriesData[] {
    const preds = matchers.map((m) => ({ name: m.name, p: matcherPredicate(m) }));
    const out: SeriesData[] = [];
    for (const s of this.#series.values()) {
      if (!preds.every(({ name, p }) => p.test(s.labels[name] ?? ""))) continue;
      const lo = lowerBound(s.timestamps, mint, 0, s.length);
      let hi = lowerBound(s.timestamps, maxt, lo, s.length);
      if (hi < s.length && s.timestamps[hi] === maxt) hi++; // the window includes maxt
      if (hi <= lo) continue;
      out.push({
        labels: s.labels,
        timestamps: s.timestamps.subarray(lo, hi),
        values: s.values.subarray(lo, hi),
      });
    }
    return out;
  }

  #get(labels: Labels): MemorySeries {
    const key = labelsKey(labels);
    let s = this.#series.get(key);
    if (s === undefined) {
      s = new MemorySeries({ ...labels });
      this.#series.set(key, s);
    }
    return s;
  }
}
