import { UnaggregableTimeseriesError } from "../errors.js";
import { resampleSerie } from "../resample.js";
import type { Micros } from "../time.js";
import type { Grid } from "./grid.js";
import {
  type BinaryOperator,
  type MetricRef,
  type OperationNode,
  toOperationJson,
  type UnaryOperator,
} from "./operations.js";
import { pythonRepr } from "./python-format.js";
import { type CrossMethod, nanReducer, type Summation } from "./reducers.js";

/**
 * Evaluation of an operation tree over one granularity's grid (spec carbonara
 * §9.2), the way Gnocchi's `operations.evaluate` does it: every node yields a
 * granularity, row timestamps and either a scalar or a set of columns.
 */

/** A node's value: `columns` is a number for a scalar node. */
export interface Evaluated {
  readonly granularity: Micros;
  readonly timestamps: Float64Array;
  readonly columns: Float64Array[] | number;
}

interface Context {
  /** The `[ref, method]` of each grid column, for `metric` selection. */
  readonly references: readonly MetricRef[];
  readonly grid: Grid;
  /** What errors report: the `[ref, method]` pairs of the granularity. */
  readonly detail: unknown;
}

function pyMod(a: number, b: number): number {
  // numpy.mod: floored modulo, result takes the divisor's sign; x mod 0 is NaN.
  let m = a % b;
  if (m !== 0) {
    if (b < 0 !== m < 0) m += b;
  } else if (!Number.isNaN(m)) {
    m = b < 0 ? -0 : 0;
  }
  return m;
}

function npPower(a: number, b: number): number {
  // C pow: 1 ** anything and (-1) ** ±inf are 1, where JS gives NaN.
  if (a === 1) return 1;
  if (a === -1 && (b === Number.POSITIVE_INFINITY || b === Number.NEGATIVE_INFINITY)) return 1;
  return a ** b;
}

const BINARY: Record<BinaryOperator, (a: number, b: number) => number> = {
  eq: (a, b) => (a === b ? 1 : 0),
  lt: (a, b) => (a < b ? 1 : 0),
  gt: (a, b) => (a > b ? 1 : 0),
  le: (a, b) => (a <= b ? 1 : 0),
  ge: (a, b) => (a >= b ? 1 : 0),
  ne: (a, b) => (a !== b ? 1 : 0),
  mod: pyMod,
  add: (a, b) => a + b,
  sub: (a, b) => a - b,
  mul: (a, b) => a * b,
  div: (a, b) => a / b,
  pow: npPower,
  clip_min: (a, lo) => Math.max(a, lo),
  clip_max: (a, hi) => Math.min(a, hi),
};

const UNARY: Record<UnaryOperator, (a: number) => number> = {
  abs: Math.abs,
  neg: (a) => -a,
  cos: Math.cos,
  sin: Math.sin,
  tan: Math.tan,
  floor: Math.floor,
  ceil: Math.ceil,
};

function mapColumns(columns: Float64Array[], fn: (a: number) => number): Float64Array[] {
  return columns.map((col) => {
    const out = new Float64Array(col.length);
    for (let i = 0; i < col.length; i++) out[i] = fn(col[i]!);
    return out;
  });
}

function diffColumn(col: Float64Array): Float64Array {
  const out = new Float64Array(Math.max(0, col.length - 1));
  for (let i = 0; i < out.length; i++) out[i] = col[i + 1]! - col[i]!;
  return out;
}

function requireSeries(value: Evaluated, what: string, ctx: Context): Float64Array[] {
  if (typeof value.columns === "number") {
    throw new UnaggregableTimeseriesError(`${what} requires a series, not a number`, ctx.detail);
  }
  return value.columns;
}

/**
 * The shared rows of series operands of a binary/ternary node: they must have
 * identical timestamps and granularity (else the original's error text).
 */
function checkSameTimes(
  values: readonly Evaluated[],
  nodes: readonly OperationNode[],
  ctx: Context,
) {
  const series = values.filter((v) => typeof v.columns !== "number");
  const first = series[0]!;
  for (const other of series.slice(1)) {
    const a = first.timestamps;
    const b = other.timestamps;
    let same = a.length === b.length && first.granularity === other.granularity;
    for (let i = 0; same && i < a.length; i++) same = a[i] === b[i];
    if (!same) {
      throw new UnaggregableTimeseriesError(
        "Can't compute timeseries with different granularity " +
          `${pythonRepr(toOperationJson(nodes[0]!))} <> ${pythonRepr(toOperationJson(nodes[1]!))}`,
        ctx.detail,
      );
    }
  }
}

/** numpy broadcasting of the column dimension: widths other than 1 must all be equal. */
function broadcastWidth(widths: readonly number[], ctx: Context): number {
  let width = 1;
  for (const w of widths) {
    if (w === 1) continue;
    if (width !== 1 && w !== width) {
      throw new UnaggregableTimeseriesError(
        `Can't combine ${widths.join(" and ")} timeseries element-wise`,
        ctx.detail,
      );
    }
    width = w;
  }
  return width;
}

/** Applies `fn` element-wise over operands that are column sets or scalars (at least one column set). */
function elementWise(
  operands: readonly (Float64Array[] | number)[],
  length: number,
  ctx: Context,
  fn: (args: Float64Array) => number,
): Float64Array[] {
  const widths: number[] = [];
  for (const o of operands) if (typeof o !== "number") widths.push(o.length);
  const width = broadcastWidth(widths, ctx);
  const args = new Float64Array(operands.length);
  const result: Float64Array[] = [];
  for (let c = 0; c < width; c++) {
    const out = new Float64Array(length);
    const cols = operands.map((o) => (typeof o === "number" ? o : o[o.length === 1 ? 0 : c]!));
    for (let i = 0; i < length; i++) {
      for (let k = 0; k < cols.length; k++) {
        const col = cols[k]!;
        args[k] = typeof col === "number" ? col : col[i]!;
      }
      out[i] = fn(args);
    }
    result.push(out);
  }
  return result;
}

/** Combination of operands: scalars only → scalar; else series, checked and "aggregated" if ≥ 2 series. */
function combine(
  nodes: readonly OperationNode[],
  values: readonly Evaluated[],
  ctx: Context,
  fn: (args: Float64Array) => number,
): Evaluated {
  const seriesValues = values.filter((v) => typeof v.columns !== "number");
  if (seriesValues.length === 0) {
    const args = Float64Array.from(values, (v) => v.columns as number);
    return { ...values[0]!, columns: fn(args) };
  }
  if (seriesValues.length >= 2) {
    const seriesNodes = nodes.filter((_, i) => typeof values[i]!.columns !== "number");
    checkSameTimes(values, seriesNodes, ctx);
  }
  const reference = seriesValues[0]!;
  const columns = elementWise(
    values.map((v) => v.columns),
    reference.timestamps.length,
    ctx,
    fn,
  );
  return { granularity: reference.granularity, timestamps: reference.timestamps, columns };
}

function aggregateRows(columns: Float64Array[], rows: number, method: CrossMethod): Float64Array {
  const reduce = nanReducer(method.base, "sequential");
  const row = new Float64Array(columns.length);
  const scratch = new Float64Array(columns.length);
  const out = new Float64Array(rows);
  for (let i = 0; i < rows; i++) {
    for (let c = 0; c < columns.length; c++) row[c] = columns[c]![i]!;
    out[i] = reduce(row, 0, columns.length, scratch);
  }
  return method.rate ? diffColumn(out) : out;
}

function rollColumn(col: Float64Array, window: number, method: CrossMethod): Float64Array {
  const summation: Summation = "pairwise";
  const reduce = nanReducer(method.base, summation);
  const scratch = new Float64Array(window);
  const out = new Float64Array(col.length - window + 1);
  for (let k = 0; k < out.length; k++) out[k] = reduce(col, k, k + window, scratch);
  return method.rate ? diffColumn(out) : out;
}

function evaluateNode(node: OperationNode, ctx: Context, at: Evaluated): Evaluated {
  switch (node.kind) {
    case "scalar":
      return { ...at, columns: node.value };
    case "metric": {
      const wanted = new Set(node.refs.map((r) => JSON.stringify([r.ref, r.method])));
      const columns: Float64Array[] = [];
      ctx.references.forEach((r, i) => {
        if (wanted.has(JSON.stringify([r.ref, r.method]))) columns.push(ctx.grid.columns[i]!);
      });
      return { ...at, columns };
    }
    case "aggregate": {
      const value = evaluateNode(node.operand, ctx, at);
      const columns = requireSeries(value, "aggregate", ctx);
      const rows = value.timestamps.length;
      const out = aggregateRows(columns, rows, node.method);
      const timestamps = node.method.rate ? value.timestamps.subarray(1) : value.timestamps;
      return { granularity: value.granularity, timestamps, columns: [out] };
    }
    case "rolling": {
      const value = evaluateNode(node.operand, ctx, at);
      const columns = requireSeries(value, "rolling", ctx);
      const length = value.timestamps.length;
      if (node.window > length) {
        throw new UnaggregableTimeseriesError(
          `Rolling window '${node.window}' is greater than serie length '${length}'`,
          ctx.detail,
        );
      }
      const skip = node.method.rate ? node.window : node.window - 1;
      return {
        granularity: value.granularity,
        timestamps: value.timestamps.subarray(Math.min(skip, length)),
        columns: columns.map((col) => rollColumn(col, node.window, node.method)),
      };
    }
    case "resample": {
      const value = evaluateNode(node.operand, ctx, at);
      const columns = requireSeries(value, "resample", ctx);
      const resampled = (values: Float64Array) =>
        resampleSerie({ timestamps: value.timestamps, values }, node.method.name, node.granularity);
      const results = columns.map(resampled);
      const timestamps = (results[0] ?? resampled(new Float64Array(value.timestamps.length)))
        .timestamps;
      return {
        granularity: node.granularity,
        timestamps,
        columns: results.map((r) => r.values as Float64Array),
      };
    }
    case "rateofchange": {
      const value = evaluateNode(node.operand, ctx, at);
      const columns = requireSeries(value, "rateofchange", ctx);
      return {
        granularity: value.granularity,
        timestamps: value.timestamps.subarray(Math.min(1, value.timestamps.length)),
        columns: columns.map(diffColumn),
      };
    }
    case "unary": {
      const value = evaluateNode(node.operand, ctx, at);
      const fn = UNARY[node.op];
      return {
        ...value,
        columns:
          typeof value.columns === "number" ? fn(value.columns) : mapColumns(value.columns, fn),
      };
    }
    case "binary": {
      const fn = BINARY[node.op];
      const nodes = [node.left, node.right];
      const values = nodes.map((n) => evaluateNode(n, ctx, at));
      return combine(nodes, values, ctx, (args) => fn(args[0]!, args[1]!));
    }
    case "clip": {
      const nodes = node.max ? [node.operand, node.min, node.max] : [node.operand, node.min];
      const values = nodes.map((n) => evaluateNode(n, ctx, at));
      const clip = node.max
        ? (args: Float64Array) => Math.min(Math.max(args[0]!, args[1]!), args[2]!)
        : (args: Float64Array) => Math.max(args[0]!, args[1]!);
      return combine(nodes, values, ctx, clip);
    }
  }
}

/**
 * Evaluates `node` over `grid`, whose columns are the series of `references`
 * (in that order). Errors (rolling window too long, operands with different
 * times) are UnaggregableTimeseriesError carrying the references as detail.
 */
export function evaluateOperation(
  node: OperationNode,
  grid: Grid,
  references: readonly MetricRef[],
): Evaluated {
  const ctx: Context = {
    references,
    grid,
    detail: references.map((r) => [r.ref, r.method]),
  };
  const start: Evaluated = {
    granularity: grid.granularity,
    timestamps: grid.timestamps,
    columns: grid.columns,
  };
  return evaluateNode(node, ctx, start);
}
