/**
 * Functions over instant vectors and scalars (Prometheus' promql/functions.go,
 * 2.42), evaluated for all steps at once: element-wise math, clamping and
 * rounding, calendar functions, label_replace / label_join, sort,
 * scalar / vector / time, absent and histogram_quantile. The engine handles
 * the range-vector functions (range-functions.ts) and timestamp().
 */
import type { LabelMatcher } from "../indexer/label-index.js";
import { ExecutionError } from "./errors.js";
import { dropMetricName, isValidLabelName, type Labels, labelsKey, METRIC_NAME } from "./labels.js";
import type { Call } from "./parser/ast.js";
import { unwrapParens } from "./parser/ast.js";
import { bucketQuantile } from "./quantile.js";
import { compileAnchoredRE2, expandTemplate } from "./regex.js";
import { type EvalValue, mergeSameLabels, newSeries, type StepSeries } from "./value.js";

export interface FunctionContext {
  /** Number of steps and their times (ms). */
  readonly steps: number;
  readonly times: Float64Array;
}

export type InstantFunction = (args: EvalValue[], call: Call, ctx: FunctionContext) => EvalValue;

const DEG = 180 / Math.PI;

/** Element-wise functions: the value changes meaning, so `__name__` goes. */
const ELEMENTWISE: ReadonlyMap<string, (v: number) => number> = new Map([
  ["abs", Math.abs],
  ["ceil", Math.ceil],
  ["floor", Math.floor],
  ["exp", Math.exp],
  ["sqrt", Math.sqrt],
  ["ln", Math.log],
  ["log2", Math.log2],
  ["log10", Math.log10],
  ["sin", Math.sin],
  ["cos", Math.cos],
  ["tan", Math.tan],
  ["asin", Math.asin],
  ["acos", Math.acos],
  ["atan", Math.atan],
  ["sinh", Math.sinh],
  ["cosh", Math.cosh],
  ["tanh", Math.tanh],
  ["asinh", Math.asinh],
  ["acosh", Math.acosh],
  ["atanh", Math.atanh],
  ["deg", (v: number) => v * DEG],
  ["rad", (v: number) => v / DEG],
  ["sgn", (v: number) => (v < 0 ? -1 : v > 0 ? 1 : v)],
]);

function vectorOf(v: EvalValue): StepSeries[] {
  if (v.kind !== "vector") throw new Error(`expected an instant vector, got ${v.kind}`);
  return v.series;
}
function scalarOf(v: EvalValue): Float64Array {
  if (v.kind !== "scalar") throw new Error(`expected a scalar, got ${v.kind}`);
  return v.values;
}
function stringOf(v: EvalValue): string {
  if (v.kind !== "string") throw new Error(`expected a string, got ${v.kind}`);
  return v.value;
}

/** Applies `f(value, step)` to every present point; drops `__name__`; output series absent where f returns NaN-as-skip is not used. */
function mapVector(
  input: StepSeries[],
  steps: number,
  f: (v: number, step: number) => number,
  keep: (step: number) => boolean = () => true,
): EvalValue {
  const out: StepSeries[] = [];
  for (const s of input) {
    const o = newSeries(dropMetricName(s.labels), steps);
    let any = false;
    for (let i = 0; i < steps; i++) {
      if (s.present[i] === 0 || !keep(i)) continue;
      o.present[i] = 1;
      o.values[i] = f(s.values[i]!, i);
      any = true;
    }
    if (any) out.push(o);
  }
  return { kind: "vector", series: mergeSameLabels(out) };
}

/** Calendar functions: the argument (or the step time) as Unix seconds, read in UTC. */
function dateFunction(get: (d: Date) => number): InstantFunction {
  return (args, _call, ctx) => {
    if (args.length === 0) {
      const s = newSeries({}, ctx.steps);
      for (let i = 0; i < ctx.steps; i++) {
        s.present[i] = 1;
        s.values[i] = get(new Date(Math.trunc(ctx.times[i]! / 1000) * 1000));
      }
      return { kind: "vector", series: [s] };
    }
    return mapVector(vectorOf(args[0]!), ctx.steps, (v) => {
      if (!Number.isFinite(v)) return Number.NaN;
      return get(new Date(Math.trunc(v) * 1000));
    });
  };
}

function daysInMonth(d: Date): number {
  return new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 0)).getUTCDate();
}

function dayOfYear(d: Date): number {
  const midnight = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate());
  return (midnight - Date.UTC(d.getUTCFullYear(), 0, 1)) / 86_400_000 + 1;
}

function labelReplace(args: EvalValue[], _call: Call, ctx: FunctionContext): EvalValue {
  const input = vectorOf(args[0]!);
  const dst = stringOf(args[1]!);
  const replacement = stringOf(args[2]!);
  const src = stringOf(args[3]!);
  const regexText = stringOf(args[4]!);
  let re: RegExp;
  try {
    re = compileAnchoredRE2(regexText);
  } catch (error) {
    throw new ExecutionError(
      `invalid regular expression in label_replace(): ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  if (!isValidLabelName(dst))
    throw new ExecutionError(`invalid destination label name in label_replace(): ${dst}`);
  const out = input.map((s) => {
    const m = re.exec(s.labels[src] ?? "");
    if (m === null) return s;
    const value = expandTemplate(replacement, m);
    return { ...s, labels: setLabel(s.labels, dst, value) };
  });
  void ctx;
  return { kind: "vector", series: mergeSameLabels(out.map(copySeries)) };
}

function labelJoin(args: EvalValue[]): EvalValue {
  const input = vectorOf(args[0]!);
  const dst = stringOf(args[1]!);
  const sep = stringOf(args[2]!);
  const srcs = args.slice(3).map(stringOf);
  for (const s of srcs) {
    if (!isValidLabelName(s))
      throw new ExecutionError(`invalid source label name in label_join(): ${s}`);
  }
  if (!isValidLabelName(dst))
    throw new ExecutionError(`invalid destination label name in label_join(): ${dst}`);
  const out = input.map((s) => {
    const value = srcs.map((n) => s.labels[n] ?? "").join(sep);
    return copySeries({ ...s, labels: setLabel(s.labels, dst, value) });
  });
  return { kind: "vector", series: mergeSameLabels(out) };
}

/** Series objects are shared between nodes; copy before merging mutates presence. */
function copySeries(s: StepSeries): StepSeries {
  return { labels: s.labels, values: s.values.slice(), present: s.present.slice() };
}

/** Sets a label; an empty value removes it (Prometheus' labels.Builder.Set). */
function setLabel(labels: Labels, name: string, value: string): Labels {
  const out: Record<string, string> = { ...labels };
  if (value === "") delete out[name];
  else out[name] = value;
  return out;
}

/** NaN goes last in both orders, as in Prometheus. */
function sortVector(
  args: EvalValue[],
  _call: Call,
  ctx: FunctionContext,
  descending: boolean,
): EvalValue {
  const input = vectorOf(args[0]!);
  // Order only shows in an instant query (one step); range results are sorted by labels.
  if (ctx.steps !== 1) return { kind: "vector", series: input };
  const sorted = [...input].sort((a, b) => {
    const x = a.values[0]!;
    const y = b.values[0]!;
    if (Number.isNaN(x)) return Number.isNaN(y) ? 0 : 1;
    if (Number.isNaN(y)) return -1;
    return descending ? y - x : x - y;
  });
  return { kind: "vector", series: sorted };
}

/**
 * The labels absent() gives (Prometheus' createLabelsForAbsentFunction): the
 * labels of equality matchers, except `__name__` and any name that another
 * matcher also constrains.
 */
export function absentLabels(matchers: readonly LabelMatcher[]): Labels {
  const out: Record<string, string> = {};
  const drop = new Set<string>();
  for (const m of matchers) {
    if (m.name === METRIC_NAME) continue;
    if (m.op === "=" && !(m.name in out)) out[m.name] = m.value;
    else drop.add(m.name);
  }
  for (const d of drop) delete out[d];
  return out;
}

function absent(args: EvalValue[], call: Call, ctx: FunctionContext): EvalValue {
  const input = vectorOf(args[0]!);
  const arg = unwrapParens(call.args[0]!);
  const labels = arg.type === "VectorSelector" ? absentLabels(arg.matchers) : {};
  const s = newSeries(labels, ctx.steps);
  for (let i = 0; i < ctx.steps; i++) {
    if (!input.some((x) => x.present[i] === 1)) {
      s.present[i] = 1;
      s.values[i] = 1;
    }
  }
  return { kind: "vector", series: s.present.includes(1) ? [s] : [] };
}

function histogramQuantile(args: EvalValue[], _call: Call, ctx: FunctionContext): EvalValue {
  const q = scalarOf(args[0]!);
  const input = vectorOf(args[1]!);
  // Group the buckets by their labels without `le` (the name stays in the key, not in the output).
  const groups = new Map<string, { labels: Labels; members: number[]; bounds: number[] }>();
  input.forEach((s, idx) => {
    const le = s.labels.le;
    if (le === undefined) return;
    const bound = parseGoFloat(le);
    if (bound === undefined) return;
    const rest: Record<string, string> = {};
    for (const n in s.labels) if (n !== "le") rest[n] = s.labels[n]!;
    const key = labelsKey(rest);
    let g = groups.get(key);
    if (g === undefined) {
      g = { labels: dropMetricName(rest), members: [], bounds: [] };
      groups.set(key, g);
    }
    g.members.push(idx);
    g.bounds.push(bound);
  });
  const out: StepSeries[] = [];
  let bounds = new Float64Array(16);
  let counts = new Float64Array(16);
  for (const g of groups.values()) {
    if (bounds.length < g.members.length) {
      bounds = new Float64Array(g.members.length);
      counts = new Float64Array(g.members.length);
    }
    const o = newSeries(g.labels, ctx.steps);
    for (let i = 0; i < ctx.steps; i++) {
      let n = 0;
      for (let j = 0; j < g.members.length; j++) {
        const s = input[g.members[j]!]!;
        if (s.present[i] === 0) continue;
        bounds[n] = g.bounds[j]!;
        counts[n] = s.values[i]!;
        n++;
      }
      if (n === 0) continue;
      o.present[i] = 1;
      o.values[i] = bucketQuantile(q[i]!, bounds, counts, n);
    }
    out.push(o);
  }
  return { kind: "vector", series: mergeSameLabels(out.filter((s) => s.present.includes(1))) };
}

/** Go's strconv.ParseFloat for label values (`+Inf`, `1e3`, `0x1p-2` aside). */
export function parseGoFloat(text: string): number | undefined {
  const t = text.trim() === text ? text : "";
  if (/^[+-]?inf(inity)?$/i.test(t))
    return t.startsWith("-") ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY;
  if (/^[+-]?nan$/i.test(t)) return Number.NaN;
  if (!/^[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$/.test(t)) return undefined;
  return Number(t);
}

export const INSTANT_FUNCTIONS: ReadonlyMap<string, InstantFunction> = new Map<
  string,
  InstantFunction
>([
  ...[...ELEMENTWISE].map(([name, f]): [string, InstantFunction] => [
    name,
    (args, _c, ctx) => mapVector(vectorOf(args[0]!), ctx.steps, f),
  ]),
  [
    "clamp",
    (args, _c, ctx) => {
      const min = scalarOf(args[1]!);
      const max = scalarOf(args[2]!);
      return mapVector(
        vectorOf(args[0]!),
        ctx.steps,
        (v, i) => Math.max(min[i]!, Math.min(max[i]!, v)),
        (i) => !(max[i]! < min[i]!),
      );
    },
  ],
  [
    "clamp_max",
    (args, _c, ctx) => {
      const max = scalarOf(args[1]!);
      return mapVector(vectorOf(args[0]!), ctx.steps, (v, i) => Math.min(max[i]!, v));
    },
  ],
  [
    "clamp_min",
    (args, _c, ctx) => {
      const min = scalarOf(args[1]!);
      return mapVector(vectorOf(args[0]!), ctx.steps, (v, i) => Math.max(min[i]!, v));
    },
  ],
  [
    "round",
    (args, _c, ctx) => {
      const to = args.length > 1 ? scalarOf(args[1]!) : null;
      return mapVector(vectorOf(args[0]!), ctx.steps, (v, i) => {
        const inverse = 1 / (to === null ? 1 : to[i]!);
        return Math.floor(v * inverse + 0.5) / inverse;
      });
    },
  ],
  ["year", dateFunction((d) => d.getUTCFullYear())],
  ["month", dateFunction((d) => d.getUTCMonth() + 1)],
  ["day_of_month", dateFunction((d) => d.getUTCDate())],
  ["day_of_week", dateFunction((d) => d.getUTCDay())],
  ["day_of_year", dateFunction((d) => dayOfYear(d))],
  ["days_in_month", dateFunction(daysInMonth)],
  ["hour", dateFunction((d) => d.getUTCHours())],
  ["minute", dateFunction((d) => d.getUTCMinutes())],
  ["label_replace", labelReplace],
  ["label_join", (args) => labelJoin(args)],
  ["sort", (args, call, ctx) => sortVector(args, call, ctx, false)],
  ["sort_desc", (args, call, ctx) => sortVector(args, call, ctx, true)],
  ["absent", absent],
  ["histogram_quantile", histogramQuantile],
  [
    "scalar",
    (args, _c, ctx) => {
      const input = vectorOf(args[0]!);
      const out = new Float64Array(ctx.steps);
      for (let i = 0; i < ctx.steps; i++) {
        let n = 0;
        let v = Number.NaN;
        for (const s of input) {
          if (s.present[i] === 1) {
            n++;
            v = s.values[i]!;
          }
        }
        out[i] = n === 1 ? v : Number.NaN;
      }
      return { kind: "scalar", values: out };
    },
  ],
  [
    "vector",
    (args, _c, ctx) => {
      const s = newSeries({}, ctx.steps);
      s.values.set(scalarOf(args[0]!));
      s.present.fill(1);
      return { kind: "vector", series: [s] };
    },
  ],
  [
    "time",
    (_args, _c, ctx) => {
      const out = new Float64Array(ctx.steps);
      for (let i = 0; i < ctx.steps; i++) out[i] = ctx.times[i]! / 1000;
      return { kind: "scalar", values: out };
    },
  ],
  [
    "pi",
    (_args, _c, ctx) => ({ kind: "scalar", values: new Float64Array(ctx.steps).fill(Math.PI) }),
  ],
]);
