/**
 * Where a Prometheus series lives in Gnocchi's model:
 *
 * - resource: type `prometheus`, one per (job, instance) as Gnocchi does:
 *   original id `<job>@<instance>` (a missing label is `none`), attributes
 *   `job` and `instance`, id the UUIDv5 of the original id and the creator;
 * - metric: one per distinct label set, named `__name__` followed by the
 *   other labels (job and instance excepted: they name the resource) in
 *   name order, `node_cpu_seconds_total{cpu="0",mode="idle"}`; a series with
 *   no other label is named `__name__` alone, exactly as in Gnocchi.
 *
 * Metric names cannot hold `/` and have at most 255 characters (spec rest
 * §5.1). Values are written as Prometheus quotes them (`\\`, `\"`, `\n`),
 * and `/` as `∕` (U+2215), with a literal `∕` written `\∕`, so two label sets
 * never get the same name. A name over 255 characters is cut and ends with
 * `…` and 16 hex digits of the label set's identity hash. The metric name is
 * only for people and the /v1 API: the full label set is stored in the
 * indexer (label-store.ts), which is what PromQL selects on.
 */
import { InvalidResourceIdError } from "../indexer/errors.js";
import { labelSetHash } from "../indexer/label-store.js";
import { MAX_METRIC_NAME_LENGTH } from "../indexer/metric-insert.js";
import { RESOURCE_ID_NAMESPACE, resourceIdFromInput, uuid5 } from "../indexer/resource-id.js";
import type { SeriesLabels } from "./labels.js";

export const PROMETHEUS_RESOURCE_TYPE = "prometheus";

/** The `prometheus` resource type's attributes (Gnocchi's definition). */
export const PROMETHEUS_TYPE_ATTRIBUTES = {
  job: { type: "string", min_length: 1, max_length: 512, required: true },
  instance: { type: "string", min_length: 1, max_length: 512, required: true },
} as const;

export interface SeriesTarget {
  readonly resourceId: string;
  readonly originalResourceId: string;
  readonly job: string;
  readonly instance: string;
  readonly metricName: string;
}

function quote(value: string): string {
  let out = "";
  for (const ch of value) {
    switch (ch) {
      case "\\":
        out += "\\\\";
        break;
      case '"':
        out += '\\"';
        break;
      case "\n":
        out += "\\n";
        break;
      case "/":
        out += "∕";
        break;
      case "∕":
        out += "\\∕";
        break;
      default:
        out += ch;
    }
  }
  return out;
}

/** The metric name of a label set (see the module comment). */
export function metricNameOf(labels: SeriesLabels): string {
  const parts: string[] = [];
  for (const [name, value] of labels.pairs) {
    if (name === "__name__" || name === "job" || name === "instance") continue;
    parts.push(`${name}="${quote(value)}"`);
  }
  const full = parts.length === 0 ? labels.name : `${labels.name}{${parts.join(",")}}`;
  const chars = [...full];
  if (chars.length <= MAX_METRIC_NAME_LENGTH) return full;
  const hash = labelSetHash(labels.pairs).replaceAll("-", "").slice(0, 16);
  return `${chars.slice(0, MAX_METRIC_NAME_LENGTH - 17).join("")}…${hash}`;
}

/** The resource id of an original id: Gnocchi's conversion, also for ids it refuses (`/`, > 255). */
function resourceIdOf(original: string, creator: string | null): string {
  try {
    return resourceIdFromInput(original, creator);
  } catch (error) {
    if (!(error instanceof InvalidResourceIdError)) throw error;
    // Same UUIDv5 as resourceIdFromInput computes; such a resource is reached by its UUID.
    return uuid5(RESOURCE_ID_NAMESPACE, `${original}\u0000${creator ?? "\u0000"}`);
  }
}

export function seriesTarget(labels: SeriesLabels, creator: string | null): SeriesTarget {
  let job = "none";
  let instance = "none";
  for (const [name, value] of labels.pairs) {
    if (name === "job") job = value;
    else if (name === "instance") instance = value;
  }
  const originalResourceId = `${job}@${instance}`;
  return {
    resourceId: resourceIdOf(originalResourceId, creator),
    originalResourceId,
    job,
    instance,
    metricName: metricNameOf(labels),
  };
}
