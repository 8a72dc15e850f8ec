/**
 * The PromQL lexer and parser: tokens, the tree for each syntax element,
 * printing and re-parsing (round trip), and error messages with positions.
 */
import { describe, expect, it } from "vitest";
import { ParseError } from "../../src/promql-lite/errors.js";
import type { Expr } from "../../src/promql-lite/parser/ast.js";
import { formatDuration, parseDuration } from "../../src/promql-lite/parser/duration.js";
import { lex } from "../../src/promql-lite/parser/lex.js";
import { parseExpr, typeOf } from "../../src/promql-lite/parser/parse.js";
import { exprToString } from "../../src/promql-lite/parser/printer.js";

/** The tree without positions, for comparing parses of differently written queries. */
function shape(e: Expr): unknown {
  return JSON.parse(JSON.stringify(e, (k, v) => (k === "pos" ? undefined : v)));
}

describe("lexer", () => {
  it("tokenizes numbers, durations, strings, identifiers, keywords and operators", () => {
    const tokens = lex(
      `sum by (job) (rate(http_requests_total{code=~"5..", path!='/x'}[5m] offset 1h30m)) >= bool 0x1F # c`,
    );
    expect(tokens.map((t) => [t.kind, t.text])).toEqual([
      ["keyword", "sum"],
      ["keyword", "by"],
      ["op", "("],
      ["identifier", "job"],
      ["op", ")"],
      ["op", "("],
      ["identifier", "rate"],
      ["op", "("],
      ["identifier", "http_requests_total"],
      ["op", "{"],
      ["identifier", "code"],
      ["op", "=~"],
      ["string", "5.."],
      ["op", ","],
      ["identifier", "path"],
      ["op", "!="],
      ["string", "/x"],
      ["op", "}"],
      ["op", "["],
      ["duration", "5m"],
      ["op", "]"],
      ["keyword", "offset"],
      ["duration", "1h30m"],
      ["op", ")"],
      ["op", ")"],
      ["op", ">="],
      ["keyword", "bool"],
      ["number", "0x1F"],
      ["eof", ""],
    ]);
    expect(tokens.find((t) => t.text === "1h30m")!.num).toBe(5_400_000);
    expect(tokens.find((t) => t.text === "0x1F")!.num).toBe(31);
  });

  it("reads Go string escapes and raw strings", () => {
    const [a, b, c] = lex(`${String.raw`"a\tb\"\x41\u00e9" 'it\'s' `}\`raw\\n\``);
    expect(a!.text).toBe('a\tb"Aé');
    expect(b!.text).toBe("it's");
    expect(c!.text).toBe("raw\\n");
  });

  it("keeps keywords as label names inside braces and reads Inf/NaN as numbers", () => {
    const tokens = lex('foo{and="1", by="2"} + Inf - nan');
    expect(tokens.filter((t) => t.kind === "identifier").map((t) => t.text)).toEqual([
      "foo",
      "and",
      "by",
    ]);
    const nums = tokens.filter((t) => t.kind === "number").map((t) => t.num);
    expect(nums[0]).toBe(Number.POSITIVE_INFINITY);
    expect(nums[1]).toBeNaN();
  });

  it("reads metric names with colons", () => {
    expect(lex("job:rate5m:sum")[0]).toMatchObject({
      kind: "metric_identifier",
      text: "job:rate5m:sum",
    });
  });
});

describe("durations", () => {
  it("parses and prints Prometheus durations", () => {
    expect(parseDuration("1y2w3d4h5m6s7ms")).toBe(
      ((((365 + 14 + 3) * 24 + 4) * 60 + 5) * 60 + 6) * 1000 + 7,
    );
    expect(parseDuration("0")).toBe(0);
    expect(parseDuration("5m1h")).toBeUndefined();
    expect(parseDuration("1.5h")).toBeUndefined();
    expect(formatDuration(5_400_000)).toBe("1h30m");
    expect(formatDuration(-300_000)).toBe("-5m");
    expect(formatDuration(0)).toBe("0s");
  });
});

describe("parser: every syntax element round-trips", () => {
  const cases: Array<[string, string]> = [
    ["foo", "foo"],
    ['foo{a="b",c!="d",e=~"f.*",g!~"h"}', 'foo{a="b", c!="d", e=~"f.*", g!~"h"}'],
    ['{__name__="foo",job="x"}', '{__name__="foo", job="x"}'],
    ["foo[5m]", "foo[5m]"],
    ["foo offset 5m", "foo offset 5m"],
    ["foo offset -1h", "foo offset -1h"],
    ["foo @ 100", "foo @ 100.000"],
    ["foo @ start()", "foo @ start()"],
    ["foo[5m] @ end() offset 1m", "foo[5m] @ end() offset 1m"],
    ["rate(foo[5m])[1h:5m]", "rate(foo[5m])[1h:5m]"],
    ["max_over_time(foo[1h:])", "max_over_time(foo[1h:])"],
    ["sum(foo)[30m:1m] offset 5m @ 50", "sum(foo)[30m:1m] @ 50.000 offset 5m"],
    ["1.5", "1.5"],
    ["-2", "-2"],
    ["+Inf", "+Inf"],
    ["NaN", "NaN"],
    ['"hello"', '"hello"'],
    ["1 + 2 * 3", "1 + 2 * 3"],
    ["(1 + 2) * 3", "(1 + 2) * 3"],
    ["2 ^ 3 ^ 2", "2 ^ 3 ^ 2"],
    ["-foo ^ 2", "-foo ^ 2"],
    ["foo % 3 atan2 bar", "foo % 3 atan2 bar"],
    ["foo > bool 1", "foo > bool 1"],
    ["a == on(x, y) b", "a == on (x, y) b"],
    ["a / ignoring(code) group_left b", "a / ignoring (code) group_left b"],
    ["a * on(k) group_right(l1, l2) b", "a * on (k) group_right (l1, l2) b"],
    ["a and b or c unless d", "a and b or c unless d"],
    ["a and on() b", "a and on () b"],
    ["sum(foo)", "sum(foo)"],
    ["sum by (job) (foo)", "sum by (job) (foo)"],
    ["sum(foo) without (instance)", "sum without (instance) (foo)"],
    ["topk(3, foo)", "topk(3, foo)"],
    ["quantile by (a) (0.9, foo)", "quantile by (a) (0.9, foo)"],
    ['count_values("v", foo)', 'count_values("v", foo)'],
    ["SUM BY (job) (foo)", "sum by (job) (foo)"],
    ['label_join(foo, "d", ",", "a", "b", "c")', 'label_join(foo, "d", ",", "a", "b", "c")'],
    [
      "histogram_quantile(0.99, sum by (le) (rate(h_bucket[5m])))",
      "histogram_quantile(0.99, sum by (le) (rate(h_bucket[5m])))",
    ],
    ["time()", "time()"],
    ["round(foo, 0.5)", "round(foo, 0.5)"],
    ["hour()", "hour()"],
  ];
  for (const [input, printed] of cases) {
    it(input, () => {
      const e = parseExpr(input);
      expect(exprToString(e)).toBe(printed);
      expect(shape(parseExpr(exprToString(e)))).toEqual(shape(e));
    });
  }
});

describe("parser: structure", () => {
  it("gives binary operators Prometheus' precedence and associativity", () => {
    const e = parseExpr("a or b and c == d + e * f ^ g ^ h");
    expect(exprToString(e)).toBe("a or b and c == d + e * f ^ g ^ h");
    const s = shape(e) as { op: string; rhs: { op: string } };
    expect(s.op).toBe("or");
    expect(s.rhs.op).toBe("and");
    const pow = shape(parseExpr("2 ^ 3 ^ 2")) as { lhs: { value: number }; rhs: { op: string } };
    expect(pow.lhs.value).toBe(2);
    expect(pow.rhs.op).toBe("^");
    // Unary minus binds looser than ^ and tighter than *.
    expect((shape(parseExpr("-a ^ 2")) as { type: string }).type).toBe("UnaryExpr");
    expect((shape(parseExpr("-a * 2")) as { type: string; op: string }).op).toBe("*");
  });

  it("derives value types", () => {
    expect(typeOf(parseExpr("1 + 1"))).toBe("scalar");
    expect(typeOf(parseExpr("foo + 1"))).toBe("vector");
    expect(typeOf(parseExpr("foo[5m]"))).toBe("matrix");
    expect(typeOf(parseExpr("rate(foo[5m])[1h:]"))).toBe("matrix");
    expect(typeOf(parseExpr('"x"'))).toBe("string");
    expect(typeOf(parseExpr("scalar(foo)"))).toBe("scalar");
  });

  it("turns the metric name into a __name__ matcher and applies @ and offset to the selector", () => {
    const e = parseExpr('foo{a="b"}[5m] offset 1m @ 10');
    expect(e).toMatchObject({
      type: "MatrixSelector",
      range: 300_000,
      selector: {
        name: "foo",
        matchers: [
          { name: "__name__", op: "=", value: "foo" },
          { name: "a", op: "=", value: "b" },
        ],
        offset: 60_000,
        at: { kind: "time", ms: 10_000 },
      },
    });
  });

  it("accepts RE2 regexes Node's RegExp lacks", () => {
    expect(() => parseExpr('foo{a=~"(?i:pro).*", b=~"((?i)x)y", c=~"(?P<n>a)"}')).not.toThrow();
  });
});

describe("parser: errors name the problem and its position", () => {
  const errors: Array<[string, string]> = [
    ["sum(foo", "1:8: parse error: unclosed left parenthesis"],
    ["foo{a=", "1:7: parse error: unexpected end of input inside braces"],
    ["foo)", "1:4: parse error: unexpected right parenthesis ')'"],
    ["{}", "1:1: parse error: vector selector must contain at least one non-empty matcher"],
    ['{a=~".*"}', "1:1: parse error: vector selector must contain at least one non-empty matcher"],
    ['foo{__name__="bar"}', '1:1: parse error: metric name must not be set twice: "foo" or "bar"'],
    ["1 > 2", "1:3: parse error: comparisons between scalars must use BOOL modifier"],
    ["foo + bool bar", "1:7: parse error: bool modifier can only be used on comparison operators"],
    [
      "foo[5m] + 1",
      "1:1: parse error: binary expression must contain only scalar and instant vector types",
    ],
    ["1 and foo", '1:1: parse error: set operator "and" not allowed in binary scalar expression'],
    ["foo and on(a) group_left bar", '1:1: parse error: no grouping allowed for "and" operation'],
    [
      "foo * on(a) group_left(a) bar",
      '1:5: parse error: label "a" must not occur in ON and GROUP clause at once',
    ],
    ["1 + on(a) foo", "1:1: parse error: vector matching only allowed between instant vectors"],
    [
      "rate(foo)",
      '1:6: parse error: expected type range vector in call to function "rate", got instant vector',
    ],
    [
      "abs(foo[5m])",
      '1:5: parse error: expected type instant vector in call to function "abs", got range vector',
    ],
    ["round()", '1:1: parse error: expected at least 1 argument(s) in call to "round", got 0'],
    [
      "round(foo, 1, 2)",
      '1:1: parse error: expected at most 2 argument(s) in call to "round", got 3',
    ],
    ["time(1)", '1:1: parse error: expected 0 argument(s) in call to "time", got 1'],
    ["nosuch(foo)", '1:1: parse error: unknown function with name "nosuch"'],
    [
      'sort_by_label(foo, "a")',
      '1:1: parse error: function "sort_by_label" is not supported by this engine',
    ],
    [
      "sum(foo[5m])",
      "1:5: parse error: expected type instant vector in aggregation expression, got range vector",
    ],
    [
      "topk(foo)",
      "1:1: parse error: wrong number of arguments for aggregate expression provided, expected 2, got 1",
    ],
    [
      'topk("a", foo)',
      "1:6: parse error: expected type scalar in aggregation parameter, got string",
    ],
    ["sum()", "1:1: parse error: no arguments for aggregate expression provided"],
    ["(foo)[5m]", "1:1: parse error: ranges only allowed for vector selectors"],
    ["foo offset 1m[5m]", "1:1: parse error: no offset modifiers allowed before range"],
    ["foo offset 1m offset 2m", "1:15: parse error: offset may not be set multiple times"],
    ["foo @ 1 @ 2", "1:9: parse error: @ <timestamp> may not be set multiple times"],
    [
      "sum(foo) offset 5m",
      "1:10: parse error: offset modifier must be preceded by an instant vector selector or range vector selector or a subquery",
    ],
    [
      "foo[5m][10m:1m]",
      "1:1: parse error: subquery is only allowed on instant vector, got range vector instead",
    ],
    [
      "foo[5]",
      '1:5: parse error: unexpected number "5" in subquery or range selector, expected duration',
    ],
    [
      "-foo[5m]",
      '1:2: parse error: unary expression only allowed on expressions of type scalar or instant vector, got "range vector"',
    ],
    ['foo{a=~"(?=x)"}', "1:8: parse error: invalid regular expression in label matcher"],
    ["foo $", '1:5: parse error: unexpected character: "$"'],
    ["1 +", "1:4: parse error: unexpected end of input"],
    ["foo bar", '1:5: parse error: unexpected identifier "bar"'],
    ['"unterminated', "1:1: parse error: unterminated quoted string"],
    ["", "1:1: parse error: no expression found in input"],
    ["foo\n  + )", "2:5: parse error: unexpected right parenthesis ')'"],
    ["5m", '1:1: parse error: unexpected duration "5m"'],
  ];
  for (const [query, message] of errors) {
    it(JSON.stringify(query), () => {
      let caught: unknown;
      try {
        parseExpr(query);
      } catch (error) {
        caught = error;
      }
      expect(caught).toBeInstanceOf(ParseError);
      expect((caught as ParseError).type).toBe("bad_data");
      expect((caught as ParseError).message.startsWith(message)).toBe(true);
    });
  }
});
