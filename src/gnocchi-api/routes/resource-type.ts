/**
 * `/v1/resource_type` (spec rest §7). As in Gnocchi: a POST body is
 * validated before the admin check; PATCH and DELETE look the type up (404)
 * before the admin check; PATCH takes only `application/json-patch+json`.
 */
import { type Context, Hono } from "hono";
import { NoSuchResourceTypeError } from "../../indexer/errors.js";
import { readJsonBody } from "../body.js";
import type { AppEnv } from "../context.js";
import { notFound } from "../errors.js";
import { enforce } from "../policy.js";
import { noContent, reply } from "../responses.js";
import { JSON_PATCH_MEDIA_TYPE, parseCreateResourceTypeBody } from "../schemas/resource-type.js";
import * as types from "../services/resource-types.js";
import { v1Url } from "../urls.js";

export const resourceTypeRoutes = new Hono<AppEnv>({ strict: false });

resourceTypeRoutes.post("/", async (c) => {
  const body = parseCreateResourceTypeBody(await readJsonBody(c));
  enforce(c, "create resource type", body);
  const rt = await types.createResourceType(c.var.deps.db, body.name, body.attributes);
  return reply(c, types.resourceTypeToJSON(rt), 201, {
    Location: v1Url(c, `/resource_type/${rt.name}`),
  });
});

resourceTypeRoutes.get("/", async (c) => {
  enforce(c, "list resource type");
  const list = await types.listResourceTypes(c.var.deps.db);
  return reply(c, list.map(types.resourceTypeToJSON));
});

/** The type named in the path as JSON; 404 `Resource type <name> does not exist`. */
async function pathType(c: Context<AppEnv>, name: string) {
  const rt = await types.findResourceType(c.var.deps.db, name);
  if (rt === undefined) throw notFound(new NoSuchResourceTypeError(name).message);
  return types.resourceTypeToJSON(rt);
}

resourceTypeRoutes.get("/:name", async (c) => {
  const json = await pathType(c, c.req.param("name"));
  enforce(c, "get resource type", json);
  return reply(c, json);
});

resourceTypeRoutes.patch("/:name", async (c) => {
  const json = await pathType(c, c.req.param("name"));
  enforce(c, "update resource type", json);
  const patch = await readJsonBody(c, [JSON_PATCH_MEDIA_TYPE]);
  const updated = await types.patchResourceType(c.var.deps.db, json.name, patch);
  return reply(c, types.resourceTypeToJSON(updated));
});

resourceTypeRoutes.delete("/:name", async (c) => {
  const json = await pathType(c, c.req.param("name"));
  enforce(c, "delete resource type", json);
  await types.deleteResourceType(c.var.deps.db, json.name);
  return noContent();
});
