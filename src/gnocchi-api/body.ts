/**
 * Reading a JSON request body (spec rest §0.2): the media type must be one of
 * those the endpoint takes (else 415), the text must parse (else 400
 * `Unable to decode body`).
 */
import type { Context } from "hono";
import { badRequest, unsupportedMediaType } from "./errors.js";

/** The media type of a `Content-Type` value, lowercased, without parameters. */
export function mediaType(contentType: string | undefined): string {
  return (contentType ?? "").split(";")[0]!.trim().toLowerCase();
}

/** Splits a body the way Python iterates a file: lines keep their `\n`. */
function bodyLines(text: string): string[] {
  return text.match(/[^\n]*\n|[^\n]+$/g) ?? [];
}

/**
 * The parsed JSON body. @throws HttpError 415 (media type not in
 * `mediaTypes`), 400 `Unable to decode body`.
 */
export async function readJsonBody(
  c: Context,
  mediaTypes: readonly string[] = ["application/json"],
): Promise<unknown> {
  if (!mediaTypes.includes(mediaType(c.req.header("content-type")))) throw unsupportedMediaType();
  const text = await c.req.text();
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw badRequest({
      cause: "Unable to decode body",
      // An empty body gets the text Gnocchi's JSON parser gives (resource.yaml checks it).
      reason:
        text.trim() === ""
          ? "Expected object or value"
          : error instanceof Error
            ? error.message
            : String(error),
      detail: bodyLines(text),
    });
  }
}
