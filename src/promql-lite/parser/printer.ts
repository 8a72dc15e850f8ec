/**
 * Prints an AST back to PromQL in Prometheus' canonical form (the String()
 * methods of promql/parser/printer.go): `sum by (job) (rate(x[5m]))`,
 * `a / on (k) group_left (l) b`, `foo{a="b"} offset 5m @ 100.000`.
 * Parsing the printed text gives the same tree.
 */
import type { LabelMatcher } from "../../indexer/label-index.js";
import type { AtModifier, Expr, VectorMatching, VectorSelector } from "./ast.js";
import { formatDuration } from "./duration.js";

export function exprToString(e: Expr): string {
  switch (e.type) {
    case "NumberLiteral":
      return formatNumber(e.value);
    case "StringLiteral":
      return JSON.stringify(e.value);
    case "VectorSelector":
      return selectorToString(e) + modifiers(e.offset, e.at);
    case "MatrixSelector":
      return `${selectorToString(e.selector)}[${formatDuration(e.range)}]${modifiers(e.selector.offset, e.selector.at)}`;
    case "SubqueryExpr":
      return `${exprToString(e.expr)}[${formatDuration(e.range)}:${e.step === 0 ? "" : formatDuration(e.step)}]${modifiers(e.offset, e.at)}`;
    case "Call":
      return `${e.func}(${e.args.map(exprToString).join(", ")})`;
    case "AggregateExpr": {
      let s = e.op;
      if (e.hasGrouping) s += ` ${e.without ? "without" : "by"} (${e.grouping.join(", ")}) `;
      const args =
        e.param === null
          ? exprToString(e.expr)
          : `${exprToString(e.param)}, ${exprToString(e.expr)}`;
      return `${s}(${args})`;
    }
    case "BinaryExpr":
      return `${exprToString(e.lhs)} ${e.op}${e.returnBool ? " bool" : ""}${matchingToString(e.matching)} ${exprToString(e.rhs)}`;
    case "UnaryExpr":
      return `${e.op}${exprToString(e.expr)}`;
    case "ParenExpr":
      return `(${exprToString(e.expr)})`;
  }
}

function matchingToString(m: VectorMatching | null): string {
  if (m === null) return "";
  let s = "";
  if (m.explicit || m.labels.length > 0)
    s += ` ${m.on ? "on" : "ignoring"} (${m.labels.join(", ")})`;
  if (m.card === "many-to-one" || m.card === "one-to-many") {
    s += ` ${m.card === "many-to-one" ? "group_left" : "group_right"}`;
    if (m.include.length > 0) s += ` (${m.include.join(", ")})`;
  }
  return s;
}

function selectorToString(vs: VectorSelector): string {
  const rest = vs.matchers.filter(
    (m) => !(vs.name !== "" && m.name === "__name__" && m.op === "=" && m.value === vs.name),
  );
  if (vs.name !== "" && rest.length === 0) return vs.name;
  return `${vs.name}{${rest.map(matcherToString).join(", ")}}`;
}

function matcherToString(m: LabelMatcher): string {
  return `${m.name}${m.op}${JSON.stringify(m.value)}`;
}

function modifiers(offset: number, at: AtModifier | null): string {
  let s = "";
  if (at !== null) {
    if (at.kind === "time") s += ` @ ${(at.ms / 1000).toFixed(3)}`;
    else s += ` @ ${at.kind}()`;
  }
  if (offset !== 0) s += ` offset ${formatDuration(offset)}`;
  return s;
}

function formatNumber(v: number): string {
  if (Number.isNaN(v)) return "NaN";
  if (v === Number.POSITIVE_INFINITY) return "+Inf";
  if (v === Number.NEGATIVE_INFINITY) return "-Inf";
  return String(v);
}
