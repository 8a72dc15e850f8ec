/**
 * The evaluator's values. Every expression is evaluated over all steps of
 * the query at once (an instant query is a range query of one step), so an
 * instant vector is a list of series, each holding one value per step in a
 * Float64Array and a presence byte per step; a scalar is one Float64Array.
 * No per-sample objects.
 */
import { ExecutionError } from "./errors.js";
import { type Labels, labelsKey } from "./labels.js";

export interface StepSeries {
  labels: Labels;
  readonly values: Float64Array;
  /** 1 where the series has a value at that step. */
  readonly present: Uint8Array;
}

/** Raw samples of one series (a range vector's content, or a subquery's points). */
export interface RawSeries {
  readonly labels: Labels;
  readonly timestamps: Float64Array;
  readonly values: Float64Array;
  /** Raw samples behind each point, for bucket aggregates (see SeriesData.weights); absent: one each. */
  readonly weights?: Float64Array;
  /** Bucket width of a downsampled archive, ms (see SeriesData.bucketWidth). */
  readonly bucketWidth?: number;
}

export type EvalValue =
  | { readonly kind: "scalar"; readonly values: Float64Array }
  | { readonly kind: "vector"; readonly series: StepSeries[] }
  | { readonly kind: "string"; readonly value: string }
  | { readonly kind: "matrix"; readonly series: RawSeries[] };

export function newSeries(labels: Labels, steps: number): StepSeries {
  return { labels, values: new Float64Array(steps), present: new Uint8Array(steps) };
}

/**
 * Hands out series whose arrays are views into a few large buffers: one
 * allocation for hundreds of series instead of two each (typed-array
 * allocations and their GC dominate otherwise).
 */
export class SeriesAllocator {
  #values = new Float64Array(0);
  #present = new Uint8Array(0);
  #next = 0;
  #capacity = 0;

  constructor(
    readonly steps: number,
    readonly expected: number,
  ) {}

  take(labels: Labels): StepSeries {
    if (this.#next === this.#capacity) {
      this.#capacity = Math.max(
        1,
        Math.min(this.expected, Math.ceil(1_048_576 / Math.max(1, this.steps))),
      );
      this.#values = new Float64Array(this.#capacity * this.steps);
      this.#present = new Uint8Array(this.#capacity * this.steps);
      this.#next = 0;
    }
    const from = this.#next * this.steps;
    this.#next++;
    return {
      labels,
      values: this.#values.subarray(from, from + this.steps),
      present: this.#present.subarray(from, from + this.steps),
    };
  }

  /** Gives back the series taken last, which must not have been written to, so its space is reused. */
  giveBack(): void {
    this.#next--;
  }
}

/**
 * Merges series that ended up with the same labels (after `__name__` was
 * dropped, say): as Prometheus' range evaluation does, they become one series
 * if they never have a value at the same step, and the query fails with
 * "vector cannot contain metrics with the same labelset" if they do.
 */
export function mergeSameLabels(
  series: StepSeries[],
  message = "vector cannot contain metrics with the same labelset",
): StepSeries[] {
  if (series.length < 2) return series;
  const byKey = new Map<string, StepSeries>();
  let merged = false;
  const out: StepSeries[] = [];
  for (const s of series) {
    const key = labelsKey(s.labels);
    const first = byKey.get(key);
    if (first === undefined) {
      byKey.set(key, s);
      out.push(s);
      continue;
    }
    merged = true;
    const fp = first.present;
    const fv = first.values;
    const sp = s.present;
    const sv = s.values;
    for (let i = 0; i < sp.length; i++) {
      if (sp[i] === 0) continue;
      if (fp[i] !== 0) throw new ExecutionError(message);
      fp[i] = 1;
      fv[i] = sv[i]!;
    }
  }
  return merged ? out : series;
}
