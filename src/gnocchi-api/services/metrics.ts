/**
 * Metric operations behind `/v1/metric` and the named metrics of a resource
 * (spec rest §5, §8.11): lookups that answer Gnocchi's 404 texts, creation
 * with its checks in Gnocchi's order, the paginated list, deletion, and the
 * three JSON shapes a metric takes (§5.2).
 */
import { archivePolicyToJSON } from "../../carbonara/archive-policy.js";
import type { SqlDriver } from "../../indexer/driver.js";
import {
  InvalidInputError,
  InvalidMetricNameError,
  InvalidResourceIdError,
  MetricNameRequiredError,
  NamedMetricAlreadyExistsError,
  NoSuchArchivePolicyError,
  NoSuchMetricError,
  NoSuchResourceError,
} from "../../indexer/errors.js";
import type { Metric, MetricDetail, MetricWithPolicy } from "../../indexer/metric-store.js";
import * as store from "../../indexer/metric-store.js";
import { parseUuid, resourceIdFromInput } from "../../indexer/resource-id.js";
import { resourceToJSON } from "../../indexer/resource-row.js";
import { findResource } from "../../indexer/resource-store.js";
import { GENERIC } from "../../indexer/resource-type-store.js";
import { badRequest, type HttpError, notFound } from "../errors.js";
import { metricCacheOf } from "../metric-cache.js";
import type { CreateMetricBody } from "../schemas/metric.js";

export type { MetricDetail, MetricWithPolicy } from "../../indexer/metric-store.js";

/** `id, creator, name, unit` first, the creator split last, as Gnocchi's `jsonify` orders them. */
function metricJSON(m: Metric, middle: Record<string, unknown>): Record<string, unknown> {
  return {
    id: m.id,
    creator: m.creator,
    name: m.name,
    unit: m.unit,
    ...middle,
    created_by_user_id: m.createdByUserId,
    created_by_project_id: m.createdByProjectId,
  };
}

/** `POST /v1/metric` answer: policy and resource by name/id. */
export function createdMetricJSON(m: Metric): Record<string, unknown> {
  return metricJSON(m, { resource_id: m.resourceId, archive_policy_name: m.archivePolicyName });
}

/** List shape: the full policy, the resource by id. */
export function listedMetricJSON(m: MetricWithPolicy): Record<string, unknown> {
  return metricJSON(m, {
    resource_id: m.resourceId,
    archive_policy: archivePolicyToJSON(m.archivePolicy),
  });
}

/** Single-metric shape: the full policy and the generic resource (or null). */
export function detailedMetricJSON(m: MetricDetail): Record<string, unknown> {
  return metricJSON(m, {
    resource: m.resource === null ? null : resourceToJSON(m.resource),
    archive_policy: archivePolicyToJSON(m.archivePolicy),
  });
}

/** Turns the domain errors listed in `map` into their HTTP errors; anything else is rethrown. */
export function translate(
  error: unknown,
  map: readonly (readonly [abstract new (...args: never[]) => Error, (e: Error) => HttpError])[],
): never {
  for (const [cls, to] of map) if (error instanceof cls) throw to(error);
  throw error;
}

const noSuchMetric = (id: string) => notFound(new NoSuchMetricError(id).message);

/**
 * The active metric `id` (as written in the URL) with its policy and
 * resource, loaded for the ACL. @throws HttpError 404 `Metric <id> does not exist`
 */
export async function loadMetric(db: SqlDriver, id: string): Promise<MetricDetail> {
  const uuid = parseUuid(id);
  if (uuid === undefined) throw noSuchMetric(id);
  const load = () =>
    store
      .getMetric(db, uuid)
      .catch((e) => translate(e, [[NoSuchMetricError, () => noSuchMetric(id)]]));
  return metricCacheOf(db)?.get(uuid, load) ?? load();
}

/**
 * A resource id of a URL (spec rest §0.9) as the caller addresses it.
 * @throws HttpError 404 `Resource <id> does not exist` when it cannot be one
 */
export function resourceIdFromPath(id: string, creator: string): string {
  try {
    return resourceIdFromInput(id, creator);
  } catch (error) {
    if (error instanceof InvalidResourceIdError) {
      throw notFound(new NoSuchResourceError(id).message);
    }
    throw error;
  }
}

/**
 * The active metric `name` of resource `resourceId` (§8.11).
 * @throws HttpError 404 `Metric <name> does not exist` or `Resource <id> does not exist`
 */
export function loadResourceMetric(
  db: SqlDriver,
  resourceId: string,
  name: string,
): Promise<MetricDetail> {
  return store.getResourceMetric(db, resourceId, name).catch((e) =>
    translate(e, [
      [NoSuchResourceError, (x) => notFound(x.message)],
      [NoSuchMetricError, (x) => notFound(x.message)],
    ]),
  );
}

export interface CreateMetricOptions {
  readonly creator: string;
  /** Checks the caller may update the metric's resource (spec rest §5.3); throws when not. */
  readonly canAttach: (resource: Record<string, unknown>) => void;
}

/**
 * `POST /v1/metric` (spec rest §5.3), errors as Gnocchi answers them.
 * @throws HttpError 400 (invalid input, `/` in the name, no matching rule,
 *   unknown policy, name required, name taken), 404 (unknown resource)
 */
export async function createMetric(
  db: SqlDriver,
  body: CreateMetricBody,
  options: CreateMetricOptions,
): Promise<MetricWithPolicy> {
  let resourceId: string | undefined;
  if (body.resource_id !== undefined) {
    try {
      resourceId = resourceIdFromInput(body.resource_id, options.creator);
    } catch (error) {
      if (!(error instanceof InvalidResourceIdError)) throw error;
      throw badRequest({
        cause: "Invalid input",
        reason: `${error.message} for dictionary value @ data['resource_id']`,
        detail: ["resource_id"],
      });
    }
    if (body.name !== undefined) {
      const resource = await findResource(db, GENERIC, resourceId);
      if (resource !== undefined) options.canAttach(resourceToJSON(resource));
    }
  }
  try {
    return await store.createMetric(
      db,
      {
        name: body.name ?? null,
        unit: body.unit ?? null,
        archivePolicyName: body.archive_policy_name ?? null,
        resourceId: resourceId ?? null,
      },
      options.creator,
    );
  } catch (error) {
    translate(error, [
      [InvalidInputError, (e) => badRequest((e as InvalidInputError).description)],
      [InvalidMetricNameError, (e) => badRequest(e.message)],
      [MetricNameRequiredError, (e) => badRequest((e as MetricNameRequiredError).description)],
      [NoSuchResourceError, (e) => notFound(e.message)],
      [NoSuchArchivePolicyError, (e) => badRequest(e.message)],
      [
        NamedMetricAlreadyExistsError,
        (e) => badRequest((e as NamedMetricAlreadyExistsError).description),
      ],
    ]);
  }
}

/**
 * Marks the metric deleted (the janitor expunges its data later).
 * @throws HttpError 404 when it is already gone
 */
export async function deleteMetric(db: SqlDriver, metric: Metric): Promise<void> {
  await store
    .deleteMetric(db, metric.id)
    .catch((e) => translate(e, [[NoSuchMetricError, () => noSuchMetric(metric.id)]]));
}
