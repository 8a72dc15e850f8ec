/**
 * The PromQL evaluator (Prometheus' promql/engine.go, 2.42 semantics) and
 * the engine's entry points `instantQuery` and `rangeQuery`.
 *
 * A query runs in two phases, like Prometheus' populateSeries + eval:
 * 1. every selector is read once from the SeriesSource, over exactly the
 *    time range the query needs from it (steps, offsets, `@`, ranges,
 *    subqueries, lookback), all selects in parallel;
 * 2. the tree is evaluated synchronously over all steps at once: each node
 *    yields a scalar (one Float64Array) or an instant vector (series with a
 *    Float64Array of values and a Uint8Array of presence per step). An
 *    instant query is a range query of one step.
 */
import { aggregate, FOLDING_AGGREGATIONS, GroupFolder } from "./aggregations.js";
import { scalarScalar, setOperation, vectorScalar, vectorVector } from "./binary.js";
import { ExecutionError, PromQLError, QueryCanceledError, QueryTimeoutError } from "./errors.js";
import { absentLabels, INSTANT_FUNCTIONS } from "./functions.js";
import { compareLabels, dropMetricName, type Labels, labelsKey } from "./labels.js";
import {
  type AggregateExpr,
  type AtModifier,
  type BinaryExpr,
  type Call,
  type Expr,
  SET_OPS,
  type SubqueryExpr,
  unwrapParens,
  type VectorSelector,
} from "./parser/ast.js";
import { FUNCTIONS } from "./parser/functions.js";
import { parseExpr, typeOf } from "./parser/parse.js";
import { newRateMemo, RANGE_FUNCTIONS, type StepWindows, windowBounds } from "./range-functions.js";
import { sourceMatcher } from "./regex.js";
import type { QueryResult } from "./result.js";
import { instantSelector, referenceTimes, toRaw, withoutStale } from "./selectors.js";
import type { SelectHints, SeriesData, SeriesSource } from "./series-source.js";
import {
  type EvalValue,
  mergeSameLabels,
  newSeries,
  type RawSeries,
  SeriesAllocator,
  type StepSeries,
} from "./value.js";

export interface QueryOptions {
  /** How far back an instant selector looks for a sample, ms (Prometheus' --query.lookback-delta). Default 5 min. */
  readonly lookbackDelta?: number;
  /** Most samples held at once (Prometheus' --query.max-samples). Default 50,000,000. */
  readonly maxSamples?: number;
  /** Evaluation deadline, ms from the start of the call. Default none. */
  readonly timeout?: number;
  /** Aborts the query (e.g. when the HTTP client goes away). */
  readonly signal?: AbortSignal;
  /** Step of subqueries written without one (`[1h:]`), ms. Default 1 min. */
  readonly defaultSubqueryStep?: number;
}

/** Prometheus' limit on points per series in a range query. */
export const MAX_POINTS_PER_SERIES = 11_000;

const DEFAULT_LOOKBACK = 5 * 60_000;
const DEFAULT_MAX_SAMPLES = 50_000_000;
const DEFAULT_SUBQUERY_STEP = 60_000;

/** Evaluates `query` at `time` (ms). @throws PromQLError */
export async function instantQuery(
  source: SeriesSource,
  query: string | Expr,
  time: number,
  opts: QueryOptions = {},
): Promise<QueryResult> {
  const expr = typeof query === "string" ? parseExpr(query) : query;
  const state = await prepare(source, expr, time, time, 0, opts);
  const value = new Evaluator(state, time, time, 1).eval(expr);
  switch (value.kind) {
    case "scalar":
      return { resultType: "scalar", result: { timestamp: time, value: value.values[0]! } };
    case "string":
      return { resultType: "string", result: { timestamp: time, value: value.value } };
    case "vector":
      return {
        resultType: "vector",
        result: value.series
          .filter((s) => s.present[0] === 1)
          .map((s) => ({ metric: s.labels, timestamp: time, value: s.values[0]! })),
      };
    case "matrix":
      return {
        resultType: "matrix",
        result: value.series
          .filter((s) => s.timestamps.length > 0)
          .sort((a, b) => compareLabels(a.labels, b.labels))
          .map((s) => ({ metric: s.labels, timestamps: s.timestamps, values: s.values })),
      };
  }
}

/** Evaluates `query` at start, start + step, … ≤ end (ms); always a matrix. @throws PromQLError */
export async function rangeQuery(
  source: SeriesSource,
  query: string | Expr,
  start: number,
  end: number,
  step: number,
  opts: QueryOptions = {},
): Promise<QueryResult> {
  if (!(step > 0))
    throw new PromQLError(
      "bad_data",
      "zero or negative query resolution step widths are not accepted. Try a positive integer",
    );
  if (end < start) throw new PromQLError("bad_data", "end timestamp must not be before start time");
  if ((end - start) / step > MAX_POINTS_PER_SERIES)
    throw new PromQLError(
      "bad_data",
      "exceeded maximum resolution of 11,000 points per timeseries. Try decreasing the query resolution (?step=XX)",
    );
  const expr = typeof query === "string" ? parseExpr(query) : query;
  const type = typeOf(expr);
  if (type !== "scalar" && type !== "vector") {
    const name = type === "matrix" ? "range vector" : "string";
    throw new PromQLError(
      "bad_data",
      `invalid expression type "${name}" for range query, must be Scalar or instant Vector`,
    );
  }
  const state = await prepare(source, expr, start, end, step, opts);
  const ev = new Evaluator(state, start, end, step);
  const value = ev.eval(expr);
  if (value.kind === "scalar") {
    return {
      resultType: "matrix",
      result: [{ metric: {}, timestamps: ev.times.slice(), values: value.values }],
    };
  }
  if (value.kind !== "vector") throw new Error(`unexpected ${value.kind} result of a range query`);
  const result = [];
  for (const s of value.series) {
    let n = 0;
    for (let i = 0; i < ev.steps; i++) n += s.present[i]!;
    if (n === 0) continue;
    const ts = new Float64Array(n);
    const vs = new Float64Array(n);
    let k = 0;
    for (let i = 0; i < ev.steps; i++) {
      if (s.present[i] === 0) continue;
      ts[k] = ev.times[i]!;
      vs[k] = s.values[i]!;
      k++;
    }
    result.push({ metric: s.labels, timestamps: ts, values: vs });
  }
  result.sort((a, b) => compareLabels(a.metric, b.metric));
  return { resultType: "matrix", result };
}

/** What every evaluator of one query shares. */
interface QueryState {
  readonly data: Map<VectorSelector, readonly SeriesData[]>;
  readonly lookback: number;
  readonly maxSamples: number;
  readonly defaultStep: number;
  readonly queryStart: number;
  readonly queryEnd: number;
  readonly deadline: number;
  readonly signal: AbortSignal | undefined;
  samples: number;
}

async function prepare(
  source: SeriesSource,
  expr: Expr,
  start: number,
  end: number,
  step: number,
  opts: QueryOptions,
): Promise<QueryState> {
  const state: QueryState = {
    data: new Map(),
    lookback: opts.lookbackDelta ?? DEFAULT_LOOKBACK,
    maxSamples: opts.maxSamples ?? DEFAULT_MAX_SAMPLES,
    defaultStep: opts.defaultSubqueryStep ?? DEFAULT_SUBQUERY_STEP,
    queryStart: start,
    queryEnd: end,
    deadline: opts.timeout === undefined ? Number.POSITIVE_INFINITY : Date.now() + opts.timeout,
    signal: opts.signal,
    samples: 0,
  };
  const selects: Array<{ vs: VectorSelector; mint: number; maxt: number; hints: SelectHints }> = [];
  collectSelectors(state, expr, start, end, step, null, selects);
  const guard = deadlineOf(state);
  let results: ReadonlyArray<readonly SeriesData[]>;
  try {
    results = await Promise.race([
      Promise.all(
        selects.map((s) =>
          source.select(s.vs.matchers.map(sourceMatcher), s.mint, s.maxt, s.hints),
        ),
      ),
      guard.promise,
    ]);
  } finally {
    guard.dispose();
  }
  selects.forEach((s, i) => {
    state.data.set(s.vs, results[i]!);
  });
  checkLimits(state, "query preparation");
  return state;
}

/** A promise rejected when the query's deadline passes or it is aborted; dispose() stops watching. */
function deadlineOf(state: QueryState): { promise: Promise<never>; dispose: () => void } {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let onAbort: (() => void) | undefined;
  const promise = new Promise<never>((_, reject) => {
    if (Number.isFinite(state.deadline)) {
      timer = setTimeout(
        () => reject(new QueryTimeoutError("query preparation")),
        Math.max(0, state.deadline - Date.now()),
      );
    }
    if (state.signal !== undefined) {
      onAbort = () => reject(new QueryCanceledError("query preparation"));
      if (state.signal.aborted) onAbort();
      else state.signal.addEventListener("abort", onAbort, { once: true });
    }
  });
  // The race settles first on success; this rejection must not count as unhandled.
  promise.catch(() => {});
  return {
    promise,
    dispose: () => {
      clearTimeout(timer);
      if (onAbort !== undefined) state.signal?.removeEventListener("abort", onAbort);
    },
  };
}

function checkLimits(state: QueryState, where: string): void {
  if (state.signal?.aborted) throw new QueryCanceledError(where);
  if (Date.now() > state.deadline) throw new QueryTimeoutError(where);
}

function resolveAt(state: QueryState, at: AtModifier | null): number | null {
  if (at === null) return null;
  if (at.kind === "time") return at.ms;
  return at.kind === "start" ? state.queryStart : state.queryEnd;
}

/** The first step time of a subquery: the first multiple of its step at or after refStart − range. */
function subqueryStart(refStart: number, range: number, step: number): number {
  return Math.ceil((refStart - range) / step) * step;
}

interface Parent {
  readonly func: string;
  readonly grouping: readonly string[];
  readonly by: boolean;
}

/** Walks the tree as the evaluator will, recording each selector's time range and hints. */
function collectSelectors(
  state: QueryState,
  e: Expr,
  start: number,
  end: number,
  step: number,
  parent: Parent | null,
  out: Array<{ vs: VectorSelector; mint: number; maxt: number; hints: SelectHints }>,
): void {
  const add = (vs: VectorSelector, range: number) => {
    const at = resolveAt(state, vs.at);
    const refStart = (at ?? start) - vs.offset;
    const refEnd = (at ?? end) - vs.offset;
    const mint = refStart - (range > 0 ? range : state.lookback);
    out.push({
      vs,
      mint,
      maxt: refEnd,
      hints: {
        start: mint,
        end: refEnd,
        step,
        range,
        func: parent?.func ?? "",
        grouping: parent?.grouping ?? [],
        by: parent?.by ?? false,
      },
    });
  };
  switch (e.type) {
    case "VectorSelector":
      add(e, 0);
      return;
    case "MatrixSelector":
      add(e.selector, e.range);
      return;
    case "SubqueryExpr": {
      const sq = subqueryRange(state, e, start, end);
      collectSelectors(state, e.expr, sq.start, sq.end, sq.step, null, out);
      return;
    }
    case "Call":
      for (const a of e.args)
        collectSelectors(
          state,
          a,
          start,
          end,
          step,
          { func: e.func, grouping: [], by: false },
          out,
        );
      return;
    case "AggregateExpr": {
      const p = { func: e.op, grouping: e.grouping, by: !e.without };
      if (e.param) collectSelectors(state, e.param, start, end, step, null, out);
      collectSelectors(state, e.expr, start, end, step, p, out);
      return;
    }
    case "BinaryExpr":
      collectSelectors(state, e.lhs, start, end, step, null, out);
      collectSelectors(state, e.rhs, start, end, step, null, out);
      return;
    case "UnaryExpr":
    case "ParenExpr":
      collectSelectors(state, e.expr, start, end, step, parent, out);
      return;
    default:
      return;
  }
}

function subqueryRange(
  state: QueryState,
  sq: SubqueryExpr,
  start: number,
  end: number,
): { start: number; end: number; step: number } {
  const step = sq.step > 0 ? sq.step : state.defaultStep;
  const at = resolveAt(state, sq.at);
  const refStart = (at ?? start) - sq.offset;
  const refEnd = (at ?? end) - sq.offset;
  return { start: subqueryStart(refStart, sq.range, step), end: refEnd, step };
}

const MAX_SAMPLES_MESSAGE =
  "query processing would load too many samples into memory in query execution";

class Evaluator {
  readonly steps: number;
  readonly times: Float64Array;

  constructor(
    readonly state: QueryState,
    readonly start: number,
    readonly end: number,
    readonly interval: number,
  ) {
    this.steps = end < start ? 0 : Math.floor((end - start) / interval) + 1;
    this.times = new Float64Array(this.steps);
    for (let i = 0; i < this.steps; i++) this.times[i] = start + i * interval;
  }

  eval(e: Expr): EvalValue {
    checkLimits(this.state, "expression evaluation");
    const v = this.#evalNode(e);
    if (v.kind === "vector") this.#account(v.series.length * this.steps);
    return v;
  }

  /**
   * Counts samples held, for Prometheus' max-samples limit. A vector holds
   * series × steps slots here (dense arrays), which is what memory use follows.
   */
  #account(n: number): void {
    this.state.samples += n;
    if (this.state.samples > this.state.maxSamples) throw new ExecutionError(MAX_SAMPLES_MESSAGE);
  }
  #release(v: EvalValue): void {
    if (v.kind === "vector") this.state.samples -= v.series.length * this.steps;
  }

  #evalNode(e: Expr): EvalValue {
    switch (e.type) {
      case "NumberLiteral":
        return { kind: "scalar", values: new Float64Array(this.steps).fill(e.value) };
      case "StringLiteral":
        return { kind: "string", value: e.value };
      case "ParenExpr":
        return this.#evalNode(e.expr);
      case "UnaryExpr": {
        const operand = this.eval(e.expr);
        const result = this.#unary(e.op, operand);
        if (result !== operand) this.#release(operand);
        return result;
      }
      case "VectorSelector":
        return { kind: "vector", series: this.#instantSelector(e, false) };
      case "MatrixSelector":
      case "SubqueryExpr":
        return { kind: "matrix", series: this.#rangeAtInstant(e) };
      case "Call":
        return this.#call(e);
      case "AggregateExpr":
        return this.#aggregate(e);
      case "BinaryExpr":
        return this.#binary(e);
    }
  }

  #instantSelector(vs: VectorSelector, sampleTimes: boolean): StepSeries[] {
    const refs = referenceTimes(this.times, vs.offset, resolveAt(this.state, vs.at));
    return instantSelector(this.#data(vs), refs, this.state.lookback, sampleTimes);
  }

  #data(vs: VectorSelector): readonly SeriesData[] {
    const d = this.state.data.get(vs);
    if (d === undefined) throw new Error("selector was not prepared");
    return d;
  }

  #unary(op: "-" | "+", v: EvalValue): EvalValue {
    if (op === "+") return v;
    if (v.kind === "scalar") return { kind: "scalar", values: v.values.map((x) => -x) };
    if (v.kind !== "vector") throw new Error("unary minus on a non-numeric value");
    const out = v.series.map((s) => ({
      labels: dropMetricName(s.labels),
      values: s.values.map((x) => -x),
      present: s.present,
    }));
    return {
      kind: "vector",
      series: mergeSameLabels(out.map((s) => ({ ...s, present: s.present.slice() }))),
    };
  }

  /** A range selector or subquery as the result of an instant query: its raw samples. */
  #rangeAtInstant(e: Expr): RawSeries[] {
    const arg = this.#rangeArg(e);
    const { lo, hi } = this.#bounds();
    const last = this.steps - 1;
    const out: RawSeries[] = [];
    for (const s of arg.series) {
      windowBounds(s.timestamps, arg.refs, arg.range, lo, hi);
      if (last < 0) continue;
      out.push({
        labels: s.labels,
        timestamps: s.timestamps.slice(lo[last], hi[last]),
        values: s.values.slice(lo[last], hi[last]),
      });
    }
    return out;
  }

  #lo: Int32Array | undefined;
  #hi: Int32Array | undefined;
  /** Window bounds per step, reused for every series of this evaluator. */
  #bounds(): { lo: Int32Array; hi: Int32Array } {
    this.#lo ??= new Int32Array(this.steps);
    this.#hi ??= new Int32Array(this.steps);
    return { lo: this.#lo, hi: this.#hi };
  }

  /** The series and window reference times of a range-vector argument. */
  #rangeArg(e: Expr): { series: RawSeries[]; refs: Float64Array; range: number } {
    const x = unwrapParens(e);
    if (x.type === "MatrixSelector") {
      const vs = x.selector;
      const series = this.#data(vs).map(withoutStale);
      let n = 0;
      for (const s of series) n += s.timestamps.length;
      this.#account(n);
      return {
        series,
        refs: referenceTimes(this.times, vs.offset, resolveAt(this.state, vs.at)),
        range: x.range,
      };
    }
    if (x.type === "SubqueryExpr") {
      const r = subqueryRange(this.state, x, this.start, this.end);
      const inner = new Evaluator(this.state, r.start, r.end, r.step);
      const value = inner.eval(x.expr);
      if (value.kind !== "vector") throw new Error("subquery of a non-vector");
      const series = toRaw(value.series, inner.times);
      inner.#release(value);
      let n = 0;
      for (const r of series) n += r.timestamps.length;
      this.#account(n);
      return {
        series,
        refs: referenceTimes(this.times, x.offset, resolveAt(this.state, x.at)),
        range: x.range,
      };
    }
    throw new Error(`expected a range vector, got ${x.type}`);
  }

  #call(call: Call): EvalValue {
    const sig = FUNCTIONS.get(call.func)!;
    const matrixIndex = sig.argTypes.indexOf("matrix");
    if (matrixIndex >= 0) return this.#rangeFunction(call, matrixIndex);
    if (call.func === "timestamp") {
      const arg = unwrapParens(call.args[0]!);
      const series =
        arg.type === "VectorSelector"
          ? this.#instantSelector(arg, true)
          : this.#stepTimes(this.#vector(this.eval(call.args[0]!)));
      return {
        kind: "vector",
        series: mergeSameLabels(series.map((s) => ({ ...s, labels: dropMetricName(s.labels) }))),
      };
    }
    const args = call.args.map((a) => this.eval(a));
    const fn = INSTANT_FUNCTIONS.get(call.func);
    if (fn === undefined)
      throw new PromQLError("bad_data", `function "${call.func}" is not supported`);
    const result = fn(args, call, this);
    for (const a of args) this.#release(a);
    return result;
  }

  /** Each present point's value replaced by its step time in seconds (timestamp() of a computed vector). */
  #stepTimes(series: StepSeries[]): StepSeries[] {
    return series.map((s) => {
      const o = newSeries(s.labels, this.steps);
      o.present.set(s.present);
      for (let i = 0; i < this.steps; i++)
        if (s.present[i] === 1) o.values[i] = this.times[i]! / 1000;
      return o;
    });
  }

  #vector(v: EvalValue): StepSeries[] {
    if (v.kind !== "vector") throw new Error(`expected an instant vector, got ${v.kind}`);
    return v.series;
  }

  #rangeFunction(call: Call, matrixIndex: number): EvalValue {
    if (call.func === "absent_over_time")
      return this.#absentOverTime(call, this.#rangeArg(call.args[matrixIndex]!));
    const alloc = new SeriesAllocator(this.steps, 64);
    const out: StepSeries[] = [];
    this.#eachRangeResult(
      call,
      matrixIndex,
      (labels) => alloc.take(labels),
      (s, any) => {
        if (any) out.push(s);
        else alloc.giveBack();
      },
    );
    return { kind: "vector", series: mergeSameLabels(out) };
  }

  /**
   * Evaluates a range-vector function series by series: `take` gives the
   * series to write one result into, `done` receives it (with whether it got
   * any point) before the next one is taken.
   */
  #eachRangeResult(
    call: Call,
    matrixIndex: number,
    take: (labels: Labels) => StepSeries,
    done: (s: StepSeries, any: boolean) => void,
  ): void {
    const scalars = call.args
      .filter((_, i) => i !== matrixIndex)
      .map((a) => {
        const v = this.eval(a);
        if (v.kind !== "scalar") throw new Error("expected a scalar argument");
        return v.values;
      });
    const arg = this.#rangeArg(call.args[matrixIndex]!);
    const fn = RANGE_FUNCTIONS.get(call.func);
    if (fn === undefined)
      throw new PromQLError("bad_data", `function "${call.func}" is not supported`);
    const keepName = call.func === "last_over_time";
    const { lo, hi } = this.#bounds();
    const windows: StepWindows = {
      lo,
      hi,
      refs: arg.refs,
      times: this.times,
      range: arg.range,
      arg1: scalars[0],
      arg2: scalars[1],
      rateMemo: newRateMemo(),
    };
    for (const s of arg.series) {
      checkLimits(this.state, "expression evaluation");
      const o = take(keepName ? s.labels : dropMetricName(s.labels));
      done(o, fn(s, windows, o.values, o.present));
    }
  }

  /**
   * `sum by (…) (rate(x[5m]))` and the like: each series' function result
   * goes straight into the group accumulators through one scratch series.
   * Undefined when the shape does not fit (then the plain path runs).
   */
  #fusedAggregate(e: AggregateExpr): StepSeries[] | undefined {
    if (!FOLDING_AGGREGATIONS.has(e.op)) return undefined;
    const inner = unwrapParens(e.expr);
    if (inner.type !== "Call" || inner.func === "absent_over_time") return undefined;
    const matrixIndex = FUNCTIONS.get(inner.func)!.argTypes.indexOf("matrix");
    if (matrixIndex < 0) return undefined;
    const arg = unwrapParens(inner.args[matrixIndex]!);
    if (arg.type !== "MatrixSelector") return undefined;
    // Two series that differ only by __name__ would collide after the function: leave that to the plain path.
    const keys = new Set<string>();
    const keepName = inner.func === "last_over_time";
    for (const d of this.#data(arg.selector)) {
      const key = labelsKey(keepName ? d.labels : dropMetricName(d.labels));
      if (keys.has(key)) return undefined;
      keys.add(key);
    }
    const folder = new GroupFolder(e.op, this.steps, e.grouping, e.without, 64);
    const scratch = newSeries({}, this.steps);
    this.#eachRangeResult(
      inner,
      matrixIndex,
      (labels) => {
        scratch.labels = labels;
        scratch.present.fill(0);
        return scratch;
      },
      (s, any) => {
        if (any) folder.add(s.labels, s.present, s.values);
      },
    );
    return folder.result();
  }

  #absentOverTime(
    call: Call,
    arg: { series: RawSeries[]; refs: Float64Array; range: number },
  ): EvalValue {
    const x = unwrapParens(call.args[0]!);
    const labels: Labels = x.type === "MatrixSelector" ? absentLabels(x.selector.matchers) : {};
    const seen = new Uint8Array(this.steps);
    const { lo, hi } = this.#bounds();
    for (const s of arg.series) {
      windowBounds(s.timestamps, arg.refs, arg.range, lo, hi);
      for (let i = 0; i < this.steps; i++) if (hi[i]! > lo[i]!) seen[i] = 1;
    }
    const o = newSeries(labels, this.steps);
    for (let i = 0; i < this.steps; i++) {
      if (seen[i] === 1) continue;
      o.present[i] = 1;
      o.values[i] = 1;
    }
    return { kind: "vector", series: o.present.includes(1) ? [o] : [] };
  }

  #aggregate(e: AggregateExpr): EvalValue {
    const fused = this.#fusedAggregate(e);
    if (fused !== undefined) return { kind: "vector", series: fused };
    let scalarParam: Float64Array | null = null;
    let stringParam: string | null = null;
    if (e.param !== null) {
      const p = this.eval(e.param);
      if (p.kind === "scalar") scalarParam = p.values;
      else if (p.kind === "string") stringParam = p.value;
    }
    const input = this.eval(e.expr);
    const series = aggregate({
      op: e.op,
      series: this.#vector(input),
      steps: this.steps,
      grouping: e.grouping,
      without: e.without,
      scalarParam,
      stringParam,
    });
    this.#release(input);
    return { kind: "vector", series };
  }

  #binary(e: BinaryExpr): EvalValue {
    const l = this.eval(e.lhs);
    const r = this.eval(e.rhs);
    let result: EvalValue;
    if (l.kind === "scalar" && r.kind === "scalar")
      result = { kind: "scalar", values: scalarScalar(e.op, l.values, r.values) };
    else if (l.kind === "vector" && r.kind === "scalar")
      result = {
        kind: "vector",
        series: vectorScalar(e.op, l.series, r.values, false, e.returnBool),
      };
    else if (l.kind === "scalar" && r.kind === "vector")
      result = {
        kind: "vector",
        series: vectorScalar(e.op, r.series, l.values, true, e.returnBool),
      };
    else if (l.kind === "vector" && r.kind === "vector") {
      const matching = e.matching!;
      result = {
        kind: "vector",
        series: SET_OPS.has(e.op)
          ? setOperation(e.op, l.series, r.series, matching, this.steps)
          : vectorVector(e.op, l.series, r.series, matching, e.returnBool, this.steps),
      };
    } else throw new Error(`binary operator on ${l.kind} and ${r.kind}`);
    this.#release(l);
    this.#release(r);
    return result;
  }
}
