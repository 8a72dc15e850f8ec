/**
 * Bodies of the batch measures endpoints (spec rest §6), read whole before
 * anything is looked up, with voluptuous's messages and paths:
 * - `{<metric uuid>: [measures]}`: a key that is not a UUID is an extra key;
 * - `{<resource id>: {<metric name>: [measures] | {"measures": [...],
 *   "archive_policy_name"?, "unit"?}}}`: resource ids converted with the
 *   caller's creator (§0.9), an unconvertible one is an extra key.
 * A measures error names its place: `unexpected measures format for
 * dictionary value @ data['<key>']`, detail `["<key>"]`.
 */
import type { z } from "zod";
import type { Micros } from "../../carbonara/time.js";
import { currentMicros } from "../../carbonara/timestamp.js";
import { InvalidResourceIdError } from "../../indexer/errors.js";
import { parseUuid, resourceIdFromInput } from "../../indexer/resource-id.js";
import { badRequest, type HttpError } from "../errors.js";
import { voluptuousError } from "../validation.js";
import { type Measures, MeasuresInputError, parseMeasures } from "./measures.js";

function invalid(issue: Record<string, unknown>, data: unknown = undefined): HttpError {
  const { reason, path } = voluptuousError(issue as unknown as z.core.$ZodIssue, data);
  return badRequest({ cause: "Invalid input", reason, detail: path.map(String) });
}

const extraKey = (path: string[], key: string) =>
  invalid({ code: "unrecognized_keys", keys: [key], path });
const atPath = (path: string[], message: string) => invalid({ code: "custom", message, path });

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** `value`, found at `path` of the body. */
function nested(path: readonly string[], value: unknown): unknown {
  return path.reduceRight<unknown>((inner, key) => ({ [key]: inner }), value);
}

function requireObject(value: unknown, path: string[]): Record<string, unknown> {
  if (!isObject(value)) {
    throw invalid({ code: "invalid_type", expected: "object", path }, nested(path, value));
  }
  return value;
}

function measuresAt(value: unknown, path: string[], now: Micros): Measures {
  try {
    return parseMeasures(value, now);
  } catch (error) {
    if (error instanceof MeasuresInputError) throw atPath(path, error.reason);
    throw error;
  }
}

/**
 * `{<metric uuid>: measures}` → measures by canonical metric id (a later
 * spelling of the same UUID wins, as in a Python dict).
 * @throws HttpError 400 Invalid input
 */
export function parseMetricsBatch(body: unknown, now = currentMicros()): Map<string, Measures> {
  const out = new Map<string, Measures>();
  for (const [key, value] of Object.entries(requireObject(body, []))) {
    const id = parseUuid(key);
    if (id === undefined) throw extraKey([], key);
    out.set(id, measuresAt(value, [key], now));
  }
  return out;
}

export interface ResourceBatchEntry {
  /** The converted resource UUID. */
  readonly resourceId: string;
  /** The id as sent. */
  readonly originalResourceId: string;
  readonly metricName: string;
  readonly measures: Measures;
  /** For a metric `create_metrics` creates. */
  readonly archivePolicyName?: string;
  readonly unit?: string;
}

const PAYLOAD_KEYS = new Set(["measures", "archive_policy_name", "unit"]);

/** The new format `{"measures", "archive_policy_name"?, "unit"?}`. */
function payloadObject(
  payload: Record<string, unknown>,
  path: string[],
  now: Micros,
): Pick<ResourceBatchEntry, "measures" | "archivePolicyName" | "unit"> {
  for (const key of Object.keys(payload)) if (!PAYLOAD_KEYS.has(key)) throw extraKey(path, key);
  for (const key of ["archive_policy_name", "unit"] as const) {
    const v = payload[key];
    if (v !== undefined && typeof v !== "string") {
      throw invalid(
        { code: "invalid_type", expected: "string", path: [...path, key] },
        nested([...path, key], v),
      );
    }
  }
  if (!("measures" in payload)) {
    throw invalid({ code: "invalid_type", expected: "array", path: [...path, "measures"] }, {});
  }
  const { archive_policy_name: policy, unit } = payload as Record<string, string | undefined>;
  return {
    measures: measuresAt(payload.measures, [...path, "measures"], now),
    ...(policy === undefined ? {} : { archivePolicyName: policy }),
    ...(unit === undefined ? {} : { unit }),
  };
}

/**
 * `{<resource id>: {<metric name>: payload}}` → one entry per (resource, name).
 * @throws HttpError 400 Invalid input
 */
export function parseResourcesBatch(
  body: unknown,
  creator: string,
  now = currentMicros(),
): ResourceBatchEntry[] {
  const out: ResourceBatchEntry[] = [];
  for (const [original, metrics] of Object.entries(requireObject(body, []))) {
    let resourceId: string;
    try {
      resourceId = resourceIdFromInput(original, creator);
    } catch (error) {
      if (error instanceof InvalidResourceIdError) throw extraKey([], original);
      throw error;
    }
    for (const [metricName, payload] of Object.entries(requireObject(metrics, [original]))) {
      const path = [original, metricName];
      // An object is the new format unless it is empty (an empty measures list upstream).
      const parsed =
        isObject(payload) && Object.keys(payload).length > 0
          ? payloadObject(payload, path, now)
          : { measures: measuresAt(payload, path, now) };
      out.push({ resourceId, originalResourceId: original, metricName, ...parsed });
    }
  }
  return out;
}
