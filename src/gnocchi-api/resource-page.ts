/**
 * The reply of the resource listings (spec rest §8.7, §9.3): reads
 * `details`, `history`, pagination and `attrs` in Gnocchi's order, applies
 * the caller's visibility filter, and answers the page as JSON with the
 * `Link` header when it is full.
 */
import type { Context } from "hono";
import type { ResourceType } from "../indexer/resource-type-store.js";
import type { SearchFilter } from "../indexer/search-filter.js";
import { getCredentials } from "./auth.js";
import type { AppEnv } from "./context.js";
import { nextPageLink, requestPage } from "./pagination.js";
import { boolParam } from "./query.js";
import { resourceJson } from "./resource-json.js";
import { reply } from "./responses.js";
import { resourceVisibilityFor } from "./services/aggregates-resources.js";
import { listResources, resourceMarker, resourcePageOptions } from "./services/resource-list.js";

type Ctx = Context<AppEnv>;

/** The `attrs` query parameters (keys kept in each listed object). */
export function attrsParam(c: Context): string[] {
  return c.req.queries("attrs") ?? [];
}

/**
 * A page of resources of `type` matching `filter` (plus the caller's
 * visibility filter) as the list/search reply, with the `Link` header when
 * the page is full. Reads `details`, `history`, pagination and `attrs`.
 */
export async function replyResourcePage(
  c: Ctx,
  type: ResourceType,
  filter: SearchFilter | null,
): Promise<Response> {
  const details = boolParam(c, "details", false);
  const history = boolParam(c, "history", false);
  const page = requestPage(c, resourcePageOptions(type, history));
  const attrs = attrsParam(c);
  const creds = getCredentials(c);
  const visibility = resourceVisibilityFor(c.var.deps.options.authMode, creds);
  const list = await listResources(c.var.deps.db, {
    type,
    filter,
    visibility,
    details,
    history,
    page,
  });
  const link = nextPageLink(c, page, list.length, () => resourceMarker(list.at(-1)!, history));
  return reply(
    c,
    list.map((r) => resourceJson(r, attrs)),
    200,
    link,
  );
}
