/**
 * RE2 (Go regexp) syntax on JavaScript's RegExp. Prometheus regexes are RE2:
 * they may scope flags (`(?i:PRO)`, `((?i)pro)`, `(?i)` mid-pattern), name
 * groups `(?P<n>…)`, quote `\Q…\E` and use POSIX classes `[[:alpha:]]`, none
 * of which Node 20's RegExp accepts. `translateRE2` rewrites a pattern into
 * an equivalent one without them (case-insensitive parts become character
 * classes: `(?i:pro)` → `(?:[pP][rR][oO])`), so both the label matchers
 * (the indexer's compileLabelRegex) and label_replace can use it. Also Go's
 * `Regexp.Expand` template syntax (`$1`, `${1}`, `$name`, `$$`).
 */
import type { LabelMatcher } from "../indexer/label-index.js";

interface Flags {
  i: boolean;
  s: boolean;
}

const POSIX_CLASSES: Readonly<Record<string, string>> = {
  alnum: "0-9A-Za-z",
  alpha: "A-Za-z",
  ascii: "\\x00-\\x7F",
  blank: "\\t ",
  cntrl: "\\x00-\\x1F\\x7F",
  digit: "0-9",
  graph: "!-~",
  lower: "a-z",
  print: " -~",
  punct: "!-\\/:-@\\[-`{-~",
  space: "\\t\\n\\v\\f\\r ",
  upper: "A-Z",
  word: "0-9A-Za-z_",
  xdigit: "0-9A-Fa-f",
};

function caseVariants(c: string): string {
  const lower = c.toLowerCase();
  const upper = c.toUpperCase();
  if (lower === upper || lower.length !== 1 || upper.length !== 1) return "";
  return c === lower ? upper : lower;
}

function escapeLiteral(c: string): string {
  return /[\\^$.*+?()[\]{}|/-]/.test(c) ? `\\${c}` : c;
}

/**
 * Rewrites an RE2 pattern for JavaScript. Throws Error (with RE2's wording
 * where it has one) on what RE2 rejects too: lookaround, backreferences,
 * unknown flags.
 */
export function translateRE2(source: string): string {
  // Fast path: nothing RE2-specific in it.
  if (!/\(\?|\\[QEzApP]|\[:/.test(source)) {
    if (/\\[1-9]/.test(source))
      throw new Error("invalid escape sequence: backreferences are not supported");
    return source;
  }
  const stack: Flags[] = [];
  let flags: Flags = { i: false, s: false };
  let out = "";
  let i = 0;
  const n = source.length;
  while (i < n) {
    const c = source[i]!;
    if (c === "\\") {
      const e = source[i + 1];
      if (e === undefined) throw new Error("trailing backslash at end of expression");
      if (e === "Q") {
        const end = source.indexOf("\\E", i + 2);
        const literal = source.slice(i + 2, end < 0 ? n : end);
        for (const ch of literal)
          out += flags.i && caseVariants(ch) ? `[${ch}${caseVariants(ch)}]` : escapeLiteral(ch);
        i = end < 0 ? n : end + 2;
        continue;
      }
      if (e === "z") out += "$";
      else if (e === "A") out += "^";
      else if ((e === "p" || e === "P") && source[i + 2] !== "{") {
        out += `\\${e}{${source[i + 2] ?? ""}}`;
        i += 3;
        continue;
      } else if (e >= "1" && e <= "9")
        throw new Error("invalid escape sequence: backreferences are not supported");
      else if (flags.i && /[a-zA-Z]/.test(e) && !/[dDsSwWbBpPnrtfvx0]/.test(e))
        out += `[${e}${caseVariants(e)}]`;
      else out += `\\${e}`;
      i += 2;
      continue;
    }
    if (c === "[") {
      const [cls, end] = translateClass(source, i, flags.i);
      out += cls;
      i = end;
      continue;
    }
    if (c === "(") {
      if (source[i + 1] !== "?") {
        stack.push(flags);
        flags = { ...flags };
        out += "(";
        i++;
        continue;
      }
      if (
        source.startsWith("(?P<", i) ||
        (source.startsWith("(?<", i) && !/^\(\?<[=!]/.test(source.slice(i)))
      ) {
        stack.push(flags);
        flags = { ...flags };
        out += "(?<";
        i += source[i + 2] === "P" ? 4 : 3;
        continue;
      }
      const m = /^\(\?([a-zA-Z-]*)(:|\))/.exec(source.slice(i));
      if (m === null)
        throw new Error(`invalid or unsupported Perl syntax: \`${source.slice(i, i + 3)}\``);
      const next = { ...flags };
      let negate = false;
      for (const f of m[1]!) {
        if (f === "-") negate = true;
        else if (f === "i") next.i = !negate;
        else if (f === "s") next.s = !negate;
        else if (f === "m" || f === "U") throw new Error(`unsupported regex flag ${f}`);
        else throw new Error(`invalid or unsupported Perl syntax: \`(?${f}\``);
      }
      if (m[2] === ")")
        flags = next; // applies to the rest of the enclosing group
      else {
        stack.push(flags);
        flags = next;
        out += "(?:";
      }
      i += m[0].length;
      continue;
    }
    if (c === ")") {
      flags = stack.pop() ?? flags;
      out += ")";
      i++;
      continue;
    }
    if (c === "." && flags.s) {
      out += "[\\s\\S]";
      i++;
      continue;
    }
    if (flags.i && caseVariants(c)) {
      // A letter followed by a counted repetition stays one atom as a class.
      out += `[${c}${caseVariants(c)}]`;
      i++;
      continue;
    }
    out += c;
    i++;
  }
  return out;
}

/** A bracket expression from `start` ('['); returns its translation and end offset. */
function translateClass(source: string, start: number, ignoreCase: boolean): [string, number] {
  let i = start + 1;
  let out = "[";
  if (source[i] === "^") {
    out += "^";
    i++;
  }
  let first = true;
  const extra: string[] = [];
  while (i < source.length) {
    const c = source[i]!;
    if (c === "]" && !first) {
      if (ignoreCase) out += extra.join("");
      return [`${out}]`, i + 1];
    }
    first = false;
    if (c === "[" && source[i + 1] === ":") {
      const close = source.indexOf(":]", i + 2);
      const name = close < 0 ? "" : source.slice(i + 2, close);
      const negated = name.startsWith("^");
      const cls = POSIX_CLASSES[negated ? name.slice(1) : name];
      if (cls === undefined || negated)
        throw new Error(`invalid character class range: \`[:${name}:]\``);
      out += cls;
      i = close + 2;
      continue;
    }
    if (c === "\\") {
      out += source.slice(i, i + 2);
      i += 2;
      continue;
    }
    if (source[i + 1] === "-" && source[i + 2] !== undefined && source[i + 2] !== "]") {
      const hi = source[i + 2]!;
      out += `${escapeClassChar(c)}-${escapeClassChar(hi)}`;
      if (ignoreCase && /[a-z]/.test(c) && /[a-z]/.test(hi))
        extra.push(`${c.toUpperCase()}-${hi.toUpperCase()}`);
      if (ignoreCase && /[A-Z]/.test(c) && /[A-Z]/.test(hi))
        extra.push(`${c.toLowerCase()}-${hi.toLowerCase()}`);
      i += 3;
      continue;
    }
    out += escapeClassChar(c);
    if (ignoreCase && caseVariants(c)) extra.push(caseVariants(c));
    i++;
  }
  throw new Error(`missing closing ]: \`${source.slice(start)}\``);
}

function escapeClassChar(c: string): string {
  return c === "[" || c === "/" ? `\\${c}` : c;
}

/** Compiles `^(?:source)$` (RE2 syntax) with capture groups; throws Error with a reason on invalid input. */
export function compileAnchoredRE2(source: string): RegExp {
  const body = translateRE2(source);
  try {
    return new RegExp(`^(?:${body})$`, "u");
  } catch {
    return new RegExp(`^(?:${body})$`);
  }
}

function isWordChar(c: string): boolean {
  return /[A-Za-z0-9_]/.test(c);
}

/** Go's Regexp.Expand of `template` with a match. */
export function expandTemplate(template: string, match: RegExpExecArray): string {
  let out = "";
  let i = 0;
  while (i < template.length) {
    const c = template[i]!;
    if (c !== "$") {
      out += c;
      i++;
      continue;
    }
    if (template[i + 1] === "$") {
      out += "$";
      i += 2;
      continue;
    }
    let name = "";
    let end = i + 1;
    if (template[i + 1] === "{") {
      const close = template.indexOf("}", i + 2);
      const inner = close < 0 ? "" : template.slice(i + 2, close);
      if (close < 0 || inner === "" || ![...inner].every(isWordChar)) {
        out += "$";
        i++;
        continue;
      }
      name = inner;
      end = close + 1;
    } else {
      while (end < template.length && isWordChar(template[end]!)) end++;
      name = template.slice(i + 1, end);
      if (name === "") {
        out += "$";
        i++;
        continue;
      }
    }
    out += groupValue(name, match);
    i = end;
  }
  return out;
}

function groupValue(name: string, match: RegExpExecArray): string {
  if (/^[0-9]+$/.test(name)) {
    const n = Number(name);
    return n < match.length ? (match[n] ?? "") : "";
  }
  return match.groups?.[name] ?? "";
}

/** A matcher as handed to a SeriesSource: its regex in the syntax compileLabelRegex takes. */
export function sourceMatcher(m: LabelMatcher): LabelMatcher {
  if (m.op !== "=~" && m.op !== "!~") return m;
  const value = translateRE2(m.value);
  return value === m.value ? m : { ...m, value };
}
