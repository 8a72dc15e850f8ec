/**
 * Batch measures (spec rest §6): resolve every target metric in one indexer
 * round trip (creating the missing ones when asked), refuse the whole
 * request if one is unknown, check `post measures` on each, then ONE durable
 * append for all of it.
 */
import { NoArchivePolicyRuleMatchError } from "../../carbonara/errors.js";
import type { SqlDriver } from "../../indexer/driver.js";
import {
  InvalidMetricNameError,
  NoSuchArchivePolicyError,
  NoSuchResourceTypeError,
  ResourceAlreadyExistsError,
  UnknownResourcesError,
} from "../../indexer/errors.js";
import { type IngestTarget, resolveMetrics } from "../../indexer/ingest-resolver.js";
import { MAX_UNIT_LENGTH } from "../../indexer/metric-insert.js";
import { findMetrics, type Metric } from "../../indexer/metric-store.js";
import type { MeasureBatch } from "../../storage/incoming.js";
import type { StorageEngine } from "../../storage/storage-engine.js";
import { badRequest } from "../errors.js";
import type { ResourceBatchEntry } from "../schemas/batch.js";
import type { Measures } from "../schemas/measures.js";
import { translate } from "./metrics.js";

/** Checks the caller may post measures to a metric (throws 403 when not). */
export type PostCheck = (metric: Pick<Metric, "creator" | "createdByProjectId">) => void;

export interface BatchDeps {
  readonly db: SqlDriver;
  readonly storage: StorageEngine;
  /** The caller's `post measures` check on one metric. */
  readonly canPost: PostCheck;
  /** True when the caller may post to any metric (admin): no creators to load. */
  readonly postsAnywhere: boolean;
}

const unknownMetrics = (names: string[]) =>
  badRequest(`Unknown metrics: ${names.sort().join(", ")}`);

function nonEmpty(batches: MeasureBatch[]): MeasureBatch[] {
  return batches.filter((b) => b.timestamps.length > 0);
}

/**
 * `POST /v1/batch/metrics/measures`.
 * @throws HttpError 400 `Unknown metrics: <ids>` (sorted), 403
 */
export async function postMetricsBatch(
  deps: BatchDeps,
  batch: ReadonlyMap<string, Measures>,
): Promise<void> {
  if (batch.size === 0) return;
  const found = await findMetrics(deps.db, [...batch.keys()]);
  const missing = [...batch.keys()].filter((id) => !found.has(id));
  if (missing.length > 0) throw unknownMetrics(missing);
  for (const metric of found.values()) deps.canPost(metric);
  await deps.storage.incoming.append(
    nonEmpty([...batch].map(([metricId, measures]) => ({ metricId, ...measures }))),
  );
}

/** What a metric `create_metrics` makes is given by its payload; one call per distinct choice. */
function creationGroups(entries: readonly ResourceBatchEntry[]): ResourceBatchEntry[][] {
  const groups = new Map<string, ResourceBatchEntry[]>();
  for (const e of entries) {
    const key = `${e.archivePolicyName ?? ""}\u0000${e.archivePolicyName === undefined}\u0000${e.unit ?? ""}`;
    const group = groups.get(key);
    if (group === undefined) groups.set(key, [e]);
    else group.push(e);
  }
  return [...groups.values()];
}

function checkUnits(entries: readonly ResourceBatchEntry[]): void {
  for (const e of entries) {
    if (e.unit !== undefined && [...e.unit].length > MAX_UNIT_LENGTH) {
      throw badRequest({
        cause: "Invalid input",
        reason: `length of value must be at most ${MAX_UNIT_LENGTH} for dictionary value @ data['unit']`,
        detail: ["unit"],
      });
    }
  }
}

const targetOf = (e: ResourceBatchEntry): IngestTarget => ({
  resourceId: e.resourceId,
  originalResourceId: e.originalResourceId,
  metricName: e.metricName,
});

/** Creates the missing metrics of `entries` (their resources exist); ids in input order. */
async function createMissing(
  deps: BatchDeps,
  entries: readonly ResourceBatchEntry[],
  creator: string,
): Promise<(string | undefined)[]> {
  checkUnits(entries);
  const ids = new Map<ResourceBatchEntry, string | undefined>();
  for (const group of creationGroups(entries)) {
    const { archivePolicyName, unit } = group[0]!;
    const resolved = await resolveMetrics(deps.db, group.map(targetOf), {
      creator,
      createMetrics: true,
      ...(archivePolicyName === undefined ? {} : { archivePolicyName }),
      ...(unit === undefined ? {} : { unit: () => unit }),
    }).catch((e) =>
      translate(e, [
        [InvalidMetricNameError, (x) => badRequest(x.message)],
        [NoArchivePolicyRuleMatchError, (x) => badRequest(x.message)],
        [NoSuchArchivePolicyError, (x) => badRequest(x.message)],
        [NoSuchResourceTypeError, (x) => badRequest(x.message)],
        [ResourceAlreadyExistsError, (x) => badRequest(x.message)],
      ]),
    );
    group.forEach((e, i) => {
      ids.set(e, resolved.metricIds[i]);
    });
  }
  return entries.map((e) => ids.get(e));
}

/**
 * `POST /v1/batch/resources/metrics/measures[?create_metrics=true]`.
 * @throws HttpError 400 `Unknown metrics: <rid>/<name>, ...` (sorted), 400
 *   `{"cause": "Unknown resources", ...}` (create_metrics), 400 creation errors, 403
 */
export async function postResourcesBatch(
  deps: BatchDeps,
  entries: readonly ResourceBatchEntry[],
  options: { readonly createMetrics: boolean; readonly creator: string },
): Promise<void> {
  if (entries.length === 0) return;
  const lookup = await resolveMetrics(deps.db, entries.map(targetOf), {
    creator: options.creator,
  });
  const ids = [...lookup.metricIds];
  const missing = entries.filter((_, i) => ids[i] === undefined);
  if (missing.length > 0) {
    if (!options.createMetrics) {
      throw unknownMetrics(missing.map((e) => `${e.resourceId}/${e.metricName}`));
    }
    if (lookup.missingResources.length > 0) {
      throw badRequest(new UnknownResourcesError(lookup.missingResources).description);
    }
    const created = await createMissing(deps, missing, options.creator);
    let k = 0;
    for (let i = 0; i < ids.length; i++) if (ids[i] === undefined) ids[i] = created[k++];
    // A resource deleted while its metrics were being created.
    const lost = entries.filter((_, i) => ids[i] === undefined);
    if (lost.length > 0) throw unknownMetrics(lost.map((e) => `${e.resourceId}/${e.metricName}`));
  }
  const metricIds = ids.map((id) => id!);
  if (!deps.postsAnywhere) {
    const metrics = await findMetrics(deps.db, metricIds);
    for (const metric of metrics.values()) deps.canPost(metric);
  }
  await deps.storage.incoming.append(
    nonEmpty(entries.map((e, i) => ({ metricId: metricIds[i]!, ...e.measures }))),
  );
}
