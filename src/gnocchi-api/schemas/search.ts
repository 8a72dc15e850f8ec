/**
 * The resource filter of a search or batch delete (spec rest §9.1–§9.3,
 * §8.8): the JSON body when there is one (415/400 as any JSON body), else
 * the string form of `?filter=`, else none. Both are validated by the
 * indexer's search-filter.ts, with non-UUID `id` values derived with the
 * caller as creator.
 */
import type { Context } from "hono";
import {
  parseJsonFilter,
  parseStringFilter,
  type SearchFilter,
} from "../../indexer/search-filter.js";
import { readJsonBody } from "../body.js";

/**
 * The filter, or null when none was given or it is `{}` (match all).
 * @throws HttpError 415/400 (body), InvalidSearchInputError, InvalidFilterError
 */
export async function readResourceFilter(
  c: Context,
  creator: string | null,
): Promise<SearchFilter | null> {
  if ((await c.req.text()) !== "") return parseJsonFilter(await readJsonBody(c), { creator });
  const text = c.req.query("filter");
  return text ? parseStringFilter(text, { creator }) : null;
}
