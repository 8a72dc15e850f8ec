/**
 * Aggregation operators (Prometheus' engine.go `aggregation`, 2.42) over all
 * steps at once. Groups are computed once per series (labels do not change
 * between steps); accumulators are typed arrays indexed by group × step.
 */
import { ExecutionError } from "./errors.js";
import { groupingLabels, isValidLabelName, type Labels, labelsKey } from "./labels.js";
import type { AggregateOp } from "./parser/ast.js";
import { quantile } from "./quantile.js";
import { newSeries, SeriesAllocator, type StepSeries } from "./value.js";

export interface AggregateInput {
  readonly op: AggregateOp;
  readonly series: StepSeries[];
  readonly steps: number;
  readonly grouping: readonly string[];
  readonly without: boolean;
  /** topk/bottomk/quantile parameter per step. */
  readonly scalarParam: Float64Array | null;
  /** count_values' label name. */
  readonly stringParam: string | null;
}

interface Groups {
  /** Group index of each input series. */
  readonly of: Int32Array;
  readonly labels: Labels[];
  /** Input series indices per group, in input order. */
  readonly members: number[][];
}

function groupSeries(
  series: readonly StepSeries[],
  grouping: readonly string[],
  without: boolean,
): Groups {
  const index = new Map<string, number>();
  const of = new Int32Array(series.length);
  const labels: Labels[] = [];
  const members: number[][] = [];
  series.forEach((s, i) => {
    const g = groupingLabels(s.labels, grouping, without);
    const key = labelsKey(g);
    let gi = index.get(key);
    if (gi === undefined) {
      gi = labels.length;
      index.set(key, gi);
      labels.push(g);
      members.push([]);
    }
    of[i] = gi;
    members[gi]!.push(i);
  });
  return { of, labels, members };
}

const isInf = (v: number) => v === Number.POSITIVE_INFINITY || v === Number.NEGATIVE_INFINITY;

export function aggregate(input: AggregateInput): StepSeries[] {
  switch (input.op) {
    case "topk":
    case "bottomk":
      return topBottomK(input);
    case "quantile":
      return quantileAggregate(input);
    case "count_values":
      return countValues(input);
    default:
      return simpleAggregate(input);
  }
}

/**
 * Folds one series into its group's accumulators. `count[i]` is the number
 * of series seen at step i so far (0 = first one: initialise). Separate loops
 * per operator keep the per-sample work branch-free of the operator.
 */
type Fold = (
  sp: Uint8Array,
  sv: Float64Array,
  value: Float64Array,
  mean: Float64Array,
  count: Float64Array,
) => void;

const FOLDS: Readonly<Record<string, Fold>> = {
  // Sums start at -0 (GroupFolder.add), the one value x + -0 leaves as x for every x,
  // -0 and NaN included; `count` only marks the steps that got a value.
  sum: (sp, sv, value, _mean, count) => {
    for (let i = 0; i < sp.length; i++) {
      if (sp[i] === 0) continue;
      value[i] = value[i]! + sv[i]!;
      count[i] = 1;
    }
  },
  count: (sp, _sv, _value, _mean, count) => {
    for (let i = 0; i < sp.length; i++) count[i] = count[i]! + sp[i]!;
  },
  group: (sp, _sv, value, _mean, count) => {
    for (let i = 0; i < sp.length; i++) {
      if (sp[i] === 0) continue;
      value[i] = 1;
      count[i]!++;
    }
  },
  max: (sp, sv, value, _mean, count) => {
    for (let i = 0; i < sp.length; i++) {
      if (sp[i] === 0) continue;
      const v = sv[i]!;
      if (count[i] === 0 || value[i]! < v || Number.isNaN(value[i]!)) value[i] = v;
      count[i]!++;
    }
  },
  min: (sp, sv, value, _mean, count) => {
    for (let i = 0; i < sp.length; i++) {
      if (sp[i] === 0) continue;
      const v = sv[i]!;
      if (count[i] === 0 || value[i]! > v || Number.isNaN(value[i]!)) value[i] = v;
      count[i]!++;
    }
  },
  avg: (sp, sv, _value, mean, count) => {
    for (let i = 0; i < sp.length; i++) {
      if (sp[i] === 0) continue;
      const v = sv[i]!;
      const c = ++count[i]!;
      if (c === 1) {
        mean[i] = v;
        continue;
      }
      const m = mean[i]!;
      // An infinite mean stays as it is unless a NaN or the opposite infinity comes.
      if (isInf(m)) {
        if (isInf(v) && m > 0 === v > 0) continue;
        if (!isInf(v) && !Number.isNaN(v)) continue;
      }
      mean[i] = m + (v / c - m / c);
    }
  },
  stdvar: (sp, sv, value, mean, count) => {
    for (let i = 0; i < sp.length; i++) {
      if (sp[i] === 0) continue;
      const v = sv[i]!;
      const c = ++count[i]!;
      if (c === 1) {
        value[i] = 0;
        mean[i] = v;
        continue;
      }
      const delta = v - mean[i]!;
      mean[i] = mean[i]! + delta / c;
      value[i] = value[i]! + delta * (v - mean[i]!);
    }
  },
};

/** The aggregations that fold series one at a time (no per-step selection). */
export const FOLDING_AGGREGATIONS: ReadonlySet<AggregateOp> = new Set([
  "sum",
  "avg",
  "count",
  "min",
  "max",
  "group",
  "stddev",
  "stdvar",
]);

interface GroupState {
  readonly series: StepSeries;
  readonly mean: Float64Array;
  readonly count: Float64Array;
}

/**
 * Folds series into their groups one at a time, in input order (so sums add
 * up in the order Prometheus adds them): sum avg count min max group stddev
 * stdvar. The engine also streams range-function results straight into it
 * (`sum(rate(x[5m]))` never materialises the rate of every series).
 */
export class GroupFolder {
  readonly #fold: Fold;
  readonly #groups = new Map<string, GroupState>();
  readonly #alloc: SeriesAllocator;

  constructor(
    readonly op: AggregateOp,
    readonly steps: number,
    readonly grouping: readonly string[],
    readonly without: boolean,
    expectedGroups: number,
  ) {
    this.#fold = FOLDS[op === "stddev" ? "stdvar" : op]!;
    this.#alloc = new SeriesAllocator(steps, expectedGroups);
  }

  add(labels: Labels, present: Uint8Array, values: Float64Array): void {
    const g = groupingLabels(labels, this.grouping, this.without);
    const key = labelsKey(g);
    let state = this.#groups.get(key);
    if (state === undefined) {
      state = {
        series: this.#alloc.take(g),
        mean: new Float64Array(this.steps),
        count: new Float64Array(this.steps),
      };
      if (this.op === "sum") state.series.values.fill(-0);
      this.#groups.set(key, state);
    }
    this.#fold(present, values, state.series.values, state.mean, state.count);
  }

  result(): StepSeries[] {
    const out: StepSeries[] = [];
    const op = this.op;
    for (const { series: o, mean, count } of this.#groups.values()) {
      const value = o.values;
      let any = false;
      for (let i = 0; i < this.steps; i++) {
        const c = count[i]!;
        if (c === 0) continue;
        any = true;
        o.present[i] = 1;
        switch (op) {
          case "count":
            value[i] = c;
            break;
          case "avg":
            value[i] = mean[i]!;
            break;
          case "stdvar":
            value[i] = value[i]! / c;
            break;
          case "stddev":
            value[i] = Math.sqrt(value[i]! / c);
            break;
        }
      }
      if (any) out.push(o);
    }
    return out;
  }
}

function simpleAggregate({ op, series, steps, grouping, without }: AggregateInput): StepSeries[] {
  const folder = new GroupFolder(op, steps, grouping, without, Math.min(series.length, 64));
  for (const s of series) folder.add(s.labels, s.present, s.values);
  return folder.result();
}

/** k of topk/bottomk at one step, as Prometheus converts it. */
function kAt(param: Float64Array, i: number): number {
  const f = param[i]!;
  if (!(f >= -9.223372036854776e18 && f <= 9.223372036854776e18))
    throw new ExecutionError(`Scalar value ${formatGo(f)} overflows int64`);
  return Math.trunc(f);
}

function formatGo(f: number): string {
  if (Number.isNaN(f)) return "NaN";
  if (f === Number.POSITIVE_INFINITY) return "+Inf";
  if (f === Number.NEGATIVE_INFINITY) return "-Inf";
  return String(f);
}

/** topk keeps the k largest (NaN counts as smallest), bottomk the k smallest (NaN as largest); ties keep the earlier series. */
function topBottomK({
  op,
  series,
  steps,
  grouping,
  without,
  scalarParam,
}: AggregateInput): StepSeries[] {
  const groups = groupSeries(series, grouping, without);
  const top = op === "topk";
  const outOf = new Map<number, StepSeries>();
  const ordered: StepSeries[] = [];
  // "a ranks before b" for the output order: topk descending, bottomk ascending, NaN last.
  const before = (a: number, b: number): boolean => {
    if (Number.isNaN(a)) return false;
    if (Number.isNaN(b)) return true;
    return top ? a > b : a < b;
  };
  const chosen: number[] = [];
  for (let i = 0; i < steps; i++) {
    const k = kAt(scalarParam!, i);
    if (k < 1) continue;
    for (const members of groups.members) {
      chosen.length = 0;
      for (const si of members) {
        const s = series[si]!;
        if (s.present[i] === 0) continue;
        const v = s.values[i]!;
        // Insert into the sorted list of the best k so far (stable: equal values keep input order).
        let pos = chosen.length;
        while (pos > 0 && before(v, series[chosen[pos - 1]!]!.values[i]!)) pos--;
        if (pos >= k) continue;
        chosen.splice(pos, 0, si);
        if (chosen.length > k) chosen.pop();
      }
      for (const si of chosen) {
        let o = outOf.get(si);
        if (o === undefined) {
          o = newSeries(series[si]!.labels, steps);
          outOf.set(si, o);
          ordered.push(o);
        }
        o.present[i] = 1;
        o.values[i] = series[si]!.values[i]!;
      }
    }
  }
  return ordered;
}

function quantileAggregate({
  series,
  steps,
  grouping,
  without,
  scalarParam,
}: AggregateInput): StepSeries[] {
  const groups = groupSeries(series, grouping, without);
  const out: StepSeries[] = [];
  const scratch = new Float64Array(Math.max(1, ...groups.members.map((m) => m.length)));
  groups.members.forEach((members, g) => {
    const o = newSeries(groups.labels[g]!, steps);
    for (let i = 0; i < steps; i++) {
      let n = 0;
      for (const si of members) {
        const s = series[si]!;
        if (s.present[i] === 1) scratch[n++] = s.values[i]!;
      }
      if (n === 0) continue;
      o.present[i] = 1;
      o.values[i] = quantile(scalarParam![i]!, scratch, n);
    }
    if (o.present.includes(1)) out.push(o);
  });
  return out;
}

/** Go's strconv.FormatFloat(v, 'f', -1, 64): shortest round-trip digits, never an exponent. */
export function formatFloatPlain(v: number): string {
  if (Number.isNaN(v)) return "NaN";
  if (v === Number.POSITIVE_INFINITY) return "+Inf";
  if (v === Number.NEGATIVE_INFINITY) return "-Inf";
  const s = String(v);
  const m = /^(-?)(\d)(?:\.(\d+))?e([+-]\d+)$/.exec(s);
  if (m === null) return Object.is(v, -0) ? "-0" : s;
  const [, sign, head, tail = "", expText] = m;
  const exp = Number(expText);
  const digits = head! + tail;
  if (exp >= 0) {
    const intLen = 1 + exp;
    return (
      sign +
      (digits.length <= intLen
        ? digits + "0".repeat(intLen - digits.length)
        : `${digits.slice(0, intLen)}.${digits.slice(intLen)}`)
    );
  }
  return `${sign}0.${"0".repeat(-exp - 1)}${digits}`;
}

function countValues({
  series,
  steps,
  grouping,
  without,
  stringParam,
}: AggregateInput): StepSeries[] {
  const label = stringParam!;
  if (!isValidLabelName(label))
    throw new ExecutionError(`invalid label name ${JSON.stringify(label)}`);
  const by = without ? grouping : [...grouping, label];
  const outByKey = new Map<string, StepSeries>();
  const out: StepSeries[] = [];
  for (let i = 0; i < steps; i++) {
    for (const s of series) {
      if (s.present[i] === 0) continue;
      const withValue: Record<string, string> = {
        ...s.labels,
        [label]: formatFloatPlain(s.values[i]!),
      };
      const g = groupingLabels(withValue, by, without);
      const key = labelsKey(g);
      let o = outByKey.get(key);
      if (o === undefined) {
        o = newSeries(g, steps);
        outByKey.set(key, o);
        out.push(o);
      }
      if (o.present[i] === 0) {
        o.present[i] = 1;
        o.values[i] = 0;
      }
      o.values[i] = o.values[i]! + 1;
    }
  }
  return out;
}
