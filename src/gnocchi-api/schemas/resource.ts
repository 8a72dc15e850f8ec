/**
 * Resource bodies (spec rest §8.3, §8.5): the generic keys `id` (creation
 * only, kept as sent: the indexer derives the UUID), `started_at`,
 * `ended_at`, `user_id`, `project_id`, `metrics`, then the custom attributes
 * of the type in the URL. Checked in body order with voluptuous's texts, as
 * Gnocchi's `ResourceSchema`; every key optional on PATCH.
 */
import type { Micros } from "../../carbonara/time.js";
import { parseTimestamp } from "../../carbonara/timestamp.js";
import {
  InvalidInputError,
  InvalidMetricNameError,
  InvalidResourceIdError,
} from "../../indexer/errors.js";
import { resourceIdFromInput } from "../../indexer/resource-id.js";
import type { MetricRef, ResourceMetrics } from "../../indexer/resource-metrics.js";
import type { ResourceChanges, ResourceCreate } from "../../indexer/resource-store.js";
import { validateAttributes } from "../../indexer/resource-type-schema.js";
import type { ResourceType } from "../../indexer/resource-type-store.js";

const GENERIC_KEYS = new Set(["id", "started_at", "ended_at", "user_id", "project_id", "metrics"]);

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** `utils.to_datetime`: any timestamp of spec §0.5; any failure is voluptuous's generic text. */
function timestamp(value: unknown, key: string): Micros {
  try {
    return parseTimestamp(value);
  } catch {
    throw new InvalidInputError("not a valid value", [key]);
  }
}

function optionalString(value: unknown, key: string): string | null {
  if (value === null || typeof value === "string") return value;
  throw new InvalidInputError("expected str", [key]);
}

/** `{name: <metric uuid> | {"archive_policy_name"?, "unit"?}}` (name lengths and units are checked by the indexer). */
function metrics(value: unknown): ResourceMetrics {
  if (!isObject(value)) throw new InvalidInputError("expected a dictionary", ["metrics"]);
  const out: Record<string, MetricRef> = {};
  for (const [name, ref] of Object.entries(value)) {
    const path = ["metrics", name];
    // Gnocchi's schema checks names as it walks the keys, so this comes before a missing `id`.
    if (name.includes("/")) throw new InvalidMetricNameError(name);
    if (typeof ref === "string") {
      out[name] = ref;
      continue;
    }
    // voluptuous `Any(UUID, MetricSchema)` reports its first alternative's failure.
    if (!isObject(ref)) throw new InvalidInputError("not a valid value", path);
    for (const key of Object.keys(ref)) {
      if (key !== "archive_policy_name" && key !== "unit")
        throw new InvalidInputError("extra keys not allowed", [...path, key]);
    }
    const policy = ref.archive_policy_name;
    if (policy !== undefined && typeof policy !== "string")
      throw new InvalidInputError("expected str", [...path, "archive_policy_name"]);
    const unit = ref.unit;
    if (unit !== undefined && typeof unit !== "string")
      throw new InvalidInputError("expected str", [...path, "unit"]);
    out[name] = {
      ...(policy === undefined ? {} : { archivePolicyName: policy }),
      ...(unit === undefined ? {} : { unit }),
    };
  }
  return out;
}

/** The generic keys of a body, converted; custom attributes left in `attributes` as sent. */
function parseBody(
  input: unknown,
  rt: ResourceType,
  creating: boolean,
  creator: string | null,
): ResourceCreate {
  if (!isObject(input)) throw new InvalidInputError("expected a dictionary");
  let id: string | undefined;
  const body: {
    -readonly [K in keyof ResourceCreate]?: ResourceCreate[K];
  } = {};
  const attributes: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(input)) {
    if (!GENERIC_KEYS.has(key) || (key === "id" && !creating)) {
      attributes[key] = value;
      continue;
    }
    switch (key) {
      case "id":
        if (typeof value !== "string") throw new InvalidInputError("expected str", ["id"]);
        try {
          resourceIdFromInput(value, creator);
        } catch (error) {
          if (error instanceof InvalidResourceIdError)
            throw new InvalidInputError(error.message, ["id"]);
          throw error;
        }
        id = value;
        break;
      case "started_at":
        body.startedAt = timestamp(value, key);
        break;
      case "ended_at":
        body.endedAt = value === null ? null : timestamp(value, key);
        break;
      case "user_id":
        body.userId = optionalString(value, key);
        break;
      case "project_id":
        body.projectId = optionalString(value, key);
        break;
      case "metrics":
        body.metrics = metrics(value);
        break;
    }
  }
  // Unknown keys and attribute values, then missing required attributes.
  validateAttributes(rt.attributes, attributes, !creating);
  if (creating && id === undefined)
    throw new InvalidInputError("required key not provided", ["id"]);
  return { ...body, id: id ?? "", attributes };
}

/**
 * The body of `POST /v1/resource/{type}`; `creator` (the caller) derives non-UUID ids.
 * @throws InvalidInputError with voluptuous's reason and path
 */
export function parseResourceCreate(
  input: unknown,
  rt: ResourceType,
  creator: string | null,
): ResourceCreate {
  return parseBody(input, rt, true, creator);
}

/**
 * The body of `PATCH /v1/resource/{type}/{id}` (`id` is an extra key there).
 * @throws InvalidInputError
 */
export function parseResourceChanges(input: unknown, rt: ResourceType): ResourceChanges {
  const { id: _, ...changes } = parseBody(input, rt, false, null);
  return changes;
}
