/**
 * `/v1/archive_policy` (spec rest §3). Creation checks the admin role
 * before reading the body, as Gnocchi does; PATCH looks the policy up (404)
 * before the role check.
 */
import { Hono } from "hono";
import { archivePolicyToJSON } from "../../carbonara/archive-policy.js";
import { NoSuchArchivePolicyError } from "../../indexer/errors.js";
import { readJsonBody } from "../body.js";
import type { AppEnv } from "../context.js";
import { notFound } from "../errors.js";
import { enforce } from "../policy.js";
import { noContent, reply } from "../responses.js";
import { createArchivePolicySchema, updateArchivePolicySchema } from "../schemas/archive-policy.js";
import * as policies from "../services/archive-policies.js";
import { v1Url } from "../urls.js";
import { validate } from "../validation.js";

export const archivePolicyRoutes = new Hono<AppEnv>({ strict: false });

archivePolicyRoutes.post("/", async (c) => {
  enforce(c, "create archive policy");
  const body = validate(createArchivePolicySchema, await readJsonBody(c));
  const { db, options } = c.var.deps;
  const policy = await policies.createArchivePolicy(db, body, options.defaultAggregationMethods);
  return reply(c, archivePolicyToJSON(policy), 201, {
    Location: v1Url(c, `/archive_policy/${policy.name}`),
  });
});

archivePolicyRoutes.get("/", async (c) => {
  enforce(c, "list archive policy");
  const list = await policies.listArchivePolicies(c.var.deps.db);
  return reply(c, list.map(archivePolicyToJSON));
});

archivePolicyRoutes.get("/:name", async (c) => {
  const name = c.req.param("name");
  const policy = await policies.findArchivePolicy(c.var.deps.db, name);
  if (policy === undefined) throw notFound(new NoSuchArchivePolicyError(name).message);
  const json = archivePolicyToJSON(policy);
  enforce(c, "get archive policy", json);
  return reply(c, json);
});

archivePolicyRoutes.patch("/:name", async (c) => {
  const name = c.req.param("name");
  const policy = await policies.getArchivePolicy(c.var.deps.db, name);
  enforce(c, "update archive policy", archivePolicyToJSON(policy));
  const body = validate(updateArchivePolicySchema, await readJsonBody(c));
  const updated = await policies.updateArchivePolicy(c.var.deps.db, policy, body.definition);
  return reply(c, archivePolicyToJSON(updated));
});

archivePolicyRoutes.delete("/:name", async (c) => {
  enforce(c, "delete archive policy");
  await policies.deleteArchivePolicy(c.var.deps.db, c.req.param("name"));
  return noContent();
});
