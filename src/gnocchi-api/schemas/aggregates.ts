/**
 * The body of `POST /v1/aggregates` (spec rest §10.1): `{"operations"}`
 * (metric mode) or `{"operations", "resource_type", "search"}` (resource
 * mode), with voluptuous' texts. The operations are parsed by Carbonara;
 * its schema errors get voluptuous' path suffix here
 * (`'rolling' operation invalid for dictionary value @ data['operations']`).
 * The resource type and the search filter need the indexer and the caller:
 * the service checks them.
 */
import { type OperationNode, parseOperations } from "../../carbonara/aggregates/index.js";
import { InvalidOperationError } from "../../carbonara/errors.js";
import { badRequest } from "../errors.js";

export interface AggregatesBody {
  readonly operations: OperationNode;
  /** Resource mode: the type and its search filter, as given (JSON filter or string). */
  readonly resourceType?: string;
  readonly search?: unknown;
}

const invalidInput = (reason: string, detail: readonly string[]) =>
  badRequest({ cause: "Invalid input", reason, detail });

/** Validates the shape and parses the operations. @throws HttpError 400 */
export function parseAggregatesBody(body: unknown): AggregatesBody {
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    throw invalidInput("expected a dictionary", []);
  }
  const data = body as Record<string, unknown>;
  const resourceMode = Object.hasOwn(data, "resource_type");
  for (const key of Object.keys(data)) {
    const allowed =
      key === "operations" || (resourceMode && (key === "search" || key === "resource_type"));
    if (!allowed) throw invalidInput(`extra keys not allowed @ data['${key}']`, [key]);
  }
  if (!Object.hasOwn(data, "operations")) {
    throw invalidInput("required key not provided @ data['operations']", ["operations"]);
  }
  let operations: OperationNode;
  try {
    operations = parseOperations(data.operations);
  } catch (error) {
    if (!(error instanceof InvalidOperationError)) throw error;
    const d = error.description;
    if (d.cause !== "Invalid input") throw badRequest({ ...d });
    throw invalidInput(`${d.reason} for dictionary value @ data['operations']`, ["operations"]);
  }
  if (!resourceMode) return { operations };
  if (typeof data.resource_type !== "string") {
    throw invalidInput("expected str for dictionary value @ data['resource_type']", [
      "resource_type",
    ]);
  }
  if (!Object.hasOwn(data, "search")) {
    throw invalidInput("required key not provided @ data['search']", ["search"]);
  }
  return { operations, resourceType: data.resource_type, search: data.search };
}
