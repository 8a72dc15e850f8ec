/**
 * `/v1/resource` (spec rest §8): the type index, create/list/batch-delete
 * per type, one resource (GET/PATCH/DELETE with ETag, Last-Modified and
 * conditional requests) and its history. An unknown type in the path is a
 * 404 before anything else, then an id that cannot be a resource id is a
 * 404 too, as Gnocchi's controller lookups. The `/{id}/metric` routes live
 * in their own module on the same prefix.
 */
import { type Context, Hono } from "hono";
import type { ResourceType } from "../../indexer/resource-type-store.js";
import type { SearchFilter } from "../../indexer/search-filter.js";
import { compileFilter } from "../../indexer/search-sql.js";
import { and, TRUE } from "../../indexer/sql-compose.js";
import { getCredentials } from "../auth.js";
import { readJsonBody } from "../body.js";
import { checkPreconditions, etagHeaders } from "../conditional.js";
import type { AppEnv } from "../context.js";
import { badRequest } from "../errors.js";
import { nextPageLink, requestPage } from "../pagination.js";
import { enforce } from "../policy.js";
import { boolParam } from "../query.js";
import { resourceJson } from "../resource-json.js";
import { replyResourcePage } from "../resource-page.js";
import { noContent, reply } from "../responses.js";
import { parseResourceChanges, parseResourceCreate } from "../schemas/resource.js";
import { readResourceFilter } from "../schemas/search.js";
import { resourceVisibilityFor } from "../services/aggregates-resources.js";
import { listResources, resourceMarker, resourcePageOptions } from "../services/resource-list.js";
import { getResourceType, listResourceTypes } from "../services/resource-types.js";
import * as resources from "../services/resources.js";
import { v1Url } from "../urls.js";

export const resourceRoutes = new Hono<AppEnv>({ strict: false });

type Ctx = Context<AppEnv>;

resourceRoutes.get("/", async (c) => {
  const types = await listResourceTypes(c.var.deps.db);
  const index: Record<string, string> = {};
  for (const rt of types) index[rt.name] = v1Url(c, `/resource/${rt.name}`);
  return reply(c, index);
});

resourceRoutes.post("/:type", async (c) => {
  const type = await getResourceType(c.var.deps.db, c.req.param("type"));
  const creator = getCredentials(c).user;
  const body = parseResourceCreate(await readJsonBody(c), type, creator);
  enforce(c, "create resource", { resource_type: type.name });
  const resource = await resources.createResource(c.var.deps.db, type.name, body, creator);
  return reply(c, resourceJson(resource), 201, {
    Location: v1Url(c, `/resource/${type.name}/${resource.id}`),
    ...etagHeaders(resource),
  });
});

resourceRoutes.get("/:type", async (c) => {
  const type = await getResourceType(c.var.deps.db, c.req.param("type"));
  return replyResourcePage(c, type, null);
});

resourceRoutes.delete("/:type", async (c) => {
  const type = await getResourceType(c.var.deps.db, c.req.param("type"));
  const creds = getCredentials(c);
  const filter = await readResourceFilter(c, creds.user);
  if (filter === null) {
    throw badRequest("caution: the query can not be empty, or it will delete entire database");
  }
  const visibility = resourceVisibilityFor(c.var.deps.options.authMode, creds);
  const where = and([compileFilter(filter, type), visibility ?? TRUE]);
  const deleted = await resources.deleteResources(c.var.deps.db, type.name, where);
  return reply(c, { deleted });
});

/** The type and the resource UUID of a `/{type}/{id}` path (404s as Gnocchi). */
async function pathResource(c: Ctx): Promise<{ type: ResourceType; id: string }> {
  const type = await getResourceType(c.var.deps.db, c.req.param("type") ?? "");
  const id = resources.pathResourceId(c.req.param("id") ?? "", getCredentials(c).user);
  return { type, id };
}

resourceRoutes.get("/:type/:id", async (c) => {
  const { type, id } = await pathResource(c);
  const resource = await resources.getResource(c.var.deps.db, type.name, id);
  const json = resourceJson(resource);
  enforce(c, "get resource", json);
  const notModified = checkPreconditions(c, resource);
  if (notModified) return notModified;
  return reply(c, json, 200, etagHeaders(resource));
});

resourceRoutes.patch("/:type/:id", async (c) => {
  const { type, id } = await pathResource(c);
  const db = c.var.deps.db;
  const resource = await resources.getResource(db, type.name, id);
  enforce(c, "update resource", resourceJson(resource));
  checkPreconditions(c, resource);
  const input = await readJsonBody(c);
  const changes = parseResourceChanges(input, type);
  if (Object.keys(input as object).length === 0) {
    return reply(c, resourceJson(resource), 200, etagHeaders(resource));
  }
  const updated = await resources.patchResource(db, type.name, id, changes);
  return reply(c, resourceJson(updated), 200, etagHeaders(updated));
});

resourceRoutes.delete("/:type/:id", async (c) => {
  const { type, id } = await pathResource(c);
  const resource = await resources.getResource(c.var.deps.db, type.name, id);
  enforce(c, "delete resource", resourceJson(resource));
  checkPreconditions(c, resource);
  await resources.deleteResource(c.var.deps.db, type.name, id);
  return noContent();
});

resourceRoutes.get("/:type/:id/history", async (c) => {
  const { type, id } = await pathResource(c);
  const details = boolParam(c, "details", false);
  const page = requestPage(c, resourcePageOptions(type, true));
  const db = c.var.deps.db;
  const resource = await resources.getResource(db, type.name, id);
  enforce(c, "get resource", resourceJson(resource));
  const filter: SearchFilter = { kind: "compare", op: "=", attribute: "id", value: id };
  const list = await listResources(db, { type, filter, details, history: true, page });
  const link = nextPageLink(c, page, list.length, () => resourceMarker(list.at(-1)!, true));
  return reply(
    c,
    list.map((r) => resourceJson(r)),
    200,
    link,
  );
});
