/**
 * Conditional requests on a single resource (spec rest §8.9), as Gnocchi's
 * `etag_precondition_check` over WebOb's header parsing: `If-Match` (strong
 * tags only) and `If-Unmodified-Since` → 412; `If-None-Match` (weak tags
 * too) and `If-Modified-Since` → 304 on GET/HEAD, 412 otherwise. An
 * unparseable date is ignored, as WebOb does.
 */
import type { Context } from "hono";
import { resourceETag, resourceLastModified } from "../indexer/resource-etag.js";
import type { Resource } from "../indexer/resource-row.js";
import { HttpError } from "./errors.js";

/** The resource's validators: ETag (quoted) and Last-Modified (HTTP-date). */
export function etagHeaders(resource: Resource): Record<string, string> {
  return {
    ETag: resourceETag(resource.id, resource.revisionStart),
    "Last-Modified": resourceLastModified(resource.revisionStart).toUTCString(),
  };
}

const ETAG = /(?:^|\s)(W\/)?"((?:\\"|[^"])+)"/g;

/** Whether an `If-Match`/`If-None-Match` value matches `etag` (unquoted); `*` matches any. */
function matches(header: string, etag: string, strong: boolean): boolean {
  if (header === "*") return true;
  const tags = [...header.matchAll(ETAG)];
  // WebOb takes a value without any quoted tag as one bare tag.
  if (tags.length === 0) return header === etag;
  return tags.some(([, weak, tag]) => (!strong || weak === undefined) && tag === etag);
}

/** Seconds since the epoch of an HTTP date, or undefined when it does not parse. */
function httpDate(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? undefined : Math.floor(ms / 1000);
}

/**
 * Checks the request's preconditions against the resource. Returns a 304
 * response to send instead of the resource (GET/HEAD), or undefined to go
 * on. @throws HttpError 412
 */
export function checkPreconditions(c: Context, resource: Resource): Response | undefined {
  const etag = resourceETag(resource.id, resource.revisionStart).slice(1, -1);
  const lastModified = Math.floor(resource.revisionStart / 1_000_000);
  const readOnly = c.req.method === "GET" || c.req.method === "HEAD";
  // WebOb treats an empty header as an absent one.
  const ifMatch = c.req.header("if-match")?.trim() || undefined;
  const ifNoneMatch = c.req.header("if-none-match")?.trim() || undefined;

  if (ifMatch !== undefined && !matches(ifMatch, etag, true)) throw new HttpError(412);
  if (ifMatch === undefined) {
    const since = httpDate(c.req.header("if-unmodified-since"));
    if (since !== undefined && since < lastModified) throw new HttpError(412);
  }

  if (ifNoneMatch !== undefined && matches(ifNoneMatch, etag, false)) {
    if (readOnly) return new Response(null, { status: 304 });
    throw new HttpError(412);
  }
  if (ifNoneMatch === undefined && readOnly) {
    const since = httpDate(c.req.header("if-modified-since"));
    if (since !== undefined && since >= lastModified) return new Response(null, { status: 304 });
  }
  return undefined;
}
