/**
 * The `metrics` of a resource body (spec rest §8.3, §8.5, §8.11): each name
 * maps to an existing metric (by UUID: active, same creator as the resource;
 * attached and renamed) or to a definition (a new metric, policy by name or
 * by rule). Runs inside the caller's transaction.
 */
import type { SqlExecutor } from "./driver.js";
import { InvalidInputError, NamedMetricAlreadyExistsError, NoSuchMetricError } from "./errors.js";
import { checkMetricName, checkUnit, insertMetrics, RuleMatcher } from "./metric-insert.js";
import { parseUuid } from "./resource-id.js";

export interface MetricDefinition {
  readonly archivePolicyName?: string | null;
  readonly unit?: string | null;
}

/** A metric UUID (any spelling Python's `uuid.UUID` takes), or a definition. */
export type MetricRef = string | MetricDefinition;

/** The parsed form of a `metrics` map. */
export type ResourceMetrics = Readonly<Record<string, MetricRef>>;

/**
 * Attaches/creates the metrics on resource `resourceId` of creator
 * `creator`. Checks every name and value first, then writes.
 * @throws InvalidMetricNameError, InvalidInputError, NoArchivePolicyRuleMatchError,
 *   NoSuchArchivePolicyError, NoSuchMetricError, NamedMetricAlreadyExistsError
 */
export async function attachResourceMetrics(
  tx: SqlExecutor,
  resourceId: string,
  creator: string | null,
  metrics: ResourceMetrics,
): Promise<void> {
  const byId: { name: string; id: string }[] = [];
  const definitions: { name: string; def: MetricDefinition }[] = [];
  for (const [name, ref] of Object.entries(metrics)) {
    checkMetricName(name);
    if (typeof ref === "string") {
      const id = parseUuid(ref);
      if (id === undefined) throw new InvalidInputError("not a valid value", ["metrics", name]);
      byId.push({ name, id });
    } else {
      checkUnit(ref.unit ?? null, ["metrics", name, "unit"]);
      definitions.push({ name, def: ref });
    }
  }
  const rules = new RuleMatcher(tx);
  for (const { name, def } of definitions) {
    if (def.archivePolicyName === undefined || def.archivePolicyName === null)
      await rules.policyFor(name);
  }
  for (const { name, id } of byId) {
    // A name taken on this resource by another metric: refuse without aborting the transaction.
    const taken = await tx.query(
      `SELECT 1 FROM metric WHERE resource_id = $1 AND name = $2 AND id <> $3`,
      [resourceId, name, id],
    );
    if (taken.rowCount > 0) throw new NamedMetricAlreadyExistsError(name);
    const u = await tx.query(
      `UPDATE metric SET resource_id = $1, name = $2
        WHERE id = $3 AND status = 'active' AND creator IS NOT DISTINCT FROM $4`,
      [resourceId, name, id, creator],
    );
    if (u.rowCount === 0) throw new NoSuchMetricError(id);
  }
  await insertMetrics(
    tx,
    definitions.map(({ name, def }) => ({
      name,
      unit: def.unit ?? null,
      archivePolicyName: def.archivePolicyName ?? null,
      resourceId,
      creator,
    })),
    rules,
  );
}

/** Detaches all active metrics of a resource (they stay active and keep their name). */
export async function detachResourceMetrics(tx: SqlExecutor, resourceId: string): Promise<void> {
  await tx.query(
    "UPDATE metric SET resource_id = NULL WHERE resource_id = $1 AND status = 'active'",
    [resourceId],
  );
}
