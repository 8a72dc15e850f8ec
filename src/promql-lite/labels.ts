/**
 * Label-set helpers for the evaluator: canonical keys (sorted names), match
 * signatures for binary operators, grouping for aggregations, and the
 * `{a="b", c="d"}` text Prometheus puts in its error messages. They run once
 * per series, never per sample.
 */
import type { Labels } from "../indexer/label-index.js";

export type { Labels };

export const METRIC_NAME = "__name__";

const SEP = "\xff";

/** A string equal for equal label sets (names sorted). */
export function labelsKey(labels: Labels): string {
  const names = Object.keys(labels).sort();
  let key = "";
  for (const n of names) key += `${n}${SEP}${labels[n]}${SEP}`;
  return key;
}

/** The labels without `__name__` (the same object when there is none). */
export function dropMetricName(labels: Labels): Labels {
  if (!(METRIC_NAME in labels)) return labels;
  const out: Record<string, string> = {};
  for (const n in labels) if (n !== METRIC_NAME) out[n] = labels[n]!;
  return out;
}

/**
 * The match signature of binary operators: with `on(names)` the values of
 * those labels; otherwise (`ignoring(names)` or no modifier) every label but
 * those and `__name__`.
 */
export function matchSignature(labels: Labels, on: boolean, names: readonly string[]): string {
  if (on) {
    const sorted = [...names].sort();
    let key = "";
    for (const n of sorted) {
      const v = labels[n];
      if (v !== undefined && v !== "") key += `${n}${SEP}${v}${SEP}`;
    }
    return key;
  }
  const ignored = new Set(names);
  ignored.add(METRIC_NAME);
  const keep = Object.keys(labels)
    .filter((n) => !ignored.has(n))
    .sort();
  let key = "";
  for (const n of keep) key += `${n}${SEP}${labels[n]}${SEP}`;
  return key;
}

/** Only the named labels (that are present). */
export function keepLabels(labels: Labels, names: readonly string[]): Labels {
  const out: Record<string, string> = {};
  for (const n of names) {
    const v = labels[n];
    if (v !== undefined && v !== "") out[n] = v;
  }
  return out;
}

/** All labels but the named ones. */
export function withoutLabels(labels: Labels, names: ReadonlySet<string>): Labels {
  const out: Record<string, string> = {};
  for (const n in labels) if (!names.has(n)) out[n] = labels[n]!;
  return out;
}

/** The labels an aggregation groups by: `by (names)` keeps them, `without (names)` drops them and `__name__`. */
export function groupingLabels(labels: Labels, names: readonly string[], without: boolean): Labels {
  if (!without) return keepLabels(labels, names);
  const drop = new Set(names);
  drop.add(METRIC_NAME);
  return withoutLabels(labels, drop);
}

/** Prometheus' labels.String(): `{__name__="up", job="node"}`, names sorted. */
export function labelsToString(labels: Labels): string {
  const names = Object.keys(labels).sort();
  return `{${names.map((n) => `${n}=${JSON.stringify(labels[n])}`).join(", ")}}`;
}

/** Orders label sets like Prometheus' labels.Compare (used to sort matrix results). */
export function compareLabels(a: Labels, b: Labels): number {
  const an = Object.keys(a).sort();
  const bn = Object.keys(b).sort();
  const n = Math.min(an.length, bn.length);
  for (let i = 0; i < n; i++) {
    const x = an[i]!;
    const y = bn[i]!;
    if (x !== y) return x < y ? -1 : 1;
    const xv = a[x]!;
    const yv = b[y]!;
    if (xv !== yv) return xv < yv ? -1 : 1;
  }
  return an.length - bn.length;
}

/** Label names Prometheus accepts. */
export function isValidLabelName(name: string): boolean {
  return /^[a-zA-Z_][a-zA-Z0-9_]*$/.test(name);
}
