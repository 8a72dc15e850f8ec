/**
 * Gnocchi's mapping of line-protocol points to resources and metrics (spec
 * ingest-adapters §c): the value of the resource tag (header
 * `X-Gnocchi-InfluxDB-Tag-Resource-ID`, default `host`) is the resource's
 * original id and leaves the tags; each numeric field is a metric named
 * `<measurement>.<field>[@k=v,...]` over the remaining tags sorted by key,
 * with every `/` replaced by `_`. String fields are skipped.
 */
import { compareCodePoints } from "../carbonara/code-points.js";
import type { Micros } from "../carbonara/time.js";
import { forEachPoint, type InfluxPoint, type Precision } from "./line-protocol.js";

export const DEFAULT_RESOURCE_TAG = "host";

/** A line lacks the resource tag: 400 ``Unable to find key `host' in tags``. */
export class MissingResourceTagError extends Error {
  override name = "MissingResourceTagError";
  constructor(
    readonly tag: string,
    readonly line: number,
  ) {
    super(`Unable to find key \`${tag}' in tags`);
  }
}

/** The measures of one metric, in line order. */
export interface MetricMeasures {
  readonly timestamps: Micros[];
  readonly values: number[];
}

/** Resource original id → metric name → measures. */
export type GroupedMeasures = Map<string, Map<string, MetricMeasures>>;

/** The `@k=v,...` suffix of a point's remaining tags ("" without tags). */
function tagSuffix(tags: ReadonlyMap<string, string>): string {
  if (tags.size === 0) return "";
  const keys = [...tags.keys()].sort(compareCodePoints);
  return `@${keys.map((k) => `${k}=${tags.get(k)}`).join(",")}`;
}

/** Adds one point's numeric fields to `grouped`. @throws MissingResourceTagError */
function addPoint(grouped: GroupedMeasures, point: InfluxPoint, resourceTag: string, now: Micros) {
  const resource = point.tags.get(resourceTag);
  if (resource === undefined) throw new MissingResourceTagError(resourceTag, point.line);
  point.tags.delete(resourceTag);
  const suffix = tagSuffix(point.tags);
  const timestamp = point.timestamp ?? now;
  for (const [field, value] of point.fields) {
    if (typeof value !== "number") continue;
    let metrics = grouped.get(resource);
    if (metrics === undefined) {
      metrics = new Map();
      grouped.set(resource, metrics);
    }
    const name = `${point.measurement}.${field}${suffix}`.replaceAll("/", "_");
    let measures = metrics.get(name);
    if (measures === undefined) {
      measures = { timestamps: [], values: [] };
      metrics.set(name, measures);
    }
    measures.timestamps.push(timestamp);
    measures.values.push(value);
  }
}

/**
 * Groups parsed points by resource and metric (the points lose their
 * resource tag). Points without a timestamp get `now`.
 * @throws MissingResourceTagError
 */
export function groupPoints(
  points: readonly InfluxPoint[],
  resourceTag: string,
  now: Micros,
): GroupedMeasures {
  const grouped: GroupedMeasures = new Map();
  for (const point of points) addPoint(grouped, point, resourceTag, now);
  return grouped;
}

/**
 * Parses and groups a request body in one pass.
 * @throws LineProtocolError, MissingResourceTagError (for the first failing line)
 */
export function groupLines(
  text: string,
  precision: Precision,
  resourceTag: string,
  now: Micros,
): GroupedMeasures {
  const grouped: GroupedMeasures = new Map();
  forEachPoint(text, precision, (point) => addPoint(grouped, point, resourceTag, now));
  return grouped;
}
