import { describe, expect, it } from "vitest";
import {
  parseSExpression,
  SExpressionSyntaxError,
} from "../../../src/carbonara/aggregates/sexpr.js";

describe("S-expression operations (spec rest §10.1)", () => {
  it("splits tokens on whitespace and nests on parentheses", () => {
    expect(parseSExpression("(aggregate mean (metric (ID1 mean) (ID2 mean)))")).toEqual([
      "aggregate",
      "mean",
      ["metric", ["ID1", "mean"], ["ID2", "mean"]],
    ]);
    expect(parseSExpression("  (+\n\t(metric a mean)   2.0 )")).toEqual([
      "+",
      ["metric", "a", "mean"],
      "2.0",
    ]);
  });

  it("keeps numbers and symbols as string tokens", () => {
    expect(parseSExpression("(rolling mean 2 (>= x -1.5e3))")).toEqual([
      "rolling",
      "mean",
      "2",
      [">=", "x", "-1.5e3"],
    ]);
  });

  it("ignores what follows the first expression (an extra ')' included)", () => {
    expect(parseSExpression("(- (metric a mean) (metric b mean)))")).toEqual([
      "-",
      ["metric", "a", "mean"],
      ["metric", "b", "mean"],
    ]);
    expect(parseSExpression("(a) (b)")).toEqual(["a"]);
  });

  it("parses empty and unicode-operator expressions", () => {
    expect(parseSExpression("()")).toEqual([]);
    expect(parseSExpression("(≥ (metric a mean) 3)")).toEqual(["≥", ["metric", "a", "mean"], "3"]);
  });

  it("keeps a complete quoted string as one token, quotes included", () => {
    expect(parseSExpression(`(metric "a b" mean)`)).toEqual(["metric", `"a b"`, "mean"]);
    expect(parseSExpression("(metric 'x(y)' mean)")).toEqual(["metric", "'x(y)'", "mean"]);
    // An unterminated quote is an ordinary character.
    expect(parseSExpression(`(metric a"b mean)`)).toEqual(["metric", `a"b`, "mean"]);
  });

  it("reports a missing ')' like pyparsing", () => {
    expect(() => parseSExpression("(metroc foo bar")).toThrow(
      new SExpressionSyntaxError("Expected ')', found end of text  (at char 15), (line:1, col:16)"),
    );
    expect(() => parseSExpression("(a\n(b c)")).toThrow(
      "Expected ')', found end of text  (at char 8), (line:2, col:6)",
    );
  });

  it("reports a missing '(' like pyparsing", () => {
    expect(() => parseSExpression("metric a mean")).toThrow(
      "Expected '(', found 'metric'  (at char 0), (line:1, col:1)",
    );
    expect(() => parseSExpression("  )")).toThrow(
      "Expected '(', found ')'  (at char 2), (line:1, col:3)",
    );
    expect(() => parseSExpression("")).toThrow(
      "Expected '(', found end of text  (at char 0), (line:1, col:1)",
    );
  });

  it("survives deep nesting", () => {
    const depth = 20_000;
    const text = `${"(abs ".repeat(depth)}(metric a mean)${")".repeat(depth)}`;
    let node: unknown = parseSExpression(text);
    for (let i = 0; i < depth; i++) node = (node as unknown[])[1];
    expect(node).toEqual(["metric", "a", "mean"]);
  });
});
