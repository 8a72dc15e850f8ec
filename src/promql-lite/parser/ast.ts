/**
 * The PromQL syntax tree (Prometheus' promql/parser/ast.go). Every node
 * carries its position range in the query text; times and durations are
 * milliseconds.
 */
import type { LabelMatcher } from "../../indexer/label-index.js";
import type { PositionRange } from "../errors.js";

export type ValueType = "scalar" | "vector" | "matrix" | "string";

/** Human names used in type errors, as Prometheus prints them. */
export const VALUE_TYPE_NAMES: Readonly<Record<ValueType, string>> = {
  scalar: "scalar",
  vector: "instant vector",
  matrix: "range vector",
  string: "string",
};

export type BinaryOp =
  | "+"
  | "-"
  | "*"
  | "/"
  | "%"
  | "^"
  | "atan2"
  | "=="
  | "!="
  | "<"
  | "<="
  | ">"
  | ">="
  | "and"
  | "or"
  | "unless";

export type AggregateOp =
  | "sum"
  | "avg"
  | "count"
  | "min"
  | "max"
  | "group"
  | "stddev"
  | "stdvar"
  | "topk"
  | "bottomk"
  | "count_values"
  | "quantile";

/** `@ <timestamp>`, `@ start()` or `@ end()` (resolved against the query's range). */
export type AtModifier =
  | { readonly kind: "time"; readonly ms: number }
  | { readonly kind: "start" }
  | { readonly kind: "end" };

export interface NumberLiteral {
  readonly type: "NumberLiteral";
  readonly value: number;
  readonly pos: PositionRange;
}

export interface StringLiteral {
  readonly type: "StringLiteral";
  readonly value: string;
  readonly pos: PositionRange;
}

export interface VectorSelector {
  readonly type: "VectorSelector";
  /** The metric name when written outside braces (`foo{…}`), else "". */
  readonly name: string;
  /** All matchers, including the `__name__` one derived from `name`. */
  readonly matchers: readonly LabelMatcher[];
  readonly offset: number;
  readonly at: AtModifier | null;
  readonly pos: PositionRange;
}

export interface MatrixSelector {
  readonly type: "MatrixSelector";
  readonly selector: VectorSelector;
  readonly range: number;
  readonly pos: PositionRange;
}

export interface SubqueryExpr {
  readonly type: "SubqueryExpr";
  readonly expr: Expr;
  readonly range: number;
  /** 0 when omitted (`[1h:]`): the engine's default subquery step. */
  readonly step: number;
  readonly offset: number;
  readonly at: AtModifier | null;
  readonly pos: PositionRange;
}

export interface Call {
  readonly type: "Call";
  readonly func: string;
  readonly args: readonly Expr[];
  readonly pos: PositionRange;
}

export interface AggregateExpr {
  readonly type: "AggregateExpr";
  readonly op: AggregateOp;
  readonly expr: Expr;
  readonly param: Expr | null;
  readonly grouping: readonly string[];
  readonly without: boolean;
  /** Whether `by`/`without` was written (`sum by () (x)` differs from `sum(x)` only in print). */
  readonly hasGrouping: boolean;
  readonly pos: PositionRange;
}

export interface VectorMatching {
  readonly card: "one-to-one" | "many-to-one" | "one-to-many" | "many-to-many";
  /** `on(...)` when true, `ignoring(...)` (or nothing) when false. */
  readonly on: boolean;
  readonly labels: readonly string[];
  /** Labels named in group_left/group_right(...), copied from the "one" side. */
  readonly include: readonly string[];
  /** Whether on/ignoring was written (for printing). */
  readonly explicit: boolean;
}

export interface BinaryExpr {
  readonly type: "BinaryExpr";
  readonly op: BinaryOp;
  readonly lhs: Expr;
  readonly rhs: Expr;
  readonly returnBool: boolean;
  /** Null when either side is a scalar. */
  readonly matching: VectorMatching | null;
  readonly pos: PositionRange;
}

export interface UnaryExpr {
  readonly type: "UnaryExpr";
  readonly op: "-" | "+";
  readonly expr: Expr;
  readonly pos: PositionRange;
}

export interface ParenExpr {
  readonly type: "ParenExpr";
  readonly expr: Expr;
  readonly pos: PositionRange;
}

export type Expr =
  | NumberLiteral
  | StringLiteral
  | VectorSelector
  | MatrixSelector
  | SubqueryExpr
  | Call
  | AggregateExpr
  | BinaryExpr
  | UnaryExpr
  | ParenExpr;

export const COMPARISON_OPS: ReadonlySet<BinaryOp> = new Set(["==", "!=", "<", "<=", ">", ">="]);
export const SET_OPS: ReadonlySet<BinaryOp> = new Set(["and", "or", "unless"]);

/** Drops any number of enclosing parentheses. */
export function unwrapParens(e: Expr): Expr {
  let x = e;
  while (x.type === "ParenExpr") x = x.expr;
  return x;
}
