/**
 * ETag and Last-Modified of a single resource (spec rest §8.9), from its id
 * and `revision_start`. Pure.
 */
import { createHash } from "node:crypto";
import type { Micros } from "../carbonara/time.js";
import { formatTimestamp } from "../carbonara/timestamp.js";

/** `"<sha1 hex of id + revision_start as emitted in JSON>"`, quotes included. */
export function resourceETag(id: string, revisionStart: Micros): string {
  const digest = createHash("sha1")
    .update(`${id.toLowerCase()}${formatTimestamp(revisionStart)}`, "utf8")
    .digest("hex");
  return `"${digest}"`;
}

/** `revision_start` truncated to the second, as a Date (for the HTTP-date). */
export function resourceLastModified(revisionStart: Micros): Date {
  return new Date(Math.floor(revisionStart / 1_000_000) * 1000);
}
