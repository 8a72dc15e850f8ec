/**
 * The PromQL parser (Prometheus' promql/parser/parse.go and generated_parser
 * grammar, as of 2.42): a precedence-climbing parser over the lexer's tokens
 * that builds the AST and type-checks it on the way (argument types and
 * counts, vector matching rules, modifier placement), with Prometheus' error
 * texts and the position of the offending part.
 */
import { compileLabelRegex, type LabelMatcher, type MatchOp } from "../../indexer/label-index.js";
import { ParseError, type PositionRange } from "../errors.js";
import { sourceMatcher } from "../regex.js";
import {
  type AggregateExpr,
  type AggregateOp,
  type AtModifier,
  type BinaryExpr,
  type BinaryOp,
  COMPARISON_OPS,
  type Expr,
  type MatrixSelector,
  SET_OPS,
  type SubqueryExpr,
  unwrapParens,
  VALUE_TYPE_NAMES,
  type ValueType,
  type VectorMatching,
  type VectorSelector,
} from "./ast.js";
import { FUNCTIONS, UNSUPPORTED_FUNCTIONS } from "./functions.js";
import { AGGREGATORS, lex, type Token } from "./lex.js";

const PRECEDENCE: Readonly<Record<string, number>> = {
  or: 1,
  and: 2,
  unless: 2,
  "==": 3,
  "!=": 3,
  "<": 3,
  "<=": 3,
  ">": 3,
  ">=": 3,
  "+": 4,
  "-": 4,
  "*": 5,
  "/": 5,
  "%": 5,
  atan2: 5,
  "^": 6,
};
/** Unary minus binds like `*`: `-a^b` is `-(a^b)`, `-a*b` is `(-a)*b`. */
const UNARY_OPERAND_PRECEDENCE = 6;

const LABEL_NAME_RE = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** Parses and type-checks a query. @throws ParseError */
export function parseExpr(query: string): Expr {
  return new Parser(query).parseQuery();
}

/** The value type an expression evaluates to. */
export function typeOf(e: Expr): ValueType {
  switch (e.type) {
    case "NumberLiteral":
      return "scalar";
    case "StringLiteral":
      return "string";
    case "VectorSelector":
    case "AggregateExpr":
      return "vector";
    case "MatrixSelector":
    case "SubqueryExpr":
      return "matrix";
    case "Call":
      return FUNCTIONS.get(e.func)!.returnType;
    case "BinaryExpr":
      return typeOf(e.lhs) === "scalar" && typeOf(e.rhs) === "scalar" ? "scalar" : "vector";
    case "UnaryExpr":
    case "ParenExpr":
      return typeOf(e.expr);
  }
}

class Parser {
  readonly #query: string;
  readonly #tokens: Token[];
  #i = 0;

  constructor(query: string) {
    this.#query = query;
    this.#tokens = lex(query);
  }

  parseQuery(): Expr {
    if (this.#peek().kind === "eof") this.#fail("no expression found in input", this.#peek());
    const e = this.#expr(0);
    const t = this.#peek();
    if (t.kind !== "eof") this.#fail(`unexpected ${describe(t)}`, t);
    return e;
  }

  // --- tokens ---------------------------------------------------------------

  #peek(offset = 0): Token {
    return this.#tokens[Math.min(this.#i + offset, this.#tokens.length - 1)]!;
  }
  #next(): Token {
    const t = this.#peek();
    if (this.#i < this.#tokens.length - 1) this.#i++;
    return t;
  }
  #isOp(text: string, t = this.#peek()): boolean {
    return t.kind === "op" && t.text === text;
  }
  #isKeyword(text: string, t = this.#peek()): boolean {
    return t.kind === "keyword" && t.text === text;
  }
  #expectOp(text: string, context: string): Token {
    const t = this.#next();
    if (!this.#isOp(text, t))
      this.#fail(`unexpected ${describe(t)} in ${context}, expected "${text}"`, t);
    return t;
  }
  #fail(message: string, at: PositionRange): never {
    throw new ParseError(message, { start: at.start, end: at.end }, this.#query);
  }

  // --- expressions ----------------------------------------------------------

  #binaryOp(t: Token): BinaryOp | undefined {
    if (t.kind === "op" && t.text in PRECEDENCE) return t.text as BinaryOp;
    if (
      t.kind === "keyword" &&
      (t.text === "and" || t.text === "or" || t.text === "unless" || t.text === "atan2")
    )
      return t.text;
    return undefined;
  }

  #expr(minPrecedence: number): Expr {
    let lhs = this.#unary();
    while (true) {
      const opToken = this.#peek();
      const op = this.#binaryOp(opToken);
      if (op === undefined) return lhs;
      const prec = PRECEDENCE[op]!;
      if (prec < minPrecedence) return lhs;
      this.#next();
      let returnBool = false;
      if (this.#isKeyword("bool")) {
        const b = this.#next();
        if (!COMPARISON_OPS.has(op))
          this.#fail("bool modifier can only be used on comparison operators", b);
        returnBool = true;
      }
      const matching = this.#vectorMatching(op);
      const rhs = this.#expr(op === "^" ? prec : prec + 1);
      lhs = this.#checkBinary(op, lhs, rhs, returnBool, matching, opToken);
    }
  }

  #vectorMatching(op: BinaryOp): VectorMatching {
    let on = false;
    let labels: string[] = [];
    let explicit = false;
    let card: VectorMatching["card"] = SET_OPS.has(op) ? "many-to-many" : "one-to-one";
    let include: string[] = [];
    if (this.#isKeyword("on") || this.#isKeyword("ignoring")) {
      on = this.#next().text === "on";
      explicit = true;
      labels = this.#labelList(on ? "on" : "ignoring");
      if (this.#isKeyword("group_left") || this.#isKeyword("group_right")) {
        const g = this.#next();
        card = g.text === "group_left" ? "many-to-one" : "one-to-many";
        if (this.#isOp("(")) include = this.#labelList(g.text);
      }
    } else if (this.#isKeyword("group_left") || this.#isKeyword("group_right")) {
      const g = this.#next();
      this.#fail(`unexpected <${g.text}>`, g);
    }
    return { card, on, labels, include, explicit };
  }

  #checkBinary(
    op: BinaryOp,
    lhs: Expr,
    rhs: Expr,
    returnBool: boolean,
    matching: VectorMatching,
    opToken: Token,
  ): BinaryExpr {
    const pos = { start: lhs.pos.start, end: rhs.pos.end };
    const lt = typeOf(lhs);
    const rt = typeOf(rhs);
    if (COMPARISON_OPS.has(op) && !returnBool && lt === "scalar" && rt === "scalar")
      this.#fail("comparisons between scalars must use BOOL modifier", opToken);
    if (matching.on) {
      for (const l of matching.include) {
        if (matching.labels.includes(l))
          this.#fail(`label "${l}" must not occur in ON and GROUP clause at once`, opToken);
      }
    }
    if (lt !== "scalar" && lt !== "vector")
      this.#fail("binary expression must contain only scalar and instant vector types", lhs.pos);
    if (rt !== "scalar" && rt !== "vector")
      this.#fail("binary expression must contain only scalar and instant vector types", rhs.pos);
    let m: VectorMatching | null = matching;
    if (lt !== "vector" || rt !== "vector") {
      if (matching.labels.length > 0 || matching.include.length > 0)
        this.#fail("vector matching only allowed between instant vectors", pos);
      m = null;
    } else if (SET_OPS.has(op) && matching.card !== "many-to-many") {
      this.#fail(`no grouping allowed for "${op}" operation`, pos);
    }
    if ((lt === "scalar" || rt === "scalar") && SET_OPS.has(op))
      this.#fail(`set operator "${op}" not allowed in binary scalar expression`, pos);
    return { type: "BinaryExpr", op, lhs, rhs, returnBool, matching: m, pos };
  }

  #unary(): Expr {
    const t = this.#peek();
    if (this.#isOp("-") || this.#isOp("+")) {
      this.#next();
      const operand = this.#expr(UNARY_OPERAND_PRECEDENCE);
      const ot = typeOf(operand);
      if (ot !== "scalar" && ot !== "vector")
        this.#fail(
          `unary expression only allowed on expressions of type scalar or instant vector, got "${VALUE_TYPE_NAMES[ot]}"`,
          operand.pos,
        );
      const pos = { start: t.start, end: operand.pos.end };
      // Prometheus folds a sign into a number literal: `-1` is the number -1.
      if (operand.type === "NumberLiteral")
        return {
          type: "NumberLiteral",
          value: t.text === "-" ? -operand.value : operand.value,
          pos,
        };
      return { type: "UnaryExpr", op: t.text as "-" | "+", expr: operand, pos };
    }
    return this.#postfix(this.#primary());
  }

  #primary(): Expr {
    const t = this.#next();
    switch (t.kind) {
      case "number":
        return { type: "NumberLiteral", value: t.num, pos: t };
      case "string":
        return { type: "StringLiteral", value: t.text, pos: t };
      case "duration":
        this.#fail(`unexpected duration "${t.text}"`, t);
        break;
      case "identifier":
      case "metric_identifier":
        if (this.#isOp("(") && t.kind === "identifier") return this.#call(t);
        return this.#vectorSelector(t.text, t);
      case "keyword":
        if (AGGREGATORS.has(t.text)) return this.#aggregate(t);
        this.#fail(`unexpected <${t.text}>`, t);
        break;
      case "op":
        if (t.text === "(") {
          const inner = this.#expr(0);
          const close = this.#next();
          if (!this.#isOp(")", close))
            this.#fail(`unexpected ${describe(close)}, expected ")"`, close);
          return { type: "ParenExpr", expr: inner, pos: { start: t.start, end: close.end } };
        }
        if (t.text === "{") {
          this.#i--;
          return this.#vectorSelector("", t);
        }
        this.#fail(`unexpected ${describe(t)}`, t);
        break;
      case "eof":
        this.#fail("unexpected end of input", t);
    }
    throw new Error("unreachable");
  }

  #postfix(expr: Expr): Expr {
    let e = expr;
    while (true) {
      const t = this.#peek();
      if (this.#isOp("[")) e = this.#rangeOrSubquery(e);
      else if (this.#isKeyword("offset")) e = this.#offset(e);
      else if (this.#isOp("@")) e = this.#at(e);
      else return e;
      void t;
    }
  }

  #rangeOrSubquery(e: Expr): Expr {
    const open = this.#next();
    const rangeTok = this.#next();
    if (rangeTok.kind !== "duration") {
      if (rangeTok.kind === "number")
        this.#fail(
          `unexpected number "${rangeTok.text}" in subquery or range selector, expected duration`,
          rangeTok,
        );
      this.#fail(
        `unexpected ${describe(rangeTok)} in subquery or range selector, expected duration`,
        rangeTok,
      );
    }
    if (this.#isOp(":")) {
      this.#next();
      let step = 0;
      if (this.#peek().kind === "duration") step = this.#next().num;
      else if (!this.#isOp("]")) {
        const bad = this.#peek();
        this.#fail(`unexpected ${describe(bad)} in subquery, expected duration or "]"`, bad);
      }
      const close = this.#expectOp("]", "subquery");
      const inner = e;
      const it = typeOf(inner);
      const pos = { start: e.pos.start, end: close.end };
      if (it !== "vector")
        this.#fail(
          `subquery is only allowed on instant vector, got ${VALUE_TYPE_NAMES[it]} instead`,
          pos,
        );
      if (rangeTok.num === 0) this.#fail("subquery range must be greater than 0", rangeTok);
      const sq: SubqueryExpr = {
        type: "SubqueryExpr",
        expr: inner,
        range: rangeTok.num,
        step,
        offset: 0,
        at: null,
        pos,
      };
      void open;
      return sq;
    }
    const close = this.#expectOp("]", "range selector");
    const pos = { start: e.pos.start, end: close.end };
    const vs = unwrapParens(e);
    if (e.type !== "VectorSelector" || vs.type !== "VectorSelector")
      this.#fail("ranges only allowed for vector selectors", pos);
    const sel = e as VectorSelector;
    if (sel.offset !== 0) this.#fail("no offset modifiers allowed before range", pos);
    if (sel.at !== null) this.#fail("no @ modifiers allowed before range", pos);
    if (rangeTok.num === 0) this.#fail("range must be greater than 0", rangeTok);
    const ms: MatrixSelector = { type: "MatrixSelector", selector: sel, range: rangeTok.num, pos };
    return ms;
  }

  #offset(e: Expr): Expr {
    const kw = this.#next();
    let sign = 1;
    if (this.#isOp("-") || this.#isOp("+")) sign = this.#next().text === "-" ? -1 : 1;
    const d = this.#next();
    if (d.kind !== "duration")
      this.#fail(`unexpected ${describe(d)} in offset, expected duration`, d);
    const offset = sign * d.num;
    const pos = { start: e.pos.start, end: d.end };
    return this.#modify(e, kw, pos, (o) => {
      if (o.offset !== 0) this.#fail("offset may not be set multiple times", kw);
      return { offset };
    });
  }

  #at(e: Expr): Expr {
    const atTok = this.#next();
    let at: AtModifier;
    let end: number;
    const t = this.#peek();
    if (
      t.kind === "identifier" &&
      (t.text === "start" || t.text === "end") &&
      this.#isOp("(", this.#peek(1))
    ) {
      this.#next();
      this.#next();
      end = this.#expectOp(")", "@ modifier").end;
      at = t.text === "start" ? { kind: "start" } : { kind: "end" };
    } else {
      let sign = 1;
      if (this.#isOp("-") || this.#isOp("+")) sign = this.#next().text === "-" ? -1 : 1;
      const n = this.#next();
      if (n.kind !== "number") this.#fail(`unexpected ${describe(n)} in @, expected timestamp`, n);
      const seconds = sign * n.num;
      if (!Number.isFinite(seconds) || Math.abs(seconds) >= 9.223372036854776e18)
        this.#fail(`timestamp out of bounds for @ modifier: ${seconds.toFixed(6)}`, n);
      at = { kind: "time", ms: Math.round(seconds * 1000) };
      end = n.end;
    }
    const pos = { start: e.pos.start, end };
    return this.#modify(e, atTok, pos, (o) => {
      if (o.at !== null) this.#fail("@ <timestamp> may not be set multiple times", atTok);
      return { at };
    });
  }

  /** Applies an offset or @ to the selector or subquery it follows. */
  #modify(
    e: Expr,
    kw: Token,
    pos: PositionRange,
    change: (o: {
      offset: number;
      at: AtModifier | null;
    }) => Partial<{ offset: number; at: AtModifier | null }>,
  ): Expr {
    switch (e.type) {
      case "VectorSelector":
        return { ...e, ...change(e), pos };
      case "MatrixSelector":
        return { ...e, selector: { ...e.selector, ...change(e.selector) }, pos };
      case "SubqueryExpr":
        return { ...e, ...change(e), pos };
      default: {
        const what = kw.text === "@" ? "@ modifier" : "offset modifier";
        return this.#fail(
          `${what} must be preceded by an instant vector selector or range vector selector or a subquery`,
          kw,
        );
      }
    }
  }

  #call(nameTok: Token): Expr {
    const sig = FUNCTIONS.get(nameTok.text);
    if (sig === undefined) {
      if (UNSUPPORTED_FUNCTIONS.has(nameTok.text))
        this.#fail(`function "${nameTok.text}" is not supported by this engine`, nameTok);
      this.#fail(`unknown function with name "${nameTok.text}"`, nameTok);
    }
    this.#next(); // (
    const args: Expr[] = [];
    if (!this.#isOp(")")) {
      while (true) {
        args.push(this.#expr(0));
        if (this.#isOp(",")) {
          this.#next();
          continue;
        }
        break;
      }
    }
    const close = this.#next();
    if (!this.#isOp(")", close))
      this.#fail(`unexpected ${describe(close)} in function call, expected "," or ")"`, close);
    const pos = { start: nameTok.start, end: close.end };
    const nargs = sig!.argTypes.length;
    if (sig!.variadic === 0) {
      if (nargs !== args.length)
        this.#fail(
          `expected ${nargs} argument(s) in call to "${sig!.name}", got ${args.length}`,
          pos,
        );
    } else {
      const min = nargs - 1;
      if (min > args.length)
        this.#fail(
          `expected at least ${min} argument(s) in call to "${sig!.name}", got ${args.length}`,
          pos,
        );
      if (sig!.variadic > 0 && min + sig!.variadic < args.length)
        this.#fail(
          `expected at most ${min + sig!.variadic} argument(s) in call to "${sig!.name}", got ${args.length}`,
          pos,
        );
    }
    args.forEach((arg, i) => {
      const want = sig!.argTypes[Math.min(i, nargs - 1)]!;
      this.#expectType(arg, want, `call to function "${sig!.name}"`);
    });
    return { type: "Call", func: sig!.name, args, pos };
  }

  #expectType(e: Expr, want: ValueType, context: string): void {
    const got = typeOf(e);
    if (got !== want)
      this.#fail(
        `expected type ${VALUE_TYPE_NAMES[want]} in ${context}, got ${VALUE_TYPE_NAMES[got]}`,
        e.pos,
      );
  }

  #aggregate(opTok: Token): AggregateExpr {
    const op = opTok.text as AggregateOp;
    let grouping: string[] = [];
    let without = false;
    let hasGrouping = false;
    const readGrouping = () => {
      if (this.#isKeyword("by") || this.#isKeyword("without")) {
        const kw = this.#next();
        if (hasGrouping) this.#fail(`unexpected <${kw.text}>`, kw);
        without = kw.text === "without";
        hasGrouping = true;
        grouping = this.#labelList(kw.text);
      }
    };
    readGrouping();
    const open = this.#next();
    if (!this.#isOp("(", open))
      this.#fail(`unexpected ${describe(open)} in aggregation, expected "("`, open);
    const args: Expr[] = [];
    if (!this.#isOp(")")) {
      while (true) {
        args.push(this.#expr(0));
        if (this.#isOp(",")) {
          this.#next();
          if (this.#isOp(")")) break;
          continue;
        }
        break;
      }
    }
    const close = this.#next();
    if (!this.#isOp(")", close))
      this.#fail(`unexpected ${describe(close)} in aggregation, expected "," or ")"`, close);
    let end = close.end;
    if (!hasGrouping && (this.#isKeyword("by") || this.#isKeyword("without"))) {
      readGrouping();
      end = this.#tokens[this.#i - 1]!.end;
    }
    const pos = { start: opTok.start, end };
    if (args.length === 0) this.#fail("no arguments for aggregate expression provided", pos);
    const withParam =
      op === "topk" || op === "bottomk" || op === "quantile" || op === "count_values";
    const want = withParam ? 2 : 1;
    if (args.length !== want)
      this.#fail(
        `wrong number of arguments for aggregate expression provided, expected ${want}, got ${args.length}`,
        pos,
      );
    const expr = args[want - 1]!;
    const param = withParam ? args[0]! : null;
    this.#expectType(expr, "vector", "aggregation expression");
    if (param !== null)
      this.#expectType(param, op === "count_values" ? "string" : "scalar", "aggregation parameter");
    return { type: "AggregateExpr", op, expr, param, grouping, without, hasGrouping, pos };
  }

  /** `( name, name, … )` as in by/without/on/ignoring/group_x; a trailing comma is allowed. */
  #labelList(context: string): string[] {
    const open = this.#next();
    if (!this.#isOp("(", open))
      this.#fail(`unexpected ${describe(open)} in grouping opts, expected "("`, open);
    const labels: string[] = [];
    while (!this.#isOp(")")) {
      const t = this.#next();
      const name = this.#query.slice(t.start, t.end);
      if (t.kind !== "identifier" && t.kind !== "keyword" && t.kind !== "metric_identifier")
        this.#fail(`unexpected ${describe(t)} in grouping opts, expected label`, t);
      if (!LABEL_NAME_RE.test(name)) this.#fail(`invalid label name "${name}" in ${context}`, t);
      labels.push(name);
      if (this.#isOp(",")) this.#next();
      else if (!this.#isOp(")")) {
        const bad = this.#peek();
        this.#fail(`unexpected ${describe(bad)} in grouping opts, expected "," or ")"`, bad);
      }
    }
    this.#next();
    return labels;
  }

  #vectorSelector(name: string, first: Token): VectorSelector {
    const matchers: LabelMatcher[] = [];
    let end = first.end;
    if (this.#isOp("{")) {
      this.#next();
      while (!this.#isOp("}")) {
        const labelTok = this.#next();
        if (labelTok.kind !== "identifier")
          this.#fail(
            `unexpected ${describe(labelTok)} in label matching, expected label`,
            labelTok,
          );
        const opTok = this.#next();
        if (opTok.kind !== "op" || !["=", "!=", "=~", "!~"].includes(opTok.text))
          this.#fail(
            `unexpected ${describe(opTok)} in label matching, expected label matching operator`,
            opTok,
          );
        const valueTok = this.#next();
        if (valueTok.kind !== "string")
          this.#fail(
            `unexpected ${describe(valueTok)} in label matching, expected string`,
            valueTok,
          );
        const op = opTok.text as MatchOp;
        if (op === "=~" || op === "!~") {
          try {
            compileLabelRegex(sourceMatcher({ name: "", op, value: valueTok.text }).value);
          } catch (error) {
            this.#fail(
              `invalid regular expression in label matcher: ${error instanceof Error ? error.message : String(error)}`,
              valueTok,
            );
          }
        }
        matchers.push({ name: labelTok.text, op, value: valueTok.text });
        if (this.#isOp(",")) this.#next();
        else if (!this.#isOp("}")) {
          const bad = this.#peek();
          this.#fail(`unexpected ${describe(bad)} in label matching, expected "," or "}"`, bad);
        }
      }
      end = this.#next().end;
    }
    const pos = { start: first.start, end };
    if (name !== "") {
      const dup = matchers.find((m) => m.name === "__name__");
      if (dup !== undefined)
        this.#fail(`metric name must not be set twice: "${name}" or "${dup.value}"`, pos);
      matchers.unshift({ name: "__name__", op: "=", value: name });
    }
    // A selector that matches everything (every matcher accepts "") is refused, as in Prometheus.
    const selective = matchers.some((m) => !matchesEmpty(m));
    if (!selective) this.#fail("vector selector must contain at least one non-empty matcher", pos);
    return { type: "VectorSelector", name, matchers, offset: 0, at: null, pos };
  }
}

function matchesEmpty(m: LabelMatcher): boolean {
  switch (m.op) {
    case "=":
      return m.value === "";
    case "!=":
      return m.value !== "";
    case "=~":
      return compileLabelRegex(sourceMatcher(m).value).test("");
    case "!~":
      return !compileLabelRegex(sourceMatcher(m).value).test("");
  }
}

function describe(t: Token): string {
  switch (t.kind) {
    case "eof":
      return "end of input";
    case "number":
      return `number "${t.text}"`;
    case "duration":
      return `duration "${t.text}"`;
    case "string":
      return `string ${JSON.stringify(t.text)}`;
    case "identifier":
    case "metric_identifier":
      return `identifier "${t.text}"`;
    case "keyword":
      return `<${t.text}>`;
    case "op":
      return `"${t.text}"`;
  }
}
