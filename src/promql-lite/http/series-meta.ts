/**
 * `/api/v1/series`, `/api/v1/labels` and `/api/v1/label/<name>/values`:
 * answered from the label index, restricted to the series the caller may
 * read (an admin's answer comes straight from the index; anyone else's from
 * the label sets of their readable metrics).
 *
 * `start`/`end` are checked as Prometheus checks them. Prometheus answers
 * with the series that have samples in [start, end]; the index knows each
 * series' first_seen and last_seen instead, so a series is in the range when
 * first_seen ≤ end and last_seen ≥ start, a bound not known counting as in
 * range. last_seen is wall time when samples arrived: this process' own
 * ingestion widens it at once, other processes' within their 30 s stamp
 * interval plus the label refresh interval (the `api` role follows them), so
 * a series another process wrote a moment ago may be missing from a range
 * that starts after its previous stamp. Both paths, the index's own answer
 * (admin) and the label sets of the caller's readable metrics, apply it.
 */
import { compareCodePoints } from "../../carbonara/code-points.js";
import { type Credentials, isAdmin } from "../../indexer/acl.js";
import type { LabelMatcher, Labels, TimeRange } from "../../indexer/label-index.js";
import type { LabelStore } from "../../indexer/label-store.js";
import { compareLabels, isValidLabelName } from "../labels.js";
import { readableMetrics } from "../metric-access.js";
import { parseExpr } from "../parser/parse.js";
import { sourceMatcher } from "../regex.js";
import { PromApiError } from "./errors.js";
import { invalidParam, MAX_TIME, MIN_TIME, type Params, timeParam } from "./params.js";
import type { PromQLService } from "./service.js";

/** The matchers of one `match[]` selector (`up`, `{job="node"}`). */
export function parseMatchParam(text: string): LabelMatcher[] {
  let expr: ReturnType<typeof parseExpr>;
  try {
    expr = parseExpr(text);
  } catch (error) {
    throw invalidParam("match[]", (error as Error).message);
  }
  if (expr.type !== "VectorSelector")
    throw invalidParam("match[]", `1:1: parse error: expected a series selector, got ${text}`);
  return expr.matchers.map(sourceMatcher);
}

interface Selection {
  readonly store: LabelStore;
  readonly matchSets: LabelMatcher[][];
  /** µs; undefined when neither bound is given (the index's faster path). */
  readonly range: TimeRange | undefined;
}

/** `start`/`end` (ms) as an index range; the default bounds select nothing away. */
function rangeOf(start: number, end: number): TimeRange | undefined {
  if (start <= MIN_TIME && end >= MAX_TIME) return undefined;
  return {
    ...(start > MIN_TIME ? { start: start * 1000 } : {}),
    ...(end < MAX_TIME ? { end: end * 1000 } : {}),
  };
}

async function selection(service: PromQLService, params: Params): Promise<Selection> {
  const start = timeParam(params, "start", MIN_TIME);
  const end = timeParam(params, "end", MAX_TIME);
  const matchSets = params.all("match[]").map(parseMatchParam);
  return { store: await service.labels(), matchSets, range: rangeOf(start, end) };
}

/** Metric ids of the selected series (union of the match[] sets; all series without any). */
function selectIds(sel: Selection): string[] {
  const range = sel.range;
  if (sel.matchSets.length === 0) return sel.store.select([], range);
  if (sel.matchSets.length === 1) return sel.store.select(sel.matchSets[0]!, range);
  const ids = new Set<string>();
  for (const m of sel.matchSets) for (const id of sel.store.select(m, range)) ids.add(id);
  return [...ids];
}

/** The label sets of the selected series the caller may read. */
async function readableLabelSets(
  service: PromQLService,
  creds: Credentials,
  sel: Selection,
): Promise<Labels[]> {
  const ids = selectIds(sel);
  const readable = await readableMetrics(service.db, creds, ids);
  const out: Labels[] = [];
  for (const id of ids) {
    if (!readable.has(id)) continue;
    const labels = sel.store.labelsOf(id);
    if (labels !== undefined) out.push(labels);
  }
  return out;
}

function limitOf(params: Params): number {
  const text = params.get("limit");
  if (text === "") return Number.POSITIVE_INFINITY;
  const n = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(n))
    throw invalidParam("limit", `cannot parse "${text}" to a valid limit`);
  return n === 0 ? Number.POSITIVE_INFINITY : n;
}

export async function seriesData(
  service: PromQLService,
  creds: Credentials,
  params: Params,
): Promise<Labels[]> {
  if (params.all("match[]").length === 0)
    throw new PromApiError("bad_data", "no match[] parameter provided");
  const limit = limitOf(params);
  const sel = await selection(service, params);
  const sets = await readableLabelSets(service, creds, sel);
  sets.sort(compareLabels);
  return sets.length > limit ? sets.slice(0, limit) : sets;
}

export async function labelNamesData(
  service: PromQLService,
  creds: Credentials,
  params: Params,
): Promise<string[]> {
  const limit = limitOf(params);
  const sel = await selection(service, params);
  let names: string[];
  if (isAdmin(creds) && sel.matchSets.length <= 1) {
    names = sel.store.labelNames(sel.range, sel.matchSets[0] ?? []);
  } else {
    const set = new Set<string>();
    for (const labels of await readableLabelSets(service, creds, sel))
      for (const n of Object.keys(labels)) set.add(n);
    names = [...set].sort(compareCodePoints);
  }
  return names.length > limit ? names.slice(0, limit) : names;
}

export async function labelValuesData(
  service: PromQLService,
  creds: Credentials,
  name: string,
  params: Params,
): Promise<string[]> {
  if (!isValidLabelName(name)) throw new PromApiError("bad_data", `invalid label name: "${name}"`);
  const limit = limitOf(params);
  const sel = await selection(service, params);
  let values: string[];
  if (isAdmin(creds) && sel.matchSets.length <= 1) {
    values = sel.store.labelValues(name, sel.range, sel.matchSets[0] ?? []);
  } else {
    const set = new Set<string>();
    for (const labels of await readableLabelSets(service, creds, sel)) {
      const v = labels[name];
      if (v !== undefined) set.add(v);
    }
    values = [...set].sort(compareCodePoints);
  }
  return values.length > limit ? values.slice(0, limit) : values;
}
