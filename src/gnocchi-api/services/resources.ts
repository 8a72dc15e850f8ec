/**
 * Single-resource operations behind `/v1/resource/{type}` (spec rest §8):
 * the indexer does the work; this module gives its errors the statuses
 * Gnocchi uses on these endpoints (a metric or policy named in a body is a
 * 400, not a 404; a duplicate id is a 409 with the string description).
 */
import { NoArchivePolicyRuleMatchError } from "../../carbonara/errors.js";
import {
  InvalidResourceIdError,
  NamedMetricAlreadyExistsError,
  NoSuchArchivePolicyError,
  NoSuchMetricError,
  NoSuchResourceError,
  ResourceAlreadyExistsError,
} from "../../indexer/errors.js";
import { resourceIdFromInput } from "../../indexer/resource-id.js";
import type { Resource } from "../../indexer/resource-row.js";
import type { ResourceChanges, ResourceCreate } from "../../indexer/resource-store.js";
import * as store from "../../indexer/resource-store.js";
import type { Db } from "../../indexer/transaction.js";
import { badRequest, conflict, notFound } from "../errors.js";

/** Rethrows the metric/policy errors of a resource body as Gnocchi's statuses. */
function bodyErrors(error: unknown): never {
  if (
    error instanceof NoSuchMetricError ||
    error instanceof NoSuchArchivePolicyError ||
    error instanceof NoArchivePolicyRuleMatchError ||
    error instanceof InvalidResourceIdError
  ) {
    throw badRequest(error.message);
  }
  if (error instanceof ResourceAlreadyExistsError || error instanceof NamedMetricAlreadyExistsError)
    throw conflict(error.message);
  throw error;
}

/**
 * The UUID of a resource id given in a URL path (spec rest §0.9) with the
 * caller as creator. @throws HttpError 404 `Resource <id> does not exist`
 */
export function pathResourceId(value: string, creator: string): string {
  try {
    return resourceIdFromInput(value, creator);
  } catch (error) {
    if (error instanceof InvalidResourceIdError)
      throw notFound(new NoSuchResourceError(value).message);
    throw error;
  }
}

/** The resource as seen through `typeName`. @throws HttpError 404 */
export async function getResource(db: Db, typeName: string, id: string): Promise<Resource> {
  const resource = await store.findResource(db, typeName, id);
  if (resource === undefined) throw notFound(new NoSuchResourceError(id).message);
  return resource;
}

export async function createResource(
  db: Db,
  typeName: string,
  body: ResourceCreate,
  creator: string,
): Promise<Resource> {
  return store.createResource(db, typeName, body, creator).catch(bodyErrors);
}

export async function patchResource(
  db: Db,
  typeName: string,
  id: string,
  changes: ResourceChanges,
): Promise<Resource> {
  return store.patchResource(db, typeName, id, changes).catch(bodyErrors);
}

export const deleteResource = store.deleteResource;
export const deleteResources = store.deleteResources;
