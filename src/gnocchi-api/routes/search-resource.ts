/**
 * `POST /v1/search/resource/{type}` (spec rest §9.3): the filter from the
 * JSON body, else `?filter=`, else all; then the listing of
 * `/v1/resource/{type}` (details, history, pagination, attrs, visibility).
 * An unknown type is a 404 whatever the method, as Gnocchi's lookup runs
 * before method dispatch; other methods on a known type are 405.
 */
import { Hono } from "hono";
import { getCredentials } from "../auth.js";
import type { AppEnv } from "../context.js";
import { methodNotAllowed } from "../errors.js";
import { replyResourcePage } from "../resource-page.js";
import { readResourceFilter } from "../schemas/search.js";
import { getResourceType } from "../services/resource-types.js";

export const searchResourceRoutes = new Hono<AppEnv>({ strict: false });

searchResourceRoutes.post("/:type", async (c) => {
  const type = await getResourceType(c.var.deps.db, c.req.param("type"));
  const filter = await readResourceFilter(c, getCredentials(c).user);
  return replyResourcePage(c, type, filter);
});

searchResourceRoutes.on(["GET", "PUT", "PATCH", "DELETE"], "/:type", async (c) => {
  await getResourceType(c.var.deps.db, c.req.param("type"));
  throw methodNotAllowed(["POST"]);
});
