/**
 * Archive policy rules (spec rest §4): which policy a metric created without
 * `archive_policy_name` gets, by shell-style wildcard on its name.
 */
import { compareCodePoints } from "./code-points.js";
import { NoArchivePolicyRuleMatchError } from "./errors.js";

export interface ArchivePolicyRule {
  readonly name: string;
  readonly metricPattern: string;
  readonly archivePolicyName: string;
}

/** The REST shape of a rule. */
export interface ArchivePolicyRuleJSON {
  name: string;
  metric_pattern: string;
  archive_policy_name: string;
}

/** Created with the default policies by the bootstrap command (spec carbonara §2.5). */
export const DEFAULT_ARCHIVE_POLICY_RULE: ArchivePolicyRule = Object.freeze({
  name: "default",
  metricPattern: "*",
  archivePolicyName: "low",
});

export function archivePolicyRuleToJSON(rule: ArchivePolicyRule): ArchivePolicyRuleJSON {
  return {
    name: rule.name,
    metric_pattern: rule.metricPattern,
    archive_policy_name: rule.archivePolicyName,
  };
}

/**
 * The order rules are listed and matched in: `metric_pattern` descending,
 * then `name` ascending. Since `*` sorts before letters, `disk.io.*` comes
 * before `disk.*`, which comes before `*`.
 */
export function sortArchivePolicyRules(rules: readonly ArchivePolicyRule[]): ArchivePolicyRule[] {
  return [...rules].sort(
    (a, b) =>
      compareCodePoints(b.metricPattern, a.metricPattern) || compareCodePoints(a.name, b.name),
  );
}

const codePointClass = (c: string) => `\\u{${c.codePointAt(0)!.toString(16)}}`;

/**
 * The body of a `[...]` set as Python's `fnmatch` hands it to `re`: a leading
 * `!` negates, `a-z` is a range, a `-` first or last is literal, and every
 * other character (backslash included) is literal. A reversed range matches
 * nothing.
 */
function bracketToClass(body: string): string {
  const chars = [...body];
  const negated = chars[0] === "!";
  if (negated) chars.shift();
  const items: string[] = [];
  for (let i = 0; i < chars.length; i++) {
    const c = chars[i]!;
    const end = chars[i + 2];
    if (chars[i + 1] === "-" && end !== undefined) {
      if (c.codePointAt(0)! <= end.codePointAt(0)!) {
        items.push(`${codePointClass(c)}-${codePointClass(end)}`);
      }
      i += 2;
    } else {
      items.push(codePointClass(c));
    }
  }
  const members = items.join("");
  if (members === "") return negated ? "[^]" : "[]";
  return negated ? `[^${members}]` : `[${members}]`;
}

/** End index of the `[...]` set opening at `open`, or -1 if unterminated (then `[` is literal). */
function closingBracket(chars: readonly string[], open: number): number {
  let j = open + 1;
  if (chars[j] === "!") j++;
  // A `]` right after `[` or `[!` belongs to the set.
  if (chars[j] === "]") j++;
  while (j < chars.length && chars[j] !== "]") j++;
  return j < chars.length ? j : -1;
}

const REGEXP_SYNTAX = /[\\^$.*+?()[\]{}|/]/g;

/**
 * Python `fnmatch` pattern to an anchored RegExp (whole-string, case-sensitive,
 * `*` and `?` crossing any character including newlines, code-point aware):
 * `*` any run, `?` one character, `[seq]`, `[!seq]`, everything else literal.
 */
export function wildcardToRegExp(pattern: string): RegExp {
  const chars = [...pattern];
  let source = "";
  for (let i = 0; i < chars.length; i++) {
    const c = chars[i]!;
    if (c === "*") {
      source += ".*";
    } else if (c === "?") {
      source += ".";
    } else if (c === "[" && closingBracket(chars, i) !== -1) {
      const close = closingBracket(chars, i);
      source += bracketToClass(chars.slice(i + 1, close).join(""));
      i = close;
    } else {
      source += c.replace(REGEXP_SYNTAX, "\\$&");
    }
  }
  return new RegExp(`^(?:${source})$`, "su");
}

/**
 * The rule deciding a metric's policy: the first, in listing order, whose
 * pattern matches the whole name (a null name matches as ""). Throws
 * NoArchivePolicyRuleMatchError when none does.
 */
export function matchArchivePolicyRule(
  rules: readonly ArchivePolicyRule[],
  metricName: string | null,
): ArchivePolicyRule {
  const name = metricName ?? "";
  const rule = sortArchivePolicyRules(rules).find((r) =>
    wildcardToRegExp(r.metricPattern).test(name),
  );
  if (rule === undefined) throw new NoArchivePolicyRuleMatchError(metricName);
  return rule;
}
