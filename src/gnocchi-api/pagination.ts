/**
 * Pagination of the list/search endpoints (spec rest §11): `limit`, `marker`
 * and repeatable `sort` read from the query string, checked against the
 * sortable columns by src/indexer/pagination.ts (which also runs the keyset
 * query), and the `Link: <…>; rel="next"` header Gnocchi sends when a page is
 * full.
 *
 * Route use:
 *   const page = requestPage(c, { columns, defaults: RESOURCE_DEFAULT_SORT, tiebreakers: RESOURCE_TIEBREAKERS });
 *   const rows = await list(..., page);
 *   const link = nextPageLink(c, page, rows.length, () => lastRowMarker);
 *   return reply(c, json, 200, link);
 */

import type { Context } from "hono";
import { compareCodePoints } from "../carbonara/code-points.js";
import { ArgumentValueError } from "../indexer/errors.js";
import { type Page, type PaginationOptions, parsePagination } from "../indexer/pagination.js";
import type { AppEnv } from "./context.js";

export type { Page } from "../indexer/pagination.js";

/** Where an endpoint's sort keys, defaults and tiebreakers come from; `maxLimit` is the API's. */
export type PageOptions = Omit<PaginationOptions, "maxLimit">;

/** All query parameters of the request, each with its values in order. */
export function queryParams(c: Context): Record<string, string[]> {
  return c.req.queries() as Record<string, string[]>;
}

/**
 * `limit`, `marker`, `sort` of the request, checked: 400 ``Invalid
 * pagination: `...'`` for a bad sort key or direction, 400 `Argument value
 * error` for a bad `limit` or a repeated `marker`. The marker itself is
 * only looked up by the query (`markerCondition`).
 */
export function requestPage(c: Context<AppEnv>, options: PageOptions): Page {
  const query = queryParams(c);
  const limits = query.limit;
  const markers = query.marker;
  if (markers !== undefined && markers.length > 1) {
    // voluptuous `text_type` on the list pecan makes of a repeated parameter.
    throw new ArgumentValueError("expected str for dictionary value @ data['marker']");
  }
  return parsePagination(
    {
      limit: limits === undefined ? undefined : limits.length === 1 ? limits[0] : limits,
      marker: markers?.[0],
      sort: query.sort,
    },
    { ...options, maxLimit: c.var.deps.options.maxLimit },
  );
}

// WebOb's `path_url` keeps these unescaped (webob.request.PATH_SAFE).
const PATH_SAFE = /[A-Za-z0-9_.~/!$&'()*+,;=:@-]/;
// Python's `quote_plus` (what `urlencode` uses) keeps only these.
const QUERY_SAFE = /[A-Za-z0-9_.~-]/;

function percentEncode(text: string, safe: RegExp, spaceAsPlus: boolean): string {
  let out = "";
  for (const char of text) {
    if (safe.test(char)) out += char;
    else if (spaceAsPlus && char === " ") out += "+";
    else
      for (const byte of Buffer.from(char, "utf8")) {
        out += `%${byte.toString(16).toUpperCase().padStart(2, "0")}`;
      }
  }
  return out;
}

function decodePath(path: string): string {
  try {
    return decodeURIComponent(path);
  } catch {
    return path;
  }
}

/**
 * The URL of the request without its query, as WebOb's `path_url`: public
 * scheme and host, mount prefix (after proxy headers), then the path as the
 * client sent it (percent-decoded and re-quoted, case kept).
 */
export function requestPathUrl(c: Context<AppEnv>): string {
  const { scheme, host, prefix } = c.var.base;
  const mount = c.var.deps.options.prefix;
  let path = decodePath(new URL(c.req.url).pathname);
  if (mount !== "" && path.startsWith(mount)) path = path.slice(mount.length);
  return `${scheme}://${host}${percentEncode(prefix + path, PATH_SAFE, false)}`;
}

/**
 * Gnocchi's `set_resp_link_hdr`: the request's query parameters with
 * `limit` (effective), `marker` (the last item) and `sort` (the effective
 * list) put over them, sorted by name, form-urlencoded with repeated keys.
 */
export function nextLinkValue(
  pathUrl: string,
  query: Readonly<Record<string, readonly string[]>>,
  page: Page,
  marker: string,
): string {
  const params: Record<string, readonly string[]> = { ...query };
  params.limit = [String(page.limit)];
  params.marker = [marker];
  params.sort = page.linkSorts;
  const pairs: string[] = [];
  for (const name of Object.keys(params).sort(compareCodePoints)) {
    const key = percentEncode(name, QUERY_SAFE, true);
    for (const value of params[name] ?? []) {
      pairs.push(`${key}=${percentEncode(value, QUERY_SAFE, true)}`);
    }
  }
  return `<${pathUrl}?${pairs.join("&")}>; rel="next"`;
}

/**
 * `{Link: ...}` when the page is full (`count >= limit`), else `{}`: headers
 * to spread into the reply. `lastMarker` gives the marker of the last item
 * (its id, or `id@revision` when listing history).
 */
export function nextPageLink(
  c: Context<AppEnv>,
  page: Page,
  count: number,
  lastMarker: () => string,
): Record<string, string> {
  if (count === 0 || count < page.limit) return {};
  return { Link: nextLinkValue(requestPathUrl(c), queryParams(c), page, lastMarker()) };
}
