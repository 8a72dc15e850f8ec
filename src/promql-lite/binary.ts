/**
 * Binary operators (Prometheus' engine.go VectorBinop, VectorAnd/Or/Unless,
 * VectorscalarBinop, scalarBinop; 2.42) over all steps at once. Match
 * signatures are computed once per series; which series pair up is decided
 * per step, because series come and go between steps and Prometheus' errors
 * (duplicate match groups, ambiguous matches) are per step.
 */
import { ExecutionError } from "./errors.js";
import {
  dropMetricName,
  type Labels,
  labelsKey,
  labelsToString,
  METRIC_NAME,
  matchSignature,
  withoutLabels,
} from "./labels.js";
import { type BinaryOp, COMPARISON_OPS, type VectorMatching } from "./parser/ast.js";
import { mergeSameLabels, newSeries, type StepSeries } from "./value.js";

/** Go's math.Pow where it differs from `**` (1 ** NaN, (-1) ** ±Inf). */
function goPow(x: number, y: number): number {
  if (y === 0 || x === 1) return 1;
  if (x === -1 && (y === Number.POSITIVE_INFINITY || y === Number.NEGATIVE_INFINITY)) return 1;
  return x ** y;
}

/** Arithmetic result, or for comparisons 1/0 (whether the comparison holds). */
export function arith(op: BinaryOp, l: number, r: number): number {
  switch (op) {
    case "+":
      return l + r;
    case "-":
      return l - r;
    case "*":
      return l * r;
    case "/":
      return l / r;
    case "%":
      return l % r;
    case "^":
      return goPow(l, r);
    case "atan2":
      return Math.atan2(l, r);
    case "==":
      return l === r ? 1 : 0;
    case "!=":
      return l !== r ? 1 : 0;
    case "<":
      return l < r ? 1 : 0;
    case "<=":
      return l <= r ? 1 : 0;
    case ">":
      return l > r ? 1 : 0;
    case ">=":
      return l >= r ? 1 : 0;
    default:
      throw new Error(`operator ${op} is not arithmetic`);
  }
}

/** Arithmetic operators drop `__name__` (atan2 and comparisons do not, in 2.42). */
function dropsName(op: BinaryOp): boolean {
  return op === "+" || op === "-" || op === "*" || op === "/" || op === "%" || op === "^";
}

export function scalarScalar(op: BinaryOp, l: Float64Array, r: Float64Array): Float64Array {
  const out = new Float64Array(l.length);
  for (let i = 0; i < l.length; i++) out[i] = arith(op, l[i]!, r[i]!);
  return out;
}

/** vector op scalar, or scalar op vector when `scalarLeft`. */
export function vectorScalar(
  op: BinaryOp,
  vector: readonly StepSeries[],
  scalar: Float64Array,
  scalarLeft: boolean,
  returnBool: boolean,
): StepSeries[] {
  const comparison = COMPARISON_OPS.has(op);
  const dropName = dropsName(op) || returnBool;
  const out: StepSeries[] = [];
  for (const s of vector) {
    const steps = s.values.length;
    const o = newSeries(dropName ? dropMetricName(s.labels) : s.labels, steps);
    let any = false;
    for (let i = 0; i < steps; i++) {
      if (s.present[i] === 0) continue;
      const v = s.values[i]!;
      const sc = scalar[i]!;
      const r = scalarLeft ? arith(op, sc, v) : arith(op, v, sc);
      if (comparison) {
        if (returnBool) o.values[i] = r;
        else if (r === 0) continue;
        else o.values[i] = v;
      } else o.values[i] = r;
      o.present[i] = 1;
      any = true;
    }
    if (any) out.push(o);
  }
  return dropName ? mergeSameLabels(out) : out;
}

/** Numbers each distinct signature of both sides. */
function signatures(
  lhs: readonly StepSeries[],
  rhs: readonly StepSeries[],
  matching: VectorMatching,
): { l: Int32Array; r: Int32Array; count: number } {
  const ids = new Map<string, number>();
  const number = (series: readonly StepSeries[]) => {
    const out = new Int32Array(series.length);
    series.forEach((s, i) => {
      const key = matchSignature(s.labels, matching.on, matching.labels);
      let id = ids.get(key);
      if (id === undefined) {
        id = ids.size;
        ids.set(key, id);
      }
      out[i] = id;
    });
    return out;
  };
  const l = number(lhs);
  const r = number(rhs);
  return { l, r, count: ids.size };
}

/** and / or / unless. */
export function setOperation(
  op: BinaryOp,
  lhs: readonly StepSeries[],
  rhs: readonly StepSeries[],
  matching: VectorMatching,
  steps: number,
): StepSeries[] {
  const sig = signatures(lhs, rhs, matching);
  // stamp[sig] === step + 1 when that signature is present on the other side at this step.
  const stamp = new Int32Array(sig.count);
  const lhsOut = lhs.map((s) => newSeries(s.labels, steps));
  const rhsOut = op === "or" ? rhs.map((s) => newSeries(s.labels, steps)) : [];
  for (let i = 0; i < steps; i++) {
    const mark = i + 1;
    if (op === "or") {
      for (let j = 0; j < lhs.length; j++) {
        const s = lhs[j]!;
        if (s.present[i] === 0) continue;
        stamp[sig.l[j]!] = mark;
        lhsOut[j]!.present[i] = 1;
        lhsOut[j]!.values[i] = s.values[i]!;
      }
      for (let j = 0; j < rhs.length; j++) {
        const s = rhs[j]!;
        if (s.present[i] === 0 || stamp[sig.r[j]!] === mark) continue;
        rhsOut[j]!.present[i] = 1;
        rhsOut[j]!.values[i] = s.values[i]!;
      }
      continue;
    }
    for (let j = 0; j < rhs.length; j++) if (rhs[j]!.present[i] === 1) stamp[sig.r[j]!] = mark;
    for (let j = 0; j < lhs.length; j++) {
      const s = lhs[j]!;
      if (s.present[i] === 0) continue;
      const matched = stamp[sig.l[j]!] === mark;
      if (matched !== (op === "and")) continue;
      lhsOut[j]!.present[i] = 1;
      lhsOut[j]!.values[i] = s.values[i]!;
    }
  }
  const all = [...lhsOut, ...rhsOut].filter((s) => s.present.includes(1));
  return mergeSameLabels(all);
}

/** Arithmetic and comparison between two instant vectors. */
export function vectorVector(
  op: BinaryOp,
  lhsIn: readonly StepSeries[],
  rhsIn: readonly StepSeries[],
  matching: VectorMatching,
  returnBool: boolean,
  steps: number,
): StepSeries[] {
  const swapped = matching.card === "one-to-many";
  // The loop below always walks the "many" side (or either side for one-to-one) as `lhs`.
  const lhs = swapped ? rhsIn : lhsIn;
  const rhs = swapped ? lhsIn : rhsIn;
  const sig = signatures(lhs, rhs, matching);
  const rhsAt = new Int32Array(sig.count);
  const rhsStamp = new Int32Array(sig.count);
  const matchedStamp = new Int32Array(sig.count);
  const comparison = COMPARISON_OPS.has(op);
  const oneToOne = matching.card === "one-to-one";
  // Output series per (lhs, rhs) pair; labels depend on the "one" side only through group_x labels.
  const outByPair = new Map<number, StepSeries>();
  const outByKey = new Map<string, StepSeries>();
  const writtenBySig = new Map<StepSeries, number>();
  const out: StepSeries[] = [];
  for (let i = 0; i < steps; i++) {
    const mark = i + 1;
    for (let j = 0; j < rhs.length; j++) {
      const s = rhs[j]!;
      if (s.present[i] === 0) continue;
      const sg = sig.r[j]!;
      if (rhsStamp[sg] === mark) {
        const dup = rhs[rhsAt[sg]!]!;
        const matched = matching.on
          ? pick(s.labels, matching.labels)
          : withoutLabels(s.labels, new Set([...matching.labels, METRIC_NAME]));
        throw new ExecutionError(
          `found duplicate series for the match group ${labelsToString(matched)} on the ${swapped ? "left" : "right"} hand-side of the operation: [${labelsToString(s.labels)}, ${labelsToString(dup.labels)}];many-to-many matching not allowed: matching labels must be unique on one side`,
        );
      }
      rhsStamp[sg] = mark;
      rhsAt[sg] = j;
    }
    for (let j = 0; j < lhs.length; j++) {
      const ls = lhs[j]!;
      if (ls.present[i] === 0) continue;
      const sg = sig.l[j]!;
      if (rhsStamp[sg] !== mark) continue;
      const r = rhsAt[sg]!;
      const rs = rhs[r]!;
      const vl = swapped ? rs.values[i]! : ls.values[i]!;
      const vr = swapped ? ls.values[i]! : rs.values[i]!;
      let value = arith(op, vl, vr);
      if (comparison && !returnBool) {
        if (value === 0) continue;
        value = vl;
      }
      if (oneToOne) {
        if (matchedStamp[sg] === mark)
          throw new ExecutionError(
            "multiple matches for labels: many-to-one matching must be explicit (group_left/group_right)",
          );
        matchedStamp[sg] = mark;
      }
      const pairKey = oneToOne ? j : j * rhs.length + r;
      let o = outByPair.get(pairKey);
      if (o === undefined) {
        const labels = resultLabels(ls.labels, rs.labels, op, matching, returnBool);
        const key = labelsKey(labels);
        o = outByKey.get(key);
        if (o === undefined) {
          o = newSeries(labels, steps);
          outByKey.set(key, o);
          out.push(o);
        }
        outByPair.set(pairKey, o);
      }
      if (o.present[i] === 1) {
        throw new ExecutionError(
          !oneToOne && writtenBySig.get(o) === sg
            ? "multiple matches for labels: grouping labels must ensure unique matches"
            : "vector cannot contain metrics with the same labelset",
        );
      }
      writtenBySig.set(o, sg);
      o.present[i] = 1;
      o.values[i] = value;
    }
  }
  return out;
}

function pick(labels: Labels, names: readonly string[]): Labels {
  const out: Record<string, string> = {};
  for (const n of names) if (labels[n] !== undefined) out[n] = labels[n]!;
  return out;
}

/** Prometheus' resultMetric: the "many" side's labels, adjusted by the operator and matching. */
function resultLabels(
  lhs: Labels,
  rhs: Labels,
  op: BinaryOp,
  matching: VectorMatching,
  returnBool: boolean,
): Labels {
  let out: Record<string, string> = { ...lhs };
  if (dropsName(op) || returnBool) delete out[METRIC_NAME];
  if (matching.card === "one-to-one") {
    if (matching.on) {
      const kept: Record<string, string> = {};
      for (const n of matching.labels) if (out[n] !== undefined) kept[n] = out[n]!;
      out = kept;
    } else for (const n of matching.labels) delete out[n];
  }
  for (const n of matching.include) {
    const v = rhs[n];
    if (v !== undefined && v !== "") out[n] = v;
    else delete out[n];
  }
  return out;
}
