import { InvalidOperationError, InvalidTimespanError } from "../errors.js";
import type { Micros } from "../time.js";
import { parsePositiveTimespan } from "../timespan.js";
import {
  BINARY_OPERATORS,
  extractReferences,
  type MetricRef,
  type OperationNode,
  toOperationJson,
  UNARY_OPERATORS,
} from "./operations.js";
import { pythonStr, pythonTypeName } from "./python-format.js";
import { type CrossMethod, parseCrossMethod } from "./reducers.js";
import { parseSExpression, SExpressionSyntaxError } from "./sexpr.js";

/**
 * Validation of `/v1/aggregates` operations (spec rest §10.1, §10.2) into the
 * typed tree, with Gnocchi's error texts. Gnocchi validates with a voluptuous
 * `Any` over the node shapes, whose reported error is always the one of its
 * first alternative (the `metric` schema) applied to the top-level node, so:
 *
 * * top level not a list → `Expected a tuple/list, got a <class '…'>`;
 * * `[]` → `Operation must not be empty`; one element → `Operation need at
 *   least one argument`;
 * * anything else wrong, at any depth → `'<top-level operator>' operation invalid`.
 *
 * Below the top level a node may also be a scalar: a number or a string
 * Python's `float()` accepts (S-expression tokens are strings: `"2.0"`).
 */

/** Python `float()` of a string: optional sign, digits with `_` separators, exponent, inf/nan. */
const PY_FLOAT =
  /^[+-]?(?:(?:\d(?:_?\d)*)?\.\d(?:_?\d)*(?:[eE][+-]?\d(?:_?\d)*)?|\d(?:_?\d)*\.?(?:[eE][+-]?\d(?:_?\d)*)?|inf(?:inity)?|nan)$/i;

/** Python `float(v)` for a JSON value or token; undefined where Python raises. */
export function pythonFloat(value: unknown): number | undefined {
  if (typeof value === "number") return value;
  if (typeof value === "boolean") return value ? 1 : 0;
  if (typeof value !== "string") return undefined;
  const text = value.trim();
  if (!PY_FLOAT.test(text)) return undefined;
  const lower = text.toLowerCase().replace(/_/g, "");
  const sign = lower.startsWith("-") ? -1 : 1;
  const unsigned = lower.replace(/^[+-]/, "");
  if (unsigned.startsWith("inf")) return sign * Number.POSITIVE_INFINITY;
  if (unsigned === "nan") return Number.NaN;
  return Number(lower);
}

/** Python `int(v)` for a JSON value or token; undefined where Python raises. */
function pythonInt(value: unknown): number | undefined {
  if (typeof value === "number") return Number.isFinite(value) ? Math.trunc(value) : undefined;
  if (typeof value === "boolean") return value ? 1 : 0;
  if (typeof value !== "string") return undefined;
  const text = value.trim();
  if (!/^[+-]?\d(?:_?\d)*$/.test(text)) return undefined;
  return Number(text.replace(/_/g, ""));
}

/** Marks an invalid sub-tree; turned into the top-level error by `validateTopLevel`. */
class Invalid extends Error {}

function methodOf(value: unknown): CrossMethod {
  const method = typeof value === "string" ? parseCrossMethod(value) : undefined;
  if (!method) throw new Invalid();
  return method;
}

function isRefPair(value: unknown): value is [string, string] {
  return (
    Array.isArray(value) &&
    value.length === 2 &&
    typeof value[0] === "string" &&
    typeof value[1] === "string"
  );
}

/**
 * Deepest accepted tree. Python's recursion limit (1000) stops the original
 * around there with a 500; here deeper trees are simply invalid.
 */
export const MAX_OPERATION_DEPTH = 500;

class Validator {
  private depth = 0;

  /** A sub-node: a node list or a scalar. */
  subNode(value: unknown): OperationNode {
    if (Array.isArray(value)) {
      if (value.length < 2) throw new Invalid();
      return this.node(value);
    }
    const scalar = pythonFloat(value);
    if (scalar === undefined) throw new Invalid();
    return { kind: "scalar", value: scalar };
  }

  node(v: readonly unknown[]): OperationNode {
    if (++this.depth > MAX_OPERATION_DEPTH) throw new Invalid();
    try {
      return this.shape(v);
    } finally {
      this.depth--;
    }
  }

  private shape(v: readonly unknown[]): OperationNode {
    const op = v[0];
    if (typeof op !== "string") throw new Invalid();
    if (op === "metric") return this.metric(v);
    const binary = BINARY_OPERATORS[op];
    if (binary !== undefined && Object.hasOwn(BINARY_OPERATORS, op)) {
      if (v.length !== 3) throw new Invalid();
      return {
        kind: "binary",
        op: binary,
        name: op,
        left: this.subNode(v[1]),
        right: this.subNode(v[2]),
      };
    }
    const unary = UNARY_OPERATORS[op];
    if (unary !== undefined && Object.hasOwn(UNARY_OPERATORS, op)) {
      if (v.length !== 2) throw new Invalid();
      return { kind: "unary", op: unary, name: op, operand: this.subNode(v[1]) };
    }
    switch (op) {
      case "rateofchange":
        if (v.length !== 2) throw new Invalid();
        return { kind: "rateofchange", operand: this.subNode(v[1]) };
      case "clip":
        if (v.length !== 3 && v.length !== 4) throw new Invalid();
        return {
          kind: "clip",
          operand: this.subNode(v[1]),
          min: this.subNode(v[2]),
          max: v.length === 4 ? this.subNode(v[3]) : undefined,
        };
      case "aggregate":
        if (v.length !== 3) throw new Invalid();
        return { kind: "aggregate", method: methodOf(v[1]), operand: this.subNode(v[2]) };
      case "resample":
        if (v.length !== 4) throw new Invalid();
        return {
          kind: "resample",
          method: methodOf(v[1]),
          granularity: this.timespan(v[2]),
          operand: this.subNode(v[3]),
        };
      case "rolling": {
        if (v.length !== 4) throw new Invalid();
        const window = pythonInt(v[2]);
        if (window === undefined || window < 1) throw new Invalid();
        return { kind: "rolling", method: methodOf(v[1]), window, operand: this.subNode(v[3]) };
      }
      default:
        throw new Invalid();
    }
  }

  /** `["metric", REF, AGG]` or `["metric", [REF, AGG], ...]`, strings only. */
  metric(v: readonly unknown[]): OperationNode {
    const args = v.slice(1);
    if (args.length === 2 && typeof args[0] === "string" && typeof args[1] === "string") {
      return { kind: "metric", refs: [{ ref: args[0], method: args[1] }], listForm: false };
    }
    if (args.length === 0 || !args.every(isRefPair)) throw new Invalid();
    const refs: MetricRef[] = (args as [string, string][]).map(([ref, method]) => ({
      ref,
      method,
    }));
    return { kind: "metric", refs, listForm: true };
  }

  /** Gnocchi's `to_timespan`: `float()` seconds first, then the timespan grammar; must be > 0. */
  timespan(value: unknown): Micros {
    try {
      return parsePositiveTimespan(value);
    } catch (e) {
      if (e instanceof InvalidTimespanError) throw new Invalid();
      throw e;
    }
  }
}

function validateTopLevel(value: unknown): OperationNode {
  if (!Array.isArray(value)) {
    throw new InvalidOperationError(`Expected a tuple/list, got a ${pythonTypeName(value)}`);
  }
  if (value.length === 0) throw new InvalidOperationError("Operation must not be empty");
  if (value.length < 2) throw new InvalidOperationError("Operation need at least one argument");
  try {
    return new Validator().node(value);
  } catch (e) {
    if (e instanceof Invalid) {
      throw new InvalidOperationError(`'${pythonStr(value[0])}' operation invalid`);
    }
    throw e;
  }
}

/**
 * Parses and validates the `operations` of a `/v1/aggregates` body: a JSON
 * array tree or its S-expression string. Throws InvalidOperationError with
 * Gnocchi's description: cause "Invalid operations" when the string does not
 * parse, "Invalid input" for schema errors, "Operations is invalid" with
 * reason "At least one 'metric' is required" when no `metric` node is left.
 */
export function parseOperations(operations: unknown): OperationNode {
  let tree = operations;
  if (typeof operations === "string") {
    try {
      tree = parseSExpression(operations);
    } catch (e) {
      if (e instanceof SExpressionSyntaxError) {
        throw new InvalidOperationError(
          "Fail to parse the operations string",
          "Invalid operations",
          e.message,
        );
      }
      throw e;
    }
  }
  const node = validateTopLevel(tree);
  if (extractReferences(node).length === 0) {
    throw new InvalidOperationError(
      "At least one 'metric' is required",
      "Operations is invalid",
      toOperationJson(node),
    );
  }
  return node;
}
