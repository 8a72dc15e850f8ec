/**
 * Request bodies and query strings of `/v1/metric` (spec rest §5.3, §5.4)
 * and of `POST /v1/resource/{type}/{id}/metric` (§8.11), with voluptuous's
 * rules: extra keys refused, strings where Gnocchi wants `text_type`, a
 * unit of at most 31 characters (code points, as Python counts).
 */
import { z } from "zod";
import { parseUuid } from "../../indexer/resource-id.js";
import type { MetricRef, ResourceMetrics } from "../../indexer/resource-metrics.js";
import { badRequest } from "../errors.js";
import { validate } from "../validation.js";

const codePoints = (s: string) => {
  let n = 0;
  for (const _ of s) n++;
  return n;
};

const unit = z
  .string()
  .refine((u) => codePoints(u) <= 31, { message: "length of value must be at most 31" });

/** `MetricsController.MetricSchema`: every key optional, no others. */
export const createMetricSchema = z.strictObject({
  archive_policy_name: z.string().optional(),
  resource_id: z.string().optional(),
  name: z.string().optional(),
  unit: unit.optional(),
});

export type CreateMetricBody = z.output<typeof createMetricSchema>;

const notAValue = z.record(
  z.string(),
  z.custom(() => false, { message: "not a valid value" }),
);
const definitionMap = z.record(z.string(), createMetricSchema);

/**
 * The `{name: <metric uuid> | {definition}}` map of a resource's metrics
 * (`ResourceSchema.Metrics`): a value is a UUID string or a metric
 * definition. A value that is neither is `not a valid value` (the first
 * alternative's complaint, as voluptuous's `Any` reports it).
 */
export function parseResourceMetrics(body: unknown): ResourceMetrics {
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    throw badRequest({ cause: "Invalid input", reason: "expected a dictionary", detail: [] });
  }
  const out: Record<string, MetricRef> = {};
  for (const [name, value] of Object.entries(body)) {
    if (typeof value === "string" && parseUuid(value) !== undefined) {
      out[name] = value;
      continue;
    }
    const single = { [name]: value };
    if (typeof value !== "object" || value === null || Array.isArray(value)) {
      validate(notAValue, single);
    }
    const def = validate(definitionMap, single)[name]!;
    out[name] = {
      ...(def.archive_policy_name === undefined
        ? {}
        : { archivePolicyName: def.archive_policy_name }),
      ...(def.unit === undefined ? {} : { unit: def.unit }),
    };
  }
  return out;
}

/** `MetricListSchema`: the exact-match filters of `GET /v1/metric`; other parameters are ignored. */
export const metricListQuerySchema = z.object({
  user_id: z.string().optional(),
  project_id: z.string().optional(),
  creator: z.string().optional(),
  name: z.string().optional(),
  id: z.string().optional(),
  unit: z.string().optional(),
  archive_policy_name: z.string().optional(),
  status: z.enum(["active", "delete"]).optional(),
});

export type MetricListQuery = z.output<typeof metricListQuerySchema>;
