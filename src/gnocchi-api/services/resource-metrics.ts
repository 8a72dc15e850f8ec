/**
 * The named metrics of a resource (spec rest §8.11): the resource as its
 * type shows it (404 otherwise), its active metrics, and appending metrics
 * to it with Gnocchi's statuses (409 for a name already taken, 400 for a
 * bad definition, no revision).
 */
import { NoArchivePolicyRuleMatchError } from "../../carbonara/errors.js";
import { SQLSTATE, type SqlDriver, sqlState } from "../../indexer/driver.js";
import {
  InvalidInputError,
  InvalidMetricNameError,
  NamedMetricAlreadyExistsError,
  NoSuchArchivePolicyError,
  NoSuchMetricError,
  NoSuchResourceError,
  NoSuchResourceTypeError,
} from "../../indexer/errors.js";
import { listMetrics } from "../../indexer/metric-store.js";
import { attachResourceMetrics, type ResourceMetrics } from "../../indexer/resource-metrics.js";
import type { Resource } from "../../indexer/resource-row.js";
import { findResource } from "../../indexer/resource-store.js";
import { findResourceType } from "../../indexer/resource-type-store.js";
import { inTransaction } from "../../indexer/transaction.js";
import { badRequest, conflict, notFound } from "../errors.js";
import { type MetricWithPolicy, translate } from "./metrics.js";

/** @throws HttpError 404 `Resource type <t> does not exist` */
export async function checkResourceType(db: SqlDriver, type: string): Promise<void> {
  if ((await findResourceType(db, type)) === undefined) {
    throw notFound(new NoSuchResourceTypeError(type).message);
  }
}

/** @throws HttpError 404 `Resource <id> does not exist` (absent, or not of that type) */
export async function loadResource(db: SqlDriver, type: string, id: string): Promise<Resource> {
  const resource = await findResource(db, type, id).catch((e) =>
    translate(e, [[NoSuchResourceTypeError, (x) => notFound(x.message)]]),
  );
  if (resource === undefined) throw notFound(new NoSuchResourceError(id).message);
  return resource;
}

/** The resource's active metrics (list shape), by id as Gnocchi orders them. */
export function resourceMetrics(db: SqlDriver, resourceId: string): Promise<MetricWithPolicy[]> {
  return listMetrics(db, { resourceId });
}

/**
 * Attaches existing metrics (by UUID) and creates new ones (by definition)
 * on the resource, all or nothing; new metrics get the resource's creator.
 * @throws HttpError 400, 404 (resource deleted meanwhile), 409 (name taken)
 */
export async function appendResourceMetrics(
  db: SqlDriver,
  resource: Resource,
  metrics: ResourceMetrics,
): Promise<MetricWithPolicy[]> {
  try {
    await inTransaction(db, (tx) =>
      attachResourceMetrics(tx, resource.id, resource.creator, metrics),
    );
  } catch (error) {
    if (sqlState(error) === SQLSTATE.FOREIGN_KEY_VIOLATION) {
      throw notFound(new NoSuchResourceError(resource.id).message);
    }
    translate(error, [
      [NamedMetricAlreadyExistsError, (e) => conflict(e.message)],
      [InvalidInputError, (e) => badRequest((e as InvalidInputError).description)],
      [InvalidMetricNameError, (e) => badRequest(e.message)],
      [NoArchivePolicyRuleMatchError, (e) => badRequest(e.message)],
      [NoSuchArchivePolicyError, (e) => badRequest(e.message)],
      [NoSuchMetricError, (e) => badRequest(e.message)],
    ]);
  }
  return resourceMetrics(db, resource.id);
}
