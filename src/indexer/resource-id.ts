/**
 * Resource id conversion (spec rest §0.9): a client-supplied id is either a
 * UUID in any of Python's accepted spellings, or any other string of at most
 * 255 characters, turned into a UUIDv5 scoped by the requesting creator.
 * Pure: no database, node:crypto only.
 */
import { createHash } from "node:crypto";
import { InvalidResourceIdError } from "./errors.js";

/** The namespace of Gnocchi's resource id UUIDv5s. */
export const RESOURCE_ID_NAMESPACE = "0a7a15ff-aa13-4ac2-897c-9bdf30ce175b";

const HEX32 = /^[0-9a-fA-F]{32}$/;

function formatUuid(hex32: string): string {
  const h = hex32.toLowerCase();
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/**
 * Parses a UUID the way Python's `uuid.UUID(str)` does: every `urn:` and
 * `uuid:` removed, braces stripped from both ends, dashes removed anywhere,
 * then exactly 32 hex digits. Returns the lowercase dashed form, or undefined.
 * (Python's `int(x, 16)` would also take a `0x` prefix, `_` separators and
 * surrounding blanks inside those 32 characters; such spellings are not UUIDs
 * here and get a UUIDv5 instead.)
 */
export function parseUuid(value: string): string | undefined {
  let hex = value.replaceAll("urn:", "").replaceAll("uuid:", "");
  hex = hex.replace(/^[{}]+/, "").replace(/[{}]+$/, "");
  hex = hex.replaceAll("-", "");
  return HEX32.test(hex) ? formatUuid(hex) : undefined;
}

/** RFC 4122 version 5 (SHA-1) UUID of `name` (UTF-8) in `namespace`. */
export function uuid5(namespace: string, name: string): string {
  const ns = parseUuid(namespace);
  if (ns === undefined) throw new TypeError(`invalid namespace UUID ${namespace}`);
  const hash = createHash("sha1")
    .update(Buffer.from(ns.replaceAll("-", ""), "hex"))
    .update(name, "utf8")
    .digest();
  const bytes = hash.subarray(0, 16);
  bytes[6] = (bytes[6]! & 0x0f) | 0x50;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  return formatUuid(bytes.toString("hex"));
}

/**
 * Converts a client-supplied resource id (§0.9). `creator` is the requesting
 * user's creator string (§1.2), or null.
 * @throws InvalidResourceIdError `'/' is not supported in resource id` or
 *   `transformable resource id >255 max allowed characters`.
 */
export function resourceIdFromInput(value: string, creator: string | null): string {
  if (value.includes("/"))
    throw new InvalidResourceIdError(value, "'/' is not supported in resource id");
  const uuid = parseUuid(value);
  if (uuid !== undefined) return uuid;
  // Python counts code points, not UTF-16 units.
  let length = 0;
  for (const _ of value) {
    if (++length > 255) {
      throw new InvalidResourceIdError(
        value,
        "transformable resource id >255 max allowed characters",
      );
    }
  }
  return uuid5(RESOURCE_ID_NAMESPACE, `${value}\u0000${creator ?? "\u0000"}`);
}
