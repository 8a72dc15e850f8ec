import { describe, expect, it } from "vitest";
import {
  BINARY_OPERATORS,
  extractReferences,
  isAggregatedTree,
  type OperationNode,
  toOperationJson,
  UNARY_OPERATORS,
} from "../../../src/carbonara/aggregates/operations.js";
import {
  MAX_OPERATION_DEPTH,
  parseOperations,
  pythonFloat,
} from "../../../src/carbonara/aggregates/parse.js";
import { CROSS_AGGREGATION_METHODS } from "../../../src/carbonara/aggregates/reducers.js";
import { InvalidOperationError } from "../../../src/carbonara/errors.js";

const metric = ["metric", "A", "mean"];

function failure(operations: unknown): InvalidOperationError {
  try {
    parseOperations(operations);
  } catch (e) {
    if (e instanceof InvalidOperationError) return e;
    throw e;
  }
  throw new Error("expected the operations to be rejected");
}

/** The reason of an "Invalid input" schema error (detail is always ["operations"]). */
function schemaError(operations: unknown): string {
  const e = failure(operations);
  expect(e.description.cause).toBe("Invalid input");
  expect(e.description.detail).toEqual(["operations"]);
  return e.description.reason!;
}

describe("metric nodes (spec rest §10.2)", () => {
  it("accepts the single and the list forms", () => {
    expect(parseOperations(["metric", "A", "mean"])).toEqual({
      kind: "metric",
      refs: [{ ref: "A", method: "mean" }],
      listForm: false,
    });
    expect(parseOperations(["metric", ["A", "mean"], ["B", "rate:max"]])).toEqual({
      kind: "metric",
      refs: [
        { ref: "A", method: "mean" },
        { ref: "B", method: "rate:max" },
      ],
      listForm: true,
    });
    expect(parseOperations(["metric", ["A", "95pct"]])).toMatchObject({ listForm: true });
  });

  it("parses the S-expression form to the same tree", () => {
    expect(parseOperations("(metric (A mean) (B mean))")).toEqual(
      parseOperations(["metric", ["A", "mean"], ["B", "mean"]]),
    );
    expect(parseOperations("(aggregate mean (metric A mean))")).toEqual(
      parseOperations(["aggregate", "mean", ["metric", "A", "mean"]]),
    );
  });

  it("rejects ill-formed references", () => {
    for (const bad of [
      ["metric", "A"],
      ["metric", "A", "mean", "max"],
      ["metric", ["A"]],
      ["metric", ["A", "mean"], "B"],
      ["metric", ["A", 1]],
      ["metric", 1, "mean"],
      ["metric", []],
    ]) {
      expect(schemaError(bad)).toBe("'metric' operation invalid");
    }
  });

  it("collects distinct references in order of first appearance", () => {
    const tree = parseOperations([
      "-",
      ["metric", ["B", "mean"], ["A", "mean"], ["B", "mean"]],
      ["metric", "A", "max"],
    ]);
    expect(extractReferences(tree)).toEqual([
      { ref: "B", method: "mean" },
      { ref: "A", method: "mean" },
      { ref: "A", method: "max" },
    ]);
  });
});

describe("operators and aliases", () => {
  it.each(Object.entries(BINARY_OPERATORS))("binary %s → %s", (name, op) => {
    expect(parseOperations([name, metric, 2])).toMatchObject({
      kind: "binary",
      op,
      name,
      right: { kind: "scalar", value: 2 },
    });
  });

  it("covers every alias of the spec", () => {
    expect(Object.keys(BINARY_OPERATORS).sort()).toEqual(
      [
        ...["=", "==", "eq", "<", "lt", ">", "gt", "<=", "≤", "le", ">=", "≥", "ge"],
        ...["!=", "≠", "ne", "%", "mod", "+", "add", "-", "sub", "*", "×", "mul"],
        ...["/", "÷", "div", "**", "^", "pow", "clip_min", "clip_max"],
      ].sort(),
    );
    expect(UNARY_OPERATORS).toEqual({
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
  });

  it.each(Object.entries(UNARY_OPERATORS))("unary %s → %s", (name, op) => {
    expect(parseOperations([name, metric])).toMatchObject({ kind: "unary", op, name });
  });

  it("parses rateofchange and clip with one or two bounds", () => {
    expect(parseOperations(["rateofchange", metric])).toMatchObject({ kind: "rateofchange" });
    expect(parseOperations(["clip", metric, 1])).toMatchObject({
      kind: "clip",
      min: { kind: "scalar", value: 1 },
      max: undefined,
    });
    expect(parseOperations("(clip (metric A mean) -1 1e2)")).toMatchObject({
      kind: "clip",
      min: { kind: "scalar", value: -1 },
      max: { kind: "scalar", value: 100 },
    });
    expect(schemaError(["clip", metric])).toBe("'clip' operation invalid");
    expect(schemaError(["clip", metric, 1, 2, 3])).toBe("'clip' operation invalid");
  });

  it.each(CROSS_AGGREGATION_METHODS)("accepts %s for aggregate, rolling and resample", (m) => {
    expect(parseOperations(["aggregate", m, metric])).toMatchObject({
      kind: "aggregate",
      method: { name: m, rate: m.startsWith("rate:") },
    });
    expect(parseOperations(["rolling", m, 3, metric])).toMatchObject({
      kind: "rolling",
      window: 3,
    });
    expect(parseOperations(["resample", m, 60, metric])).toMatchObject({
      kind: "resample",
      granularity: 60_000_000,
    });
  });

  it("lists the 16 cross-series methods", () => {
    expect(CROSS_AGGREGATION_METHODS).toHaveLength(16);
    expect(CROSS_AGGREGATION_METHODS).toContain("rate:var");
  });

  it("reads resample granularities as timespans", () => {
    expect(parseOperations(["resample", "mean", "1 minute", metric])).toMatchObject({
      granularity: 60_000_000,
    });
    expect(parseOperations("(resample mean 0.5 (metric A mean))")).toMatchObject({
      granularity: 500_000,
    });
    for (const bad of ["invalid", 0, -60, "-1 minute", null]) {
      expect(schemaError(["resample", "mean", bad, metric])).toBe("'resample' operation invalid");
    }
  });

  it("coerces the rolling window like Python int()", () => {
    expect(parseOperations(["rolling", "mean", "2", metric])).toMatchObject({ window: 2 });
    expect(parseOperations(["rolling", "mean", 2.7, metric])).toMatchObject({ window: 2 });
    for (const bad of [0, -1, "2.0", "x", null]) {
      expect(schemaError(["rolling", "mean", bad, metric])).toBe("'rolling' operation invalid");
    }
  });

  it("coerces scalar operands like Python float()", () => {
    expect(pythonFloat("2.0")).toBe(2);
    expect(pythonFloat(" -1_000.5 ")).toBe(-1000.5);
    expect(pythonFloat(".5e1")).toBe(5);
    expect(pythonFloat("5.")).toBe(5);
    expect(pythonFloat("-Infinity")).toBe(Number.NEGATIVE_INFINITY);
    expect(pythonFloat("nan")).toBeNaN();
    expect(pythonFloat(true)).toBe(1);
    for (const bad of ["", "1__0", "_1", "1e", "0x10", "abc", null, {}, []]) {
      expect(pythonFloat(bad)).toBeUndefined();
    }
    expect(parseOperations(["*", "inf", metric])).toMatchObject({
      left: { kind: "scalar", value: Number.POSITIVE_INFINITY },
    });
  });
});

describe("schema error texts (spec rest §10.2)", () => {
  it("rejects an empty operation", () => {
    expect(schemaError([])).toBe("Operation must not be empty");
  });

  it("rejects a non-list with the Python type name", () => {
    expect(schemaError({ foo: "bar" })).toBe("Expected a tuple/list, got a <class 'dict'>");
    expect(schemaError(5)).toBe("Expected a tuple/list, got a <class 'int'>");
    expect(schemaError(5.5)).toBe("Expected a tuple/list, got a <class 'float'>");
    expect(schemaError(null)).toBe("Expected a tuple/list, got a <class 'NoneType'>");
    expect(schemaError(true)).toBe("Expected a tuple/list, got a <class 'bool'>");
  });

  it("rejects an operation without argument", () => {
    expect(schemaError(["metric"])).toBe("Operation need at least one argument");
    expect(schemaError("(aggregate)")).toBe("Operation need at least one argument");
  });

  it("names the top-level operator when anything is wrong", () => {
    expect(schemaError("(rolling blah 2 (metric A mean))")).toBe("'rolling' operation invalid");
    expect(schemaError("(rolling mean (metric A mean))")).toBe("'rolling' operation invalid");
    expect(schemaError("(notexist (absolute (metric A mean)))")).toBe(
      "'notexist' operation invalid",
    );
    expect(schemaError("(absolute (notexist (metric A mean)))")).toBe(
      "'absolute' operation invalid",
    );
    expect(schemaError(["aggregate", "95pct", metric])).toBe("'aggregate' operation invalid");
    expect(schemaError(["aggregate", "mean", metric, metric])).toBe(
      "'aggregate' operation invalid",
    );
    expect(schemaError(["+", metric, "two"])).toBe("'+' operation invalid");
    expect(schemaError(["+", metric, []])).toBe("'+' operation invalid");
    expect(schemaError(["abs", metric, 1])).toBe("'abs' operation invalid");
    expect(schemaError([5, metric])).toBe("'5' operation invalid");
    expect(schemaError(["toString", metric])).toBe("'toString' operation invalid");
  });

  it("does not accept a bare scalar at the top level", () => {
    expect(schemaError(["abs", 1, 2])).toBe("'abs' operation invalid");
    expect(schemaError("(2 3)")).toBe("'2' operation invalid");
  });

  it("rejects trees deeper than the limit instead of overflowing the stack", () => {
    let deep: unknown = metric;
    for (let i = 0; i < MAX_OPERATION_DEPTH + 1; i++) deep = ["abs", deep];
    expect(schemaError(deep)).toBe("'abs' operation invalid");
    let ok: unknown = metric;
    for (let i = 0; i < MAX_OPERATION_DEPTH - 1; i++) ok = ["abs", ok];
    expect(parseOperations(ok).kind).toBe("unary");
  });

  it("reports an unparsable string with the parser message", () => {
    const e = failure("(metroc foo bar");
    expect(e.description).toEqual({
      cause: "Invalid operations",
      reason: "Fail to parse the operations string",
      detail: "Expected ')', found end of text  (at char 15), (line:1, col:16)",
    });
  });

  it("requires at least one metric", () => {
    const e = failure(["+", 1, ["abs", 2]]);
    expect(e.description).toEqual({
      cause: "Operations is invalid",
      reason: "At least one 'metric' is required",
      detail: ["+", 1, ["abs", 2]],
    });
    expect(failure("(+ 1 2)").description.reason).toBe("At least one 'metric' is required");
  });

  it("prefixes schema messages with 'Invalid input' for plain-text bodies", () => {
    expect(failure([]).message).toBe("Invalid input: Operation must not be empty");
  });
});

describe("the aggregated result rule (spec rest §10.6)", () => {
  const aggregated = (ops: unknown) => isAggregatedTree(parseOperations(ops) as OperationNode);

  it("is aggregated with an aggregate anywhere", () => {
    expect(aggregated(["aggregate", "mean", metric])).toBe(true);
    expect(aggregated(["abs", ["rolling", "sum", 2, ["aggregate", "max", metric]]])).toBe(true);
  });

  it("is aggregated when a binary or ternary op combines two series", () => {
    expect(aggregated(["-", metric, ["metric", "B", "mean"]])).toBe(true);
    expect(aggregated(["clip", metric, ["metric", "B", "mean"], 10])).toBe(true);
  });

  it("is per-reference otherwise", () => {
    expect(aggregated(metric)).toBe(false);
    expect(aggregated(["+", metric, 2])).toBe(false);
    expect(aggregated(["*", ["+", 1, 2], ["rolling", "mean", 2, metric]])).toBe(false);
    expect(aggregated(["clip", metric, 0, 10])).toBe(false);
    expect(aggregated(["resample", "mean", 60, ["rateofchange", metric]])).toBe(false);
  });
});

describe("toOperationJson", () => {
  it("renders the validated list form", () => {
    const tree = parseOperations(
      "(resample mean 60 (rolling max 2 (clip (metric (A mean) (B max)) 0 10)))",
    );
    expect(toOperationJson(tree)).toEqual([
      "resample",
      "mean",
      60,
      ["rolling", "max", 2, ["clip", ["metric", ["A", "mean"], ["B", "max"]], 0, 10]],
    ]);
  });
});
