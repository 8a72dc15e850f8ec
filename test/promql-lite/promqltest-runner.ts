/**
 * A runner for Prometheus' PromQL test scripts (../shared/promqltest, format
 * in its README): `load`, `clear`, `eval instant at …`, `eval range from … to
 * … step …`, `eval_fail`, `eval_ordered`, and the newer `expect …` lines.
 * Data goes into a MemorySeriesSource at the script's own times; every eval
 * runs through instantQuery / rangeQuery and is compared as Prometheus'
 * harness compares (values within 1e-6 relative, NaN equals NaN, labels as
 * sets, order only when asked), and, as Prometheus' harness does, re-runs
 * each instant eval as a range query around its time (step invariance).
 */
import { readFileSync } from "node:fs";
import { basename } from "node:path";
import {
  type Expr,
  instantQuery,
  MemorySeriesSource,
  ParseError,
  PromQLError,
  parseDuration,
  parseExpr,
  type QueryResult,
  rangeQuery,
  STALE_NAN,
} from "../../src/promql-lite/index.js";
import { type Labels, labelsKey, labelsToString } from "../../src/promql-lite/labels.js";

// --- script model ------------------------------------------------------------

interface SeriesLine {
  readonly labels: Labels;
  /** Per slot: value (stale markers keep their bits) and whether a sample is there. */
  readonly values: Float64Array;
  readonly present: Uint8Array;
}

export interface EvalCase {
  readonly file: string;
  readonly line: number;
  readonly expr: string;
  readonly range: { start: number; end: number; step: number } | null;
  /** Instant evals: the evaluation time (ms). */
  readonly at: number;
  readonly fail: boolean;
  readonly failMessage: string | null;
  readonly failRegexp: RegExp | null;
  readonly ordered: boolean;
  readonly expectedScalar: number | null;
  readonly expectedString: string | null;
  readonly expectedSeries: SeriesLine[];
  /** `expect range vector from … to … step …`: raw samples of an instant query. */
  readonly rangeVector: { start: number; end: number; step: number } | null;
  /** Why our runner cannot run the case at all (native histograms, start timestamps, …). */
  readonly setAside: string | null;
  /** The case wants warning/info annotations, which this engine does not produce. */
  readonly wantsAnnotations: boolean;
}

type Command =
  | {
      kind: "load";
      interval: number;
      series: SeriesLine[];
      /** Metric names whose samples remote_write 1.0 cannot carry (native histograms), with the reason. */
      setAside: Map<string, string>;
    }
  | { kind: "clear" }
  | { kind: "eval"; case: EvalCase };

export type Outcome = "pass" | "fail" | "set-aside";

export interface CaseResult {
  readonly case: EvalCase;
  readonly outcome: Outcome;
  readonly reason: string;
  /** The features the expression uses (functions, aggregations, operators, modifiers). */
  readonly features: string[];
}

// --- parsing -------------------------------------------------------------------

const NUMBER = String.raw`[+-]?(?:inf(?:inity)?|nan|(?:[0-9][0-9_]*\.?[0-9_]*|\.[0-9][0-9_]*)(?:e[+-]?[0-9]+)?)`;
const ITEM_RE = new RegExp(`^(_|stale|${NUMBER})(?:([+-])(${NUMBER}))?(?:x([0-9]+))?$`, "i");
const NUMBER_RE = new RegExp(`^${NUMBER}$`, "i");

function parseNumber(text: string): number {
  const t = text.replaceAll("_", "").toLowerCase();
  if (/^[+]?inf(inity)?$/.test(t)) return Number.POSITIVE_INFINITY;
  if (/^-inf(inity)?$/.test(t)) return Number.NEGATIVE_INFINITY;
  if (/^[+-]?nan$/.test(t)) return Number.NaN;
  return Number(t);
}

function duration(text: string): number {
  const ms = parseDuration(text) ?? (/^[0-9]+$/.test(text) ? Number(text) * 1000 : undefined);
  if (ms === undefined) throw new Error(`bad duration ${JSON.stringify(text)}`);
  return ms;
}

/** Expands `1+2x3 _ stale 5x2 _x3` into slots. */
function expandValues(items: readonly string[]): { values: Float64Array; present: Uint8Array } {
  const values: number[] = [];
  const stale: boolean[] = [];
  const present: number[] = [];
  for (const item of items) {
    const m = ITEM_RE.exec(item);
    if (m === null) throw new Error(`bad series value ${JSON.stringify(item)}`);
    const [, first, sign, stepText, times] = m;
    const n = times === undefined ? undefined : Number(times);
    if (first === "_") {
      for (let i = 0; i < (n ?? 1); i++) {
        values.push(0);
        stale.push(false);
        present.push(0);
      }
      continue;
    }
    if (first!.toLowerCase() === "stale") {
      values.push(0);
      stale.push(true);
      present.push(1);
      continue;
    }
    let v = parseNumber(first!);
    const step = stepText === undefined ? 0 : parseNumber(stepText) * (sign === "-" ? -1 : 1);
    values.push(v);
    stale.push(false);
    present.push(1);
    for (let i = 0; i < (n ?? 0); i++) {
      v += step;
      values.push(v);
      stale.push(false);
      present.push(1);
    }
  }
  const out = new Float64Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = stale[i] ? STALE_NAN : values[i]!;
  return { values: out, present: Uint8Array.from(present) };
}

/** Splits `metric{a="b"} 1 2 3` into the label set and the rest. */
function splitSeriesLine(line: string): { labels: Labels; rest: string } {
  let i = 0;
  let name = "";
  while (i < line.length && /[a-zA-Z0-9_:]/.test(line[i]!)) i++;
  name = line.slice(0, i);
  const labels: Record<string, string> = {};
  if (line[i] === "{") {
    i++;
    const pending: string[] = [];
    while (i < line.length && line[i] !== "}") {
      const c = line[i]!;
      if (/\s|,/.test(c)) {
        i++;
        continue;
      }
      if (c === '"' || c === "'" || c === "`") {
        const [s, end] = readQuoted(line, i);
        pending.push(s);
        i = end;
        continue;
      }
      if (c === "=") {
        pending.push("=");
        i++;
        continue;
      }
      const start = i;
      while (i < line.length && /[a-zA-Z0-9_]/.test(line[i]!)) i++;
      if (i === start) throw new Error(`bad series labels in ${JSON.stringify(line)}`);
      pending.push(`\0${line.slice(start, i)}`);
    }
    i++;
    for (let k = 0; k < pending.length; k++) {
      const tok = pending[k]!;
      const labelName = tok.startsWith("\0") ? tok.slice(1) : tok;
      if (pending[k + 1] === "=") {
        labels[labelName] = pending[k + 2]!;
        k += 2;
      } else name = labelName; // a quoted metric name
    }
  }
  if (name !== "") labels.__name__ = name;
  return { labels, rest: line.slice(i).trim() };
}

function readQuoted(line: string, start: number): [string, number] {
  const q = line[start]!;
  let i = start + 1;
  let raw = "";
  while (i < line.length && line[i] !== q) {
    if (line[i] === "\\" && q !== "`") {
      raw += line[i]! + line[i + 1]!;
      i += 2;
      continue;
    }
    raw += line[i];
    i++;
  }
  if (q === "`") return [raw, i + 1];
  return [
    JSON.parse(
      `"${raw.replaceAll('\\"', '"').replaceAll("\\'", "'").replaceAll('"', '\\"')}"`,
    ) as string,
    i + 1,
  ];
}

function parseSeriesLine(line: string): SeriesLine {
  const { labels, rest } = splitSeriesLine(line);
  const items = rest === "" ? [] : rest.split(/\s+/);
  return { labels, ...expandValues(items) };
}

const EVAL_RE = /^eval(_fail|_ordered|_warn|_info)?\s+instant\s+at\s+(\S+)\s+(.+)$/;
const EVAL_RANGE_RE =
  /^eval(_fail|_ordered|_warn|_info)?\s+range\s+from\s+(\S+)\s+to\s+(\S+)\s+step\s+(\S+)\s+(.+)$/;

export function parseScript(text: string, file: string): Command[] {
  const lines = text.split("\n");
  const commands: Command[] = [];
  let i = 0;
  const body = (): Array<{ text: string; line: number }> => {
    const out: Array<{ text: string; line: number }> = [];
    while (i < lines.length) {
      const t = lines[i]!.trim();
      if (t === "" || t.startsWith("#")) break;
      if (/^(load|clear|eval)/.test(t)) break;
      out.push({ text: t, line: i + 1 });
      i++;
    }
    return out;
  };
  while (i < lines.length) {
    const t = lines[i]!.trim();
    const lineNo = i + 1;
    i++;
    if (t === "" || t.startsWith("#")) continue;
    if (t === "clear") {
      commands.push({ kind: "clear" });
      continue;
    }
    const load = /^load(_with_nhcb)?\s+(\S+)$/.exec(t);
    if (load) {
      const lines2 = body();
      const setAside = new Map<string, string>();
      const series: SeriesLine[] = [];
      for (const l of lines2) {
        if (/^\S*}?@st\s/.test(l.text)) {
          const name = splitSeriesLine(l.text.replace(/@st\s.*$/, " 0")).labels.__name__;
          if (name) setAside.set(name, "start timestamps (@st)");
          continue;
        }
        if (l.text.includes("{{")) {
          const name = splitSeriesLine(l.text).labels.__name__;
          if (name) setAside.set(name, "native histograms");
          continue;
        }
        const line = parseSeriesLine(l.text);
        // load_with_nhcb also makes a native histogram named after the classic one.
        const base = load[1]
          ? line.labels.__name__?.replace(/_(bucket|sum|count)$/, "")
          : undefined;
        if (base) setAside.set(base, "native histograms (load_with_nhcb)");
        series.push(line);
      }
      commands.push({ kind: "load", interval: duration(load[2]!), series, setAside });
      continue;
    }
    const inst = EVAL_RE.exec(t);
    const rng = inst ? null : EVAL_RANGE_RE.exec(t);
    if (inst || rng) {
      commands.push({ kind: "eval", case: parseEval(file, lineNo, inst, rng, body()) });
      continue;
    }
    throw new Error(`${file}:${lineNo}: unknown command ${JSON.stringify(t)}`);
  }
  return commands;
}

function parseEval(
  file: string,
  line: number,
  inst: RegExpExecArray | null,
  rng: RegExpExecArray | null,
  lines: Array<{ text: string; line: number }>,
): EvalCase {
  const variant = (inst ?? rng)![1] ?? "";
  const expr = inst ? inst[3]! : rng![5]!;
  let fail = variant === "_fail";
  let ordered = variant === "_ordered";
  let failMessage: string | null = null;
  let failRegexp: RegExp | null = null;
  let expectedScalar: number | null = null;
  let expectedString: string | null = null;
  let rangeVector: EvalCase["rangeVector"] = null;
  let setAside: string | null = null;
  let wantsAnnotations = variant === "_warn" || variant === "_info";
  const expectedSeries: SeriesLine[] = [];
  for (const { text } of lines) {
    if (text.startsWith("expect ")) {
      const rest = text.slice(7).trim();
      if (rest.startsWith("fail")) {
        fail = true;
        const m = /^fail\s+(msg|regex):\s?(.*)$/.exec(rest);
        if (m?.[1] === "msg") failMessage = m[2]!.trim();
        if (m?.[1] === "regex") failRegexp = new RegExp(m[2]!.trim());
      } else if (rest === "ordered") ordered = true;
      else if (rest.startsWith("string")) {
        const s = rest.slice(6).trim();
        expectedString = s.startsWith("`") ? s.slice(1, -1) : (JSON.parse(s) as string);
      } else if (rest.startsWith("range vector")) {
        const m = /^range vector from (\S+) to (\S+) step (\S+)$/.exec(rest);
        if (m)
          rangeVector = { start: duration(m[1]!), end: duration(m[2]!), step: duration(m[3]!) };
      } else if (/^(warn|info)\b/.test(rest)) wantsAnnotations = true;
      // no_warn / no_info: we never produce annotations, so they hold.
      continue;
    }
    if (text.startsWith("expected_fail_message ")) {
      failMessage = text.slice(22).trim();
      continue;
    }
    if (text.startsWith("expected_fail_regexp ")) {
      failRegexp = new RegExp(text.slice(21).trim());
      continue;
    }
    if (text.includes("{{")) {
      setAside = "native histograms";
      continue;
    }
    if (NUMBER_RE.test(text)) {
      expectedScalar = parseNumber(text);
      continue;
    }
    expectedSeries.push(parseSeriesLine(text));
  }
  return {
    file,
    line,
    expr,
    range: rng
      ? { start: duration(rng[2]!), end: duration(rng[3]!), step: duration(rng[4]!) }
      : null,
    at: inst ? duration(inst[2]!) : 0,
    fail,
    failMessage,
    failRegexp,
    ordered,
    expectedScalar,
    expectedString,
    expectedSeries,
    rangeVector,
    setAside,
    wantsAnnotations,
  };
}

// --- running -------------------------------------------------------------------

/** Prometheus' harness: equal, both NaN, or within 1e-6 relative (zero must match zero closely). */
export function almostEqual(a: number, b: number): boolean {
  if (Number.isNaN(a) && Number.isNaN(b)) return true;
  if (a === b) return true;
  const minNormal = 2.2250738585072014e-308;
  const absSum = Math.abs(a) + Math.abs(b);
  const diff = Math.abs(a - b);
  if (a === 0 || b === 0 || absSum < minNormal) return diff < 1e-6 * minNormal;
  return diff / Math.min(absSum, Number.MAX_VALUE) < 1e-6;
}

export async function runScriptFile(path: string): Promise<CaseResult[]> {
  return runScript(readFileSync(path, "utf8"), basename(path));
}

export async function runScript(text: string, file: string): Promise<CaseResult[]> {
  const source = new MemorySeriesSource();
  const results: CaseResult[] = [];
  let groupSetAside = new Map<string, string>();
  for (const cmd of parseScript(text, file)) {
    if (cmd.kind === "clear") {
      source.clear();
      groupSetAside = new Map();
      continue;
    }
    if (cmd.kind === "load") {
      for (const [name, why] of cmd.setAside) groupSetAside.set(name, why);
      for (const s of cmd.series) {
        for (let i = 0; i < s.values.length; i++) {
          if (s.present[i] === 1) source.append(s.labels, i * cmd.interval, s.values[i]!);
        }
      }
      continue;
    }
    results.push(await runCase(source, cmd.case, groupSetAside));
  }
  return results;
}

async function runCase(
  source: MemorySeriesSource,
  c: EvalCase,
  groupSetAside: ReadonlyMap<string, string>,
): Promise<CaseResult> {
  const features = featuresOf(c.expr);
  const done = (outcome: Outcome, reason: string): CaseResult => ({
    case: c,
    outcome,
    reason,
    features,
  });
  if (c.setAside !== null) return done("set-aside", c.setAside);
  for (const [name, why] of groupSetAside) {
    const word = new RegExp(
      `(^|[^A-Za-z0-9_:])${name.replace(/[^A-Za-z0-9_]/g, "\\$&")}($|[^A-Za-z0-9_:])`,
    );
    if (word.test(c.expr)) return done("set-aside", why);
  }
  let result: QueryResult;
  try {
    if (c.range !== null)
      result = await rangeQuery(source, c.expr, c.range.start, c.range.end, c.range.step);
    else result = await instantQuery(source, c.expr, c.rangeVector?.end ?? c.at);
  } catch (error) {
    if (!(error instanceof PromQLError)) return done("fail", `crash: ${String(error)}`);
    if (!c.fail) return done("fail", `unexpected error: ${error.message}`);
    if (c.failMessage !== null && !error.message.includes(c.failMessage))
      return done(
        "fail",
        `error ${JSON.stringify(error.message)}, expected ${JSON.stringify(c.failMessage)}`,
      );
    if (c.failRegexp !== null && !c.failRegexp.test(error.message))
      return done("fail", `error ${JSON.stringify(error.message)} does not match ${c.failRegexp}`);
    return done("pass", "failed as expected");
  }
  if (c.fail) return done("fail", "expected an error, got a result");
  if (c.wantsAnnotations) return done("fail", "expects a warning/info annotation (not produced)");
  const problem = compare(c, result);
  if (problem !== null) return done("fail", problem);
  // As Prometheus' harness does: the instant result must also be the middle step of a range query.
  if (
    c.range === null &&
    c.rangeVector === null &&
    (result.resultType === "vector" || result.resultType === "scalar")
  ) {
    const mismatch = await stepInvariance(source, c, result);
    if (mismatch !== null) return done("fail", `as a range query: ${mismatch}`);
  }
  return done("pass", "");
}

async function stepInvariance(
  source: MemorySeriesSource,
  c: EvalCase,
  instant: QueryResult,
): Promise<string | null> {
  let range: QueryResult;
  try {
    range = await rangeQuery(source, c.expr, c.at - 60_000, c.at + 60_000, 60_000);
  } catch (error) {
    return `error ${String(error)}`;
  }
  if (range.resultType !== "matrix") return `got ${range.resultType}`;
  const expected = new Map<string, number>();
  if (instant.resultType === "vector")
    for (const s of instant.result) expected.set(labelsKey(s.metric), s.value);
  else if (instant.resultType === "scalar") expected.set(labelsKey({}), instant.result.value);
  let found = 0;
  for (const s of range.result) {
    const k = s.timestamps.indexOf(c.at);
    if (k < 0) continue;
    found++;
    const want = expected.get(labelsKey(s.metric));
    if (want === undefined) return `extra series ${labelsToString(s.metric)}`;
    if (!almostEqual(s.values[k]!, want))
      return `${labelsToString(s.metric)}: ${s.values[k]} instead of ${want}`;
  }
  return found === expected.size
    ? null
    : `${found} series at the middle step, ${expected.size} in the instant result`;
}

function compare(c: EvalCase, r: QueryResult): string | null {
  if (c.expectedString !== null) {
    if (r.resultType !== "string") return `expected a string, got ${r.resultType}`;
    return r.result.value === c.expectedString ? null : `string ${JSON.stringify(r.result.value)}`;
  }
  if (c.expectedScalar !== null) {
    if (r.resultType === "scalar")
      return almostEqual(r.result.value, c.expectedScalar)
        ? null
        : `scalar ${r.result.value}, expected ${c.expectedScalar}`;
    if (c.range !== null && r.resultType === "matrix" && r.result.length === 1) {
      for (const v of r.result[0]!.values)
        if (!almostEqual(v, c.expectedScalar)) return `value ${v}`;
      return null;
    }
    return `expected a scalar, got ${r.resultType}`;
  }
  if (r.resultType === "scalar" || r.resultType === "string")
    return `expected series, got ${r.resultType}`;
  const actual = new Map<
    string,
    { labels: Labels; ts: Float64Array; vs: Float64Array; index: number }
  >();
  if (r.resultType === "vector") {
    r.result.forEach((s, index) => {
      actual.set(labelsKey(s.metric), {
        labels: s.metric,
        ts: Float64Array.of(s.timestamp),
        vs: Float64Array.of(s.value),
        index,
      });
    });
  } else {
    r.result.forEach((s, index) => {
      actual.set(labelsKey(s.metric), { labels: s.metric, ts: s.timestamps, vs: s.values, index });
    });
  }
  if (actual.size !== c.expectedSeries.length) {
    const got = [...actual.values()].map((a) => labelsToString(a.labels)).join(", ");
    return `expected ${c.expectedSeries.length} series, got ${actual.size}: ${got}`;
  }
  let k = 0;
  for (const e of c.expectedSeries) {
    const a = actual.get(labelsKey(e.labels));
    if (a === undefined) return `missing series ${labelsToString(e.labels)}`;
    if (c.ordered && a.index !== k)
      return `series ${labelsToString(e.labels)} at position ${a.index}, expected ${k}`;
    k++;
    const problem = compareValues(c, e, a.ts, a.vs);
    if (problem !== null) return `${labelsToString(e.labels)}: ${problem}`;
  }
  return null;
}

function compareValues(
  c: EvalCase,
  e: SeriesLine,
  ts: Float64Array,
  vs: Float64Array,
): string | null {
  if (c.range === null && c.rangeVector === null) {
    if (e.values.length < 1 || e.present[0] === 0) return "expected no value";
    return almostEqual(vs[0]!, e.values[0]!) ? null : `value ${vs[0]}, expected ${e.values[0]}`;
  }
  const { start, step } = c.range ?? c.rangeVector!;
  const expected: Array<[number, number]> = [];
  for (let i = 0; i < e.values.length; i++)
    if (e.present[i] === 1) expected.push([start + i * step, e.values[i]!]);
  if (expected.length !== ts.length)
    return `${ts.length} points, expected ${expected.length} (got times ${[...ts].map((t) => t / 1000).join(" ")})`;
  for (let i = 0; i < ts.length; i++) {
    const [et, ev] = expected[i]!;
    if (ts[i] !== et) return `point at ${ts[i]! / 1000}s, expected ${et / 1000}s`;
    if (!almostEqual(vs[i]!, ev)) return `value ${vs[i]} at ${et / 1000}s, expected ${ev}`;
  }
  return null;
}

// --- features ------------------------------------------------------------------

/** What an expression uses, to group failures by the feature they need. */
export function featuresOf(expr: string): string[] {
  let e: Expr;
  try {
    e = parseExpr(expr);
  } catch (error) {
    if (error instanceof ParseError) return [`syntax: ${error.detail.replace(/"[^"]*"/g, "…")}`];
    return ["syntax"];
  }
  const out = new Set<string>();
  const walk = (x: Expr): void => {
    switch (x.type) {
      case "Call":
        out.add(`${x.func}()`);
        x.args.forEach(walk);
        return;
      case "AggregateExpr":
        out.add(x.op);
        if (x.param) walk(x.param);
        walk(x.expr);
        return;
      case "BinaryExpr":
        out.add(
          x.matching?.card === "many-to-one" || x.matching?.card === "one-to-many"
            ? `${x.op} group_x`
            : x.op,
        );
        walk(x.lhs);
        walk(x.rhs);
        return;
      case "SubqueryExpr":
        out.add("subquery");
        if (x.at) out.add("@");
        if (x.offset) out.add("offset");
        walk(x.expr);
        return;
      case "MatrixSelector":
        walk(x.selector);
        return;
      case "VectorSelector":
        if (x.at) out.add("@");
        if (x.offset) out.add("offset");
        return;
      case "UnaryExpr":
      case "ParenExpr":
        walk(x.expr);
        return;
      default:
        return;
    }
  };
  walk(e);
  return [...out].sort();
}

/** Failing cases grouped by feature set, for the test log. */
export function failureReport(results: readonly CaseResult[]): string {
  const groups = new Map<string, CaseResult[]>();
  for (const r of results) {
    if (r.outcome !== "fail") continue;
    const key = r.features.join(" ") || "(plain selectors)";
    const list = groups.get(key) ?? [];
    list.push(r);
    groups.set(key, list);
  }
  const lines: string[] = [];
  for (const [key, list] of [...groups].sort((a, b) => b[1].length - a[1].length)) {
    lines.push(`  [${list.length}] ${key}`);
    for (const r of list)
      lines.push(`      ${r.case.file}:${r.case.line} ${r.case.expr}  — ${r.reason}`);
  }
  return lines.join("\n");
}
