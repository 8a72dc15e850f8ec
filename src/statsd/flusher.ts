/**
 * Writing one flush: the metrics of the series are resolved (and the
 * missing ones created) in one batch per kind of resource with
 * `resolveMetrics`: series of the configured resource on that resource
 * (created at start-up as a `generic` resource, as Gnocchi does, and again
 * if it disappears), series of a resource tag on resources of the
 * configured type, created on first use. New metrics get their label sets
 * (one transaction), and all the measures of the flush go to the incoming
 * store in ONE durable append. The label sets of the metrics written are
 * stamped `last_seen` every 30 s ({@link Sightings}). Given the process's
 * LabelStore, sets its index holds cost no SQL, new ones go into it once
 * committed (PromQL in this process sees them at once) and sightings widen
 * its ranges at once.
 *
 * Metric ids are cached on the series and checked again every
 * `revalidateFlushes` flushes (a deleted metric is then created again).
 * Errors never stop the daemon: when a batch fails on a data error (no
 * archive policy rule for a name, a resource id taken by another type...),
 * its series are retried one by one so only the faulty ones are dropped,
 * each logged.
 */
import type { Logger } from "pino";
import { CarbonaraError } from "../carbonara/errors.js";
import type { SqlDriver } from "../indexer/driver.js";
import { IndexerError, ResourceAlreadyExistsError } from "../indexer/errors.js";
import {
  type IngestTarget,
  type ResolveOptions,
  resolveMetrics,
} from "../indexer/ingest-resolver.js";
import { Sightings } from "../indexer/label-sightings.js";
import { insertLabelSets, type LabelStore } from "../indexer/label-store.js";
import { resourceIdFromInput } from "../indexer/resource-id.js";
import { createResource } from "../indexer/resource-store.js";
import { GENERIC } from "../indexer/resource-type-store.js";
import type { IncomingStore, MeasureBatch } from "../storage/incoming.js";
import type { FlushItem } from "./accumulator.js";

export interface FlusherOptions {
  /** The configured resource, as given (a UUID, or any string made a UUIDv5 with the creator). */
  readonly resourceId: string;
  readonly creator: string | null;
  /** Policy of new metrics; null: archive-policy rules. */
  readonly archivePolicyName: string | null;
  /** Type of the resources created for resource-tag values. */
  readonly resourceType: string;
  /** Re-resolve cached metric ids every this many flushes. */
  readonly revalidateFlushes: number;
  /** How often label sets' `last_seen` is updated (default 30 s; 0: only on close). */
  readonly sightingsIntervalMs?: number;
}

export interface FlushResult {
  readonly metrics: number;
  readonly measures: number;
  /** Measures of series whose metric could not be resolved or created. */
  readonly dropped: number;
}

/** Errors about the data, which retrying series one by one can isolate. */
const isDataError = (error: unknown) =>
  error instanceof IndexerError || error instanceof CarbonaraError;

export class Flusher {
  readonly #defaultResourceId: string;
  readonly #sightings: Sightings;
  #flushes = 0;

  constructor(
    private readonly db: SqlDriver,
    private readonly incoming: IncomingStore,
    private readonly options: FlusherOptions,
    private readonly logger: Logger,
    private readonly labels?: LabelStore,
  ) {
    this.#defaultResourceId = resourceIdFromInput(options.resourceId, options.creator);
    this.#sightings = new Sightings(
      db,
      options.sightingsIntervalMs ?? 30_000,
      (error) => logger.warn({ err: error }, "statsd: updating label sets' last_seen failed"),
      labels,
    );
  }

  /** Stops the background `last_seen` updates after a last one (after the last flush). */
  close(): Promise<void> {
    return this.#sightings.close();
  }

  /** The UUID of the configured resource. */
  get defaultResourceId(): string {
    return this.#defaultResourceId;
  }

  /** Creates the configured resource (`generic`) unless it exists (of any type). */
  async ensureDefaultResource(): Promise<void> {
    try {
      await createResource(this.db, GENERIC, { id: this.options.resourceId }, this.options.creator);
      this.logger.info({ resourceId: this.#defaultResourceId }, "statsd resource created");
    } catch (error) {
      if (!(error instanceof ResourceAlreadyExistsError)) throw error;
    }
  }

  async write(items: readonly FlushItem[]): Promise<FlushResult> {
    if (++this.#flushes % this.options.revalidateFlushes === 0) {
      for (const item of items) item.series.metricId = undefined;
    }
    const unresolved = items.filter((i) => i.series.metricId === undefined);
    await this.#resolve(
      unresolved.filter((i) => i.series.identity.resource === null),
      false,
    );
    await this.#resolve(
      unresolved.filter((i) => i.series.identity.resource !== null),
      true,
    );
    await this.#storeLabels(items);

    const batches: MeasureBatch[] = [];
    let measures = 0;
    let dropped = 0;
    for (const item of items) {
      if (item.series.metricId === undefined) {
        dropped += item.values.length;
        continue;
      }
      batches.push({
        metricId: item.series.metricId,
        timestamps: item.timestamps,
        values: item.values,
      });
      measures += item.values.length;
    }
    if (batches.length > 0) {
      await this.incoming.append(batches);
      const now = Date.now();
      for (const b of batches) this.#sightings.add(b.metricId, now);
    }
    return { metrics: batches.length, measures, dropped };
  }

  #target(item: FlushItem): IngestTarget {
    const { resource, metricName } = item.series.identity;
    return resource === null
      ? {
          resourceId: this.#defaultResourceId,
          originalResourceId: this.options.resourceId,
          metricName,
        }
      : { resourceId: resource.id, originalResourceId: resource.originalId, metricName };
  }

  #resolveOptions(createResources: boolean): ResolveOptions {
    return {
      creator: this.options.creator,
      createMetrics: true,
      ...(this.options.archivePolicyName !== null
        ? { archivePolicyName: this.options.archivePolicyName }
        : {}),
      ...(createResources ? { createResources: { type: this.options.resourceType } } : {}),
    };
  }

  /** Sets `metricId` on the series it can resolve or create. */
  async #resolve(items: readonly FlushItem[], createResources: boolean): Promise<void> {
    if (items.length === 0) return;
    const targets = items.map((i) => this.#target(i));
    const options = this.#resolveOptions(createResources);
    try {
      let result = await resolveMetrics(this.db, targets, options);
      if (!createResources && result.missingResources.length > 0) {
        // The configured resource was deleted: create it again.
        await this.ensureDefaultResource();
        result = await resolveMetrics(this.db, targets, options);
      }
      result.metricIds.forEach((id, i) => {
        items[i]!.series.metricId = id;
      });
    } catch (error) {
      if (!isDataError(error)) throw error;
      if (items.length === 1) {
        this.logger.error(
          { err: error, metric: targets[0]!.metricName, resourceId: targets[0]!.resourceId },
          "statsd: cannot create the metric, its measures are dropped",
        );
        return;
      }
      for (const item of items) await this.#resolve([item], createResources);
    }
  }

  /**
   * Label sets of newly resolved series, in one transaction; a failure is
   * only logged. A set another metric holds (a deleted metric not expunged
   * yet, or another series whose names map to the same labels) is tried
   * again at the next flush.
   */
  async #storeLabels(items: readonly FlushItem[]): Promise<void> {
    const fresh = items.filter(
      (i) => i.series.metricId !== undefined && i.series.labelledId !== i.series.metricId,
    );
    if (fresh.length === 0) return;
    const entries = fresh.map((i) => ({
      metricId: i.series.metricId!,
      labels: i.series.identity.labels,
      seenAt: i.timestamps[0]!,
    }));
    try {
      const stored =
        this.labels !== undefined
          ? await this.labels.store(this.db, entries)
          : await this.db.transaction((tx) => insertLabelSets(tx, entries));
      stored.forEach((s, i) => {
        if (s.ownerId === s.metricId) fresh[i]!.series.labelledId = s.metricId;
      });
    } catch (error) {
      this.logger.error({ err: error }, "statsd: cannot store label sets (retried next flush)");
    }
  }
}
