/**
 * `/v1/archive_policy_rule` (spec rest §4). An unknown rule in the URL is a
 * 404 before anything else, as Gnocchi's lookup does.
 */
import { Hono } from "hono";
import { archivePolicyRuleToJSON } from "../../carbonara/archive-policy-rule.js";
import * as rules from "../../indexer/archive-policy-rule-store.js";
import { readJsonBody } from "../body.js";
import type { AppEnv } from "../context.js";
import { enforce } from "../policy.js";
import { noContent, reply } from "../responses.js";
import {
  createArchivePolicyRuleSchema,
  renameArchivePolicyRuleSchema,
} from "../schemas/archive-policy-rule.js";
import { v1Url } from "../urls.js";
import { validate } from "../validation.js";

export const archivePolicyRuleRoutes = new Hono<AppEnv>({ strict: false });

archivePolicyRuleRoutes.post("/", async (c) => {
  enforce(c, "create archive policy rule");
  const body = validate(createArchivePolicyRuleSchema, await readJsonBody(c));
  const rule = await rules.createArchivePolicyRule(c.var.deps.db, {
    name: body.name,
    metricPattern: body.metric_pattern,
    archivePolicyName: body.archive_policy_name,
  });
  return reply(c, archivePolicyRuleToJSON(rule), 201, {
    Location: v1Url(c, `/archive_policy_rule/${rule.name}`),
  });
});

archivePolicyRuleRoutes.get("/", async (c) => {
  enforce(c, "list archive policy rule");
  const list = await rules.listArchivePolicyRules(c.var.deps.db);
  return reply(c, list.map(archivePolicyRuleToJSON));
});

archivePolicyRuleRoutes.get("/:name", async (c) => {
  const rule = await rules.getArchivePolicyRule(c.var.deps.db, c.req.param("name"));
  const json = archivePolicyRuleToJSON(rule);
  enforce(c, "get archive policy rule", json);
  return reply(c, json);
});

archivePolicyRuleRoutes.patch("/:name", async (c) => {
  const rule = await rules.getArchivePolicyRule(c.var.deps.db, c.req.param("name"));
  const body = validate(renameArchivePolicyRuleSchema, await readJsonBody(c));
  enforce(c, "update archive policy rule");
  const renamed = await rules.renameArchivePolicyRule(c.var.deps.db, rule.name, body.name);
  return reply(c, archivePolicyRuleToJSON(renamed));
});

archivePolicyRuleRoutes.delete("/:name", async (c) => {
  const rule = await rules.getArchivePolicyRule(c.var.deps.db, c.req.param("name"));
  enforce(c, "delete archive policy rule");
  await rules.deleteArchivePolicyRule(c.var.deps.db, rule.name);
  return noContent();
});
