/**
 * Request bodies of `/v1/archive_policy` (spec rest §3.2, §3.4), with
 * voluptuous's rules: extra keys refused, `points` and `back_window` coerced
 * to int, durations positive timespans, at least one definition item.
 */
import { z } from "zod";
import { VALID_AGGREGATION_METHODS } from "../../carbonara/aggregation-methods.js";
import { parsePositiveTimespan } from "../../carbonara/timespan.js";
import { checked, coercedInt } from "../validation.js";

/** voluptuous `Timespan`: null is "Invalid timespan", else a positive duration. */
const timespan = checked((value) => {
  if (value === null) throw new Error("Invalid timespan");
  return parsePositiveTimespan(value);
});

const definitionItem = z.strictObject({
  granularity: timespan.optional(),
  points: coercedInt().pipe(z.number().min(1)).optional(),
  timespan: timespan.optional(),
});

export const definitionSchema = z.array(definitionItem).min(1);

/** Methods, `*`, and methods prefixed with `+` or `-`. */
const AGGREGATION_METHOD_VALUES: ReadonlySet<string> = new Set([
  "*",
  ...VALID_AGGREGATION_METHODS,
  ...VALID_AGGREGATION_METHODS.map((m) => `+${m}`),
  ...VALID_AGGREGATION_METHODS.map((m) => `-${m}`),
]);

const aggregationMethod = z
  .string()
  .refine((m) => AGGREGATION_METHOD_VALUES.has(m), { message: "not a valid value" });

export const createArchivePolicySchema = z.strictObject({
  name: z.string(),
  back_window: coercedInt().pipe(z.number().min(0)).optional(),
  aggregation_methods: z.array(aggregationMethod).optional(),
  definition: definitionSchema,
});

export const updateArchivePolicySchema = z.strictObject({
  definition: definitionSchema,
});

export type CreateArchivePolicyBody = z.output<typeof createArchivePolicySchema>;
