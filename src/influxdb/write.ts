/**
 * Storing a line-protocol write (spec ingest-adapters §c): every resource
 * and metric of the request is resolved, and the missing ones created, in
 * one batch (`resolveMetrics`: resources of type `db`, metrics by archive
 * policy rules); then every measure goes to the incoming store in ONE
 * durable append, so a request is stored whole or not at all. Nothing is
 * created when the request fails before (unknown type, id taken by a
 * resource of another type, invalid names, denied access).
 */
import { NoSuchResourceError } from "../indexer/errors.js";
import { type IngestTarget, resolveMetrics } from "../indexer/ingest-resolver.js";
import { checkMetricName } from "../indexer/metric-insert.js";
import { findMetrics, type Metric } from "../indexer/metric-store.js";
import { resourceIdFromInput } from "../indexer/resource-id.js";
import type { Resource } from "../indexer/resource-row.js";
import { findResource } from "../indexer/resource-store.js";
import { getResourceType } from "../indexer/resource-type-store.js";
import type { Db } from "../indexer/transaction.js";
import type { IncomingStore, MeasureBatch } from "../storage/incoming.js";
import type { GroupedMeasures, MetricMeasures } from "./measures.js";

/** Access checks of a caller who is not allowed everything; each throws to refuse. */
export interface WriteAccess {
  /** The resources of the write that exist already (Gnocchi's "update resource"). */
  checkResources(resources: readonly Resource[]): void;
  /** The metrics the measures go to (Gnocchi's "post measures"). */
  checkMetrics(metrics: readonly Metric[]): void;
}

export interface WriteOptions {
  /** Creator of new resources and metrics; scopes non-UUID resource ids. */
  readonly creator: string | null;
  /** The `db` parameter: type of the resources. */
  readonly resourceType: string;
  /** Omitted for callers allowed everything (admin). */
  readonly access?: WriteAccess;
}

export interface WriteResult {
  readonly metrics: number;
  readonly measures: number;
}

/**
 * @throws InvalidResourceIdError, InvalidInputError (name over 255 characters,
 *   invalid attributes), NoSuchResourceTypeError, ResourceAlreadyExistsError,
 *   NoArchivePolicyRuleMatchError, whatever `access` throws
 */
export async function writeMeasures(
  db: Db,
  incoming: IncomingStore,
  grouped: GroupedMeasures,
  options: WriteOptions,
): Promise<WriteResult> {
  const targets: IngestTarget[] = [];
  const series: MetricMeasures[] = [];
  for (const [original, metrics] of grouped) {
    const resourceId = resourceIdFromInput(original, options.creator);
    for (const [metricName, measures] of metrics) {
      checkMetricName(metricName);
      targets.push({ resourceId, originalResourceId: original, metricName });
      series.push(measures);
    }
  }
  if (targets.length === 0) return { metrics: 0, measures: 0 };
  await getResourceType(db, options.resourceType);

  if (options.access !== undefined) {
    const ids = [...new Set(targets.map((t) => t.resourceId))];
    const existing = await Promise.all(ids.map((id) => findResource(db, "generic", id)));
    options.access.checkResources(existing.filter((r) => r !== undefined));
  }
  const { metricIds } = await resolveMetrics(db, targets, {
    creator: options.creator,
    createMetrics: true,
    createResources: { type: options.resourceType },
  });
  // Only a resource deleted between creation and re-selection leaves a gap.
  const gap = metricIds.indexOf(undefined);
  if (gap >= 0) throw new NoSuchResourceError(targets[gap]!.resourceId);
  if (options.access !== undefined) {
    const metrics = await findMetrics(db, metricIds as string[]);
    options.access.checkMetrics([...metrics.values()]);
  }

  let measures = 0;
  const batches: MeasureBatch[] = metricIds.map((metricId, i) => {
    const { timestamps, values } = series[i]!;
    measures += values.length;
    return {
      metricId: metricId!,
      timestamps: Float64Array.from(timestamps),
      values: Float64Array.from(values),
    };
  });
  await incoming.append(batches);
  return { metrics: batches.length, measures };
}
