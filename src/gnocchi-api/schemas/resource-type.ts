/**
 * `POST /v1/resource_type` body (spec rest §7.2, §7.3): `name` and
 * `attributes` (default `{}`), each attribute checked by the indexer's
 * schema rules (type options, name rules, min ≤ max) so that a bad body is a
 * 400 before the admin check, as in Gnocchi.
 */
import { z } from "zod";
import { parseAttributeSchema } from "../../indexer/resource-type-schema.js";
import { validate } from "../validation.js";

const createResourceTypeSchema = z.strictObject({
  name: z.string(),
  attributes: z.record(z.string(), z.unknown()).optional(),
});

export interface CreateResourceTypeBody {
  readonly name: string;
  readonly attributes: Readonly<Record<string, unknown>>;
}

/**
 * @throws HttpError 400 (shape), InvalidInputError, InvalidResourceAttributeError
 */
export function parseCreateResourceTypeBody(input: unknown): CreateResourceTypeBody {
  const body = validate(createResourceTypeSchema, input);
  const attributes = body.attributes ?? {};
  for (const [name, definition] of Object.entries(attributes)) {
    parseAttributeSchema(name, definition, "create");
  }
  return { name: body.name, attributes };
}

/** The media type a resource type PATCH must carry. */
export const JSON_PATCH_MEDIA_TYPE = "application/json-patch+json";
