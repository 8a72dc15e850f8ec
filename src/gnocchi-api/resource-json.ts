/**
 * The JSON view of a resource (spec rest §8.1), in one place for every
 * endpoint that returns resources (resources, history, search, aggregates
 * `details`/groupby): the 13 generic keys (with `metrics` name → id and
 * `original_resource_id`), then the type's attributes, dates as
 * `2014-01-03T02:02:02+00:00`. `attrs` keeps only the named keys, as
 * Gnocchi's `jsonify(attrs)`: unknown names are ignored, none means all.
 */
import { type Resource, resourceToJSON } from "../indexer/resource-row.js";

export type { Resource } from "../indexer/resource-row.js";

export function resourceJson(
  resource: Resource,
  attrs: readonly string[] = [],
): Record<string, unknown> {
  const json = resourceToJSON(resource);
  if (attrs.length === 0) return json;
  const keep = new Set(attrs);
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(json)) if (keep.has(key)) out[key] = value;
  return out;
}
