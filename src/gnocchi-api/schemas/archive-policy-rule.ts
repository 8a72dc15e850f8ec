/** Request bodies of `/v1/archive_policy_rule` (spec rest §4). */
import { z } from "zod";

export const createArchivePolicyRuleSchema = z.strictObject({
  name: z.string(),
  metric_pattern: z.string(),
  archive_policy_name: z.string(),
});

export const renameArchivePolicyRuleSchema = z.strictObject({
  name: z.string(),
});
