import type { Micros } from "../time.js";
import type { CrossMethod } from "./reducers.js";

/**
 * The typed operation tree of `/v1/aggregates` (spec rest §10.2), produced by
 * parse.ts from the JSON array tree or the S-expression string, evaluated by
 * evaluate.ts. Operator aliases are resolved to one canonical name here;
 * `name` keeps the spelling the user wrote (for error messages).
 */

/** One `[REF, AGG]` of a `metric` node: a metric id (metric mode) or name pattern (resource mode). */
export interface MetricRef {
  readonly ref: string;
  readonly method: string;
}

export type BinaryOperator =
  | "eq"
  | "lt"
  | "gt"
  | "le"
  | "ge"
  | "ne"
  | "mod"
  | "add"
  | "sub"
  | "mul"
  | "div"
  | "pow"
  | "clip_min"
  | "clip_max";

export type UnaryOperator = "abs" | "neg" | "cos" | "sin" | "tan" | "floor" | "ceil";

/** Every spelling Gnocchi accepts for a binary operator. */
export const BINARY_OPERATORS: Readonly<Record<string, BinaryOperator>> = Object.freeze({
  "=": "eq",
  "==": "eq",
  eq: "eq",
  "<": "lt",
  lt: "lt",
  ">": "gt",
  gt: "gt",
  "<=": "le",
  "≤": "le",
  le: "le",
  ">=": "ge",
  "≥": "ge",
  ge: "ge",
  "!=": "ne",
  "≠": "ne",
  ne: "ne",
  "%": "mod",
  mod: "mod",
  "+": "add",
  add: "add",
  "-": "sub",
  sub: "sub",
  "*": "mul",
  "×": "mul",
  mul: "mul",
  "/": "div",
  "÷": "div",
  div: "div",
  "**": "pow",
  "^": "pow",
  pow: "pow",
  clip_min: "clip_min",
  clip_max: "clip_max",
});

/** Every spelling Gnocchi accepts for an element-wise unary function. */
export const UNARY_OPERATORS: Readonly<Record<string, UnaryOperator>> = Object.freeze({
  abs: "abs",
  absolute: "abs",
  neg: "neg",
  negative: "neg",
  cos: "cos",
  sin: "sin",
  tan: "tan",
  floor: "floor",
  ceil: "ceil",
});

export type OperationNode =
  | MetricNode
  | AggregateNode
  | ResampleNode
  | RollingNode
  | BinaryNode
  | ClipNode
  | UnaryNode
  | RateOfChangeNode
  | ScalarNode;

export interface MetricNode {
  readonly kind: "metric";
  readonly refs: readonly MetricRef[];
  /** `["metric", [REF, AGG], ...]` (true) or `["metric", REF, AGG]` (false). */
  readonly listForm: boolean;
}

export interface AggregateNode {
  readonly kind: "aggregate";
  readonly method: CrossMethod;
  readonly operand: OperationNode;
}

export interface ResampleNode {
  readonly kind: "resample";
  readonly method: CrossMethod;
  readonly granularity: Micros;
  readonly operand: OperationNode;
}

export interface RollingNode {
  readonly kind: "rolling";
  readonly method: CrossMethod;
  readonly window: number;
  readonly operand: OperationNode;
}

export interface BinaryNode {
  readonly kind: "binary";
  readonly op: BinaryOperator;
  readonly name: string;
  readonly left: OperationNode;
  readonly right: OperationNode;
}

/** `["clip", a, min]` or `["clip", a, min, max]`. */
export interface ClipNode {
  readonly kind: "clip";
  readonly operand: OperationNode;
  readonly min: OperationNode;
  readonly max: OperationNode | undefined;
}

export interface UnaryNode {
  readonly kind: "unary";
  readonly op: UnaryOperator;
  readonly name: string;
  readonly operand: OperationNode;
}

export interface RateOfChangeNode {
  readonly kind: "rateofchange";
  readonly operand: OperationNode;
}

export interface ScalarNode {
  readonly kind: "scalar";
  readonly value: number;
}

/** Children of a node, in evaluation order. */
export function childrenOf(node: OperationNode): OperationNode[] {
  switch (node.kind) {
    case "metric":
    case "scalar":
      return [];
    case "binary":
      return [node.left, node.right];
    case "clip":
      return node.max ? [node.operand, node.min, node.max] : [node.operand, node.min];
    default:
      return [node.operand];
  }
}

/** True when the node's value is a series (it holds a `metric` node), false for a scalar. */
export function isSeriesValued(node: OperationNode): boolean {
  return node.kind === "metric" || childrenOf(node).some(isSeriesValued);
}

/**
 * The response shape rule (spec rest §10.6): "aggregated" (one series) when the
 * tree applies `aggregate` anywhere or combines two series in a binary/ternary
 * operation; otherwise one series per reference.
 */
export function isAggregatedTree(node: OperationNode): boolean {
  if (node.kind === "aggregate") return true;
  const children = childrenOf(node);
  if (
    (node.kind === "binary" || node.kind === "clip") &&
    children.filter(isSeriesValued).length >= 2
  ) {
    return true;
  }
  return children.some(isAggregatedTree);
}

/**
 * The distinct `[REF, AGG]` pairs of the tree in order of first appearance,
 * as Gnocchi's `extract_references` (a pair named twice is used once).
 */
export function extractReferences(node: OperationNode): MetricRef[] {
  const seen = new Set<string>();
  const refs: MetricRef[] = [];
  const visit = (n: OperationNode) => {
    if (n.kind === "metric") {
      for (const r of n.refs) {
        const key = JSON.stringify([r.ref, r.method]);
        if (!seen.has(key)) {
          seen.add(key);
          refs.push(r);
        }
      }
    }
    for (const child of childrenOf(n)) visit(child);
  };
  visit(node);
  return refs;
}

/**
 * The tree back in Gnocchi's validated list form (canonical JSON, numbers as
 * numbers, resample granularity in seconds): the `detail` of "At least one
 * 'metric' is required" and the operands in error messages.
 */
export function toOperationJson(node: OperationNode): unknown {
  switch (node.kind) {
    case "metric":
      return node.listForm
        ? ["metric", ...node.refs.map((r) => [r.ref, r.method])]
        : ["metric", node.refs[0]!.ref, node.refs[0]!.method];
    case "aggregate":
      return ["aggregate", node.method.name, toOperationJson(node.operand)];
    case "resample":
      return [
        "resample",
        node.method.name,
        node.granularity / 1_000_000,
        toOperationJson(node.operand),
      ];
    case "rolling":
      return ["rolling", node.method.name, node.window, toOperationJson(node.operand)];
    case "binary":
      return [node.name, toOperationJson(node.left), toOperationJson(node.right)];
    case "clip":
      return [
        "clip",
        toOperationJson(node.operand),
        toOperationJson(node.min),
        ...(node.max ? [toOperationJson(node.max)] : []),
      ];
    case "unary":
      return [node.name, toOperationJson(node.operand)];
    case "rateofchange":
      return ["rateofchange", toOperationJson(node.operand)];
    case "scalar":
      return node.value;
  }
}
