/**
 * What a statsd series becomes in Gnocchi's model, worked out once per
 * series (not per line):
 *
 * - metric name: `<name>|<type>` as Gnocchi names it (`page.views|c`), then
 *   `@k=v,...` over the DogStatsD tags sorted by key (a tag without value as
 *   `k`), the resource tag left out; every `/` becomes `_` (Gnocchi refuses
 *   `/` in metric names); at most 255 characters;
 * - resource: the tag named by `resourceTag` when present (its value is the
 *   resource's original id, turned into a UUID with the creator), else the
 *   configured resource;
 * - labels (for PromQL): `__name__` is the name made a valid Prometheus name
 *   (`page.views` → `page_views`), `statsd_type` the type, and every tag
 *   (the resource tag included) under its name made a valid label name; a
 *   tag without value is `"true"`, a repeated tag keeps its last value.
 */
import { compareCodePoints } from "../carbonara/code-points.js";
import { MAX_LABEL_PAIR_BYTES } from "../indexer/label-store.js";
import { MAX_METRIC_NAME_LENGTH } from "../indexer/metric-insert.js";
import { resourceIdFromInput } from "../indexer/resource-id.js";
import type { BadLineReason, StatsdType } from "./line.js";

export interface SeriesIdentity {
  readonly metricName: string;
  /** null: the configured resource. */
  readonly resource: { readonly id: string; readonly originalId: string } | null;
  readonly labels: Readonly<Record<string, string>>;
}

export interface SeriesContext {
  readonly resourceTag: string | null;
  readonly creator: string | null;
}

/** Prometheus' metric and label name alphabet: other characters become `_`, no leading digit. */
export function prometheusName(name: string): string {
  const cleaned = name.replace(/[^A-Za-z0-9_]/g, "_");
  return /^[0-9]/.test(cleaned) ? `_${cleaned}` : cleaned;
}

function codePoints(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}

/** Tags `k:v,k2,...` as a map (last value wins; a tag without `:` has value null). */
function parseTags(text: string): Map<string, string | null> | BadLineReason {
  const tags = new Map<string, string | null>();
  if (text === "") return tags;
  for (const tag of text.split(",")) {
    if (tag === "") continue;
    const colon = tag.indexOf(":");
    const key = colon < 0 ? tag : tag.slice(0, colon);
    if (key === "") return "bad_tags";
    tags.set(key, colon < 0 ? null : tag.slice(colon + 1));
  }
  return tags;
}

/** The identity of series `name|type|#tags`, or why such lines are refused. */
export function seriesIdentity(
  name: string,
  type: StatsdType,
  tagsText: string | null,
  context: SeriesContext,
): SeriesIdentity | BadLineReason {
  const tags = tagsText === null ? new Map<string, string | null>() : parseTags(tagsText);
  if (typeof tags === "string") return tags;

  let resource: SeriesIdentity["resource"] = null;
  const resourceTagValue = context.resourceTag === null ? undefined : tags.get(context.resourceTag);
  if (resourceTagValue !== undefined) {
    if (resourceTagValue === null || resourceTagValue === "") return "bad_resource_tag";
    try {
      resource = {
        id: resourceIdFromInput(resourceTagValue, context.creator),
        originalId: resourceTagValue,
      };
    } catch {
      return "bad_resource_tag";
    }
  }

  const labels: Record<string, string> = { __name__: prometheusName(name), statsd_type: type };
  const suffix: string[] = [];
  for (const key of [...tags.keys()].sort(compareCodePoints)) {
    const value = tags.get(key)!;
    const label = prometheusName(key);
    if (label.startsWith("__") || label === "statsd_type") return "reserved_tag";
    const labelValue = value ?? "true";
    if (Buffer.byteLength(label) + Buffer.byteLength(labelValue) > MAX_LABEL_PAIR_BYTES) {
      return "bad_tags";
    }
    labels[label] = labelValue;
    if (key !== context.resourceTag) suffix.push(value === null ? key : `${key}=${value}`);
  }
  const metricName = `${name}|${type}${suffix.length > 0 ? `@${suffix.join(",")}` : ""}`.replaceAll(
    "/",
    "_",
  );
  if (codePoints(metricName) > MAX_METRIC_NAME_LENGTH) return "name_too_long";
  return { metricName, resource, labels };
}
