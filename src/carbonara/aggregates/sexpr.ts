/**
 * The string form of `/v1/aggregates` operations (spec rest §10.1):
 * `"(aggregate mean (metric (ID1 mean) (ID2 mean)))"`. Gnocchi parses it with
 * pyparsing's `OneOrMore(nestedExpr())` and keeps the first expression; this
 * reader does the same, with the same error messages:
 *
 * * tokens are runs of characters other than whitespace and parentheses, all
 *   kept as strings (the schema coerces numeric ones later);
 * * a complete quoted string (`"…"` or `'…'`) is one token, quotes included;
 * * text after the first complete expression is ignored (an extra `)` too);
 * * a missing `(` or `)` fails with pyparsing's message, e.g.
 *   `Expected ')', found end of text  (at char 15), (line:1, col:16)`.
 */

export type SExpression = string | SExpression[];

export class SExpressionSyntaxError extends Error {
  override name = "SExpressionSyntaxError";
}

const WHITESPACE = new Set([" ", "\t", "\n", "\r"]);
const WORD = /[A-Za-z0-9_$]{1,16}/y;
const DOUBLE_QUOTED = /"(?:[^"\n\r\\]|""|\\(?:[^x]|x[0-9a-fA-F]+))*"/y;
const SINGLE_QUOTED = /'(?:[^'\n\r\\]|''|\\(?:[^x]|x[0-9a-fA-F]+))*'/y;

function pythonRepr(s: string): string {
  return s.includes("'") && !s.includes('"') ? `"${s}"` : `'${s.replace(/'/g, "\\'")}'`;
}

/** pyparsing's `ParseException` text for an expectation failing at `loc`. */
function syntaxError(input: string, loc: number, expected: string): SExpressionSyntaxError {
  let found: string;
  if (loc >= input.length) found = "end of text";
  else {
    WORD.lastIndex = loc;
    const word = WORD.exec(input);
    found = pythonRepr(word ? word[0] : input.charAt(loc));
  }
  const line = input.slice(0, loc).split("\n").length;
  const lastNewline = input.lastIndexOf("\n", loc - 1);
  const col = loc > 0 && loc < input.length && input[loc - 1] === "\n" ? 1 : loc - lastNewline;
  return new SExpressionSyntaxError(
    `Expected ${pythonRepr(expected)}, found ${found}  (at char ${loc}), (line:${line}, col:${col})`,
  );
}

function quotedAt(input: string, pos: number): string | undefined {
  const c = input[pos];
  const re = c === '"' ? DOUBLE_QUOTED : c === "'" ? SINGLE_QUOTED : undefined;
  if (!re) return undefined;
  re.lastIndex = pos;
  return re.exec(input)?.[0];
}

/** Parses the first parenthesized expression of `input`. */
export function parseSExpression(input: string): SExpression[] {
  let pos = 0;
  const skipSpace = () => {
    while (pos < input.length && WHITESPACE.has(input[pos]!)) pos++;
  };
  skipSpace();
  if (input[pos] !== "(") throw syntaxError(input, pos, "(");
  // Iterative to survive deeply nested input.
  const stack: SExpression[][] = [];
  let current: SExpression[] = [];
  pos++;
  for (;;) {
    skipSpace();
    if (pos >= input.length) throw syntaxError(input, pos, ")");
    const c = input[pos]!;
    if (c === ")") {
      pos++;
      const done = current;
      const parent = stack.pop();
      if (!parent) return done;
      parent.push(done);
      current = parent;
    } else if (c === "(") {
      pos++;
      stack.push(current);
      current = [];
    } else {
      const quoted = quotedAt(input, pos);
      if (quoted) {
        current.push(quoted);
        pos += quoted.length;
        continue;
      }
      const start = pos;
      pos++;
      while (pos < input.length) {
        const d = input[pos]!;
        if (d === "(" || d === ")" || WHITESPACE.has(d) || quotedAt(input, pos)) break;
        pos++;
      }
      current.push(input.slice(start, pos));
    }
  }
}
