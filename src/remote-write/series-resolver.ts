/**
 * The slow path: series the cache does not know, resolved in one batch per
 * request. Gnocchi's get-or-create (spec ingest-adapters "get-or-create
 * resource and metrics"), batched: the `prometheus` resource type is created
 * on first use (by an admin: the policy *create resource type*, else 403),
 * then every missing resource and metric of the request in ONE transaction
 * (ingest-resolver.ts: concurrent writers get the same ids, nothing twice),
 * then their label sets (label-store.ts), so PromQL can select them by any
 * label (taking a label set over from a metric deleted through the API). A
 * crash between the two leaves metrics without label sets, which the next
 * write of the series completes (the cache is empty after a restart).
 *
 * With the process's {@link LabelStore}, sets its index already holds for
 * their metric cost no SQL (after a restart, every series of the first
 * requests), and what the transaction stored or freed goes into the index
 * once it committed, so PromQL in this process selects new series at once.
 *
 * Archive policy of new metrics: the configured one when it exists, else the
 * archive-policy rules (the Gnocchi way, and what its test suite expects).
 */
import { NoArchivePolicyRuleMatchError } from "../carbonara/errors.js";
import { getArchivePolicies } from "../indexer/archive-policy-store.js";
import type { SqlDriver, SqlExecutor } from "../indexer/driver.js";
import {
  InvalidInputError,
  InvalidLabelSetError,
  InvalidMetricNameError,
  NoSuchArchivePolicyError,
  NoSuchResourceTypeError,
  ResourceAlreadyExistsError,
  ResourceTypeAlreadyExistsError,
} from "../indexer/errors.js";
import { resolveMetrics } from "../indexer/ingest-resolver.js";
import {
  insertLabelSets,
  type LabelSetInput,
  type LabelStore,
  type StoredLabelSet,
} from "../indexer/label-store.js";
import { createResourceType, findResourceType } from "../indexer/resource-type-store.js";
import { InvalidWriteError, RemoteWriteError } from "./errors.js";
import type { SeriesLabels } from "./labels.js";
import {
  PROMETHEUS_RESOURCE_TYPE,
  PROMETHEUS_TYPE_ATTRIBUTES,
  type SeriesTarget,
  seriesTarget,
} from "./series-mapping.js";

/** Who writes: the creator of what gets created, and whether they may create the resource type. */
export interface Caller {
  readonly creator: string;
  readonly admin: boolean;
}

export interface NewSeries {
  readonly labels: SeriesLabels;
  /** µs: the series' first sample in the request (its label set's first_seen). */
  readonly seenAt: number;
}

const POLICY_CHECK_MS = 5_000;

export class SeriesResolver {
  #typeReady = false;
  #policy: { exists: boolean; at: number } | undefined;

  constructor(
    private readonly db: SqlDriver,
    /** The configured policy; "" = archive-policy rules only. */
    private readonly archivePolicy: string,
    /** The process's label index, kept current with what is stored. */
    private readonly labels?: LabelStore,
  ) {}

  /**
   * The metric id of each series, creating what is missing.
   * @throws RemoteWriteError (400, 403, 409), or the driver's error
   */
  async resolve(series: readonly NewSeries[], caller: Caller): Promise<string[]> {
    const targets = series.map((s) => seriesTarget(s.labels, caller.creator));
    await this.#ensureType(caller);
    let ids: string[];
    try {
      ids = await this.#resolveMetrics(targets, caller);
    } catch (error) {
      if (!(error instanceof NoSuchResourceTypeError)) throw translate(error);
      // The type was deleted since it was last seen: create it again, once.
      this.#typeReady = false;
      await this.#ensureType(caller);
      ids = await this.#resolveMetrics(targets, caller).catch((e: unknown) => {
        throw translate(e);
      });
    }
    const entries = new Map<
      string,
      { metricId: string; labels: Record<string, string>; seenAt: number }
    >();
    series.forEach((s, i) => {
      const metricId = ids[i]!;
      const known = entries.get(metricId);
      if (known === undefined) {
        entries.set(metricId, {
          metricId,
          labels: Object.fromEntries(s.labels.pairs),
          seenAt: s.seenAt,
        });
      } else if (s.seenAt < known.seenAt) {
        known.seenAt = s.seenAt;
      }
    });
    const store = this.labels;
    const all = [...entries.values()];
    // The index holds committed rows only, and a metric's label set never
    // changes: a hit is stored already. The rest keep the transaction.
    const rest =
      store === undefined ? all : all.filter((e) => !store.index.hasLabels(e.metricId, e.labels));
    if (rest.length === 0) return ids;
    let written: WrittenLabelSets;
    try {
      written = await this.db.transaction((tx) => storeLabelSets(tx, rest));
    } catch (error) {
      throw translate(error);
    }
    if (store !== undefined) {
      store.forget(written.freed);
      store.applyStored(written.stored);
    }
    return ids;
  }

  async #resolveMetrics(targets: readonly SeriesTarget[], caller: Caller): Promise<string[]> {
    const byResource = new Map<string, SeriesTarget>();
    for (const t of targets) byResource.set(t.resourceId, t);
    const policy = (await this.#policyExists()) ? this.archivePolicy : undefined;
    const result = await resolveMetrics(this.db, targets, {
      creator: caller.creator,
      createMetrics: true,
      ...(policy !== undefined ? { archivePolicyName: policy } : {}),
      createResources: {
        type: PROMETHEUS_RESOURCE_TYPE,
        attributes: (rid) => {
          const t = byResource.get(rid)!;
          return { job: t.job, instance: t.instance };
        },
      },
    });
    return result.metricIds.map((id, i) => {
      if (id === undefined) {
        // Only possible if the resource vanished between creation and re-read.
        throw new RemoteWriteError(
          503,
          `metric ${targets[i]!.metricName} could not be created, retry`,
        );
      }
      return id;
    });
  }

  async #ensureType(caller: Caller): Promise<void> {
    if (this.#typeReady) return;
    if ((await findResourceType(this.db, PROMETHEUS_RESOURCE_TYPE)) === undefined) {
      if (!caller.admin) {
        throw new RemoteWriteError(
          403,
          `resource type ${PROMETHEUS_RESOURCE_TYPE} does not exist and only an admin may create it`,
        );
      }
      try {
        await createResourceType(this.db, PROMETHEUS_RESOURCE_TYPE, PROMETHEUS_TYPE_ATTRIBUTES, {
          internal: true,
        });
      } catch (error) {
        if (!(error instanceof ResourceTypeAlreadyExistsError)) throw error;
      }
    }
    this.#typeReady = true;
  }

  async #policyExists(): Promise<boolean> {
    if (this.archivePolicy === "") return false;
    const now = Date.now();
    if (this.#policy === undefined || now - this.#policy.at > POLICY_CHECK_MS) {
      const found = await getArchivePolicies(this.db, [this.archivePolicy]);
      this.#policy = { exists: found.has(this.archivePolicy), at: now };
    }
    return this.#policy.exists;
  }
}

interface WrittenLabelSets {
  /** Every insertLabelSets result, those of the sets taken over included (what the index needs). */
  readonly stored: StoredLabelSet[];
  /** Metrics (deleted through the API) whose label set was taken over. */
  readonly freed: string[];
}

/**
 * Stores the label sets, taking over those still held by a metric deleted
 * through the API (the series is written again, so a new metric was created
 * for it; the old one awaits the janitor and would otherwise keep the label
 * set, unique per resource, from the new one). Delete + insert rather than update,
 * so the new row gets a new `seq` and every LabelStore picks it up.
 */
async function storeLabelSets(
  tx: SqlExecutor,
  entries: readonly LabelSetInput[],
): Promise<WrittenLabelSets> {
  const stored = await insertLabelSets(tx, entries);
  const taken = stored.filter((s) => !s.inserted && s.ownerId !== s.metricId);
  if (taken.length === 0) return { stored, freed: [] };
  // Only the owners reported for these sets (their scope), and only if deleted.
  const freed = await tx.query<{ hash: string; metric_id: string }>(
    `DELETE FROM metric_label_set s USING metric m
      WHERE (s.label_set_hash, s.metric_id) IN (SELECT * FROM unnest($1::uuid[], $2::uuid[]))
        AND m.id = s.metric_id AND m.status = 'delete'
      RETURNING s.label_set_hash::text AS hash, s.metric_id::text AS metric_id`,
    [taken.map((s) => s.hash), taken.map((s) => s.ownerId)],
  );
  const hashes = new Set(freed.rows.map((r) => r.hash));
  const again = entries.filter((_, i) => hashes.has(stored[i]!.hash));
  if (again.length > 0) stored.push(...(await insertLabelSets(tx, again)));
  return { stored, freed: freed.rows.map((r) => r.metric_id) };
}

/** Indexer refusals as the status they mean for a writer; anything else is rethrown as is. */
function translate(error: unknown): unknown {
  if (error instanceof RemoteWriteError) return error;
  if (error instanceof ResourceAlreadyExistsError) {
    return new RemoteWriteError(409, error.message, error.description);
  }
  if (
    error instanceof NoArchivePolicyRuleMatchError ||
    error instanceof NoSuchArchivePolicyError ||
    error instanceof InvalidLabelSetError ||
    error instanceof InvalidMetricNameError
  ) {
    return new InvalidWriteError(error.message);
  }
  if (error instanceof InvalidInputError) {
    return new InvalidWriteError(error.message, error.description);
  }
  return error;
}
