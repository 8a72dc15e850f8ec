/**
 * Metrics in the indexer (spec rest §5, §8.11): create, get (with its
 * archive policy, and its resource for the `metric_owner` rule), list with
 * the basic filters, delete (mark `delete` and detach), and the janitor's
 * side: the metrics awaiting expunge, and expunge.
 */
import type { ArchivePolicy } from "../carbonara/archive-policy.js";
import type { SqlExecutor, SqlParam } from "./driver.js";
import { MetricNameRequiredError, NoSuchMetricError, NoSuchResourceError } from "./errors.js";
import { checkMetricName, checkUnit, insertMetrics, RuleMatcher } from "./metric-insert.js";
import {
  genericColumns,
  type Resource,
  type ResourceRow,
  resourceFromRow,
} from "./resource-row.js";
import { andAll, embed, paramList, type WhereInput } from "./sql-fragment.js";
import { type Db, inTransaction } from "./transaction.js";

export type MetricStatus = "active" | "delete";

export interface Metric {
  readonly id: string;
  readonly name: string | null;
  readonly unit: string | null;
  readonly archivePolicyName: string;
  readonly creator: string | null;
  readonly createdByUserId: string | null;
  readonly createdByProjectId: string | null;
  readonly resourceId: string | null;
  readonly status: MetricStatus;
}

export interface MetricWithPolicy extends Metric {
  readonly archivePolicy: ArchivePolicy;
}

export interface MetricDetail extends MetricWithPolicy {
  /** The resource in its generic view without metrics, or null when unattached. */
  readonly resource: Resource | null;
}

interface MetricRow {
  id: string;
  name: string | null;
  unit: string | null;
  creator: string | null;
  created_by_user_id: string | null;
  created_by_project_id: string | null;
  resource_id: string | null;
  status: MetricStatus;
  ap_name: string;
  ap_back_window: number;
  ap_aggregation_methods: string[];
  ap_definition: { granularity: number; points: number | null; timespan: number | null }[];
}

/** Columns of metric alias `m` joined to its policy `p`. */
const METRIC_COLUMNS = `m.id, m.name, m.unit, m.creator, m.created_by_user_id,
  m.created_by_project_id, m.resource_id, m.status, p.name AS ap_name,
  p.back_window AS ap_back_window, p.aggregation_methods AS ap_aggregation_methods,
  p.definition AS ap_definition`;
const FROM = "FROM metric m JOIN archive_policy p ON p.id = m.archive_policy_id";

function fromRow(row: MetricRow): MetricWithPolicy {
  return {
    id: row.id,
    name: row.name,
    unit: row.unit,
    archivePolicyName: row.ap_name,
    creator: row.creator,
    createdByUserId: row.created_by_user_id,
    createdByProjectId: row.created_by_project_id,
    resourceId: row.resource_id,
    status: row.status,
    archivePolicy: {
      name: row.ap_name,
      backWindow: row.ap_back_window,
      aggregationMethods: row.ap_aggregation_methods,
      definition: row.ap_definition.map((d) => ({
        granularity: d.granularity,
        points: d.points,
        timespan: d.timespan,
      })),
    },
  };
}

export interface MetricCreate {
  readonly name?: string | null;
  readonly unit?: string | null;
  /** Omitted: chosen by the archive policy rules. */
  readonly archivePolicyName?: string | null;
  /** An already converted resource UUID (spec rest §0.9). */
  readonly resourceId?: string | null;
  /** Defaults to a random UUID. */
  readonly id?: string;
}

/**
 * `POST /v1/metric` (spec rest §5.3), checks in Gnocchi's order.
 * @throws InvalidMetricNameError, InvalidInputError (unit/name length),
 *   NoArchivePolicyRuleMatchError, MetricNameRequiredError,
 *   NoSuchResourceError, NoSuchArchivePolicyError, NamedMetricAlreadyExistsError
 */
export async function createMetric(
  db: Db,
  input: MetricCreate,
  creator: string | null,
): Promise<MetricWithPolicy> {
  const name = input.name ?? null;
  const unit = input.unit ?? null;
  const resourceId = input.resourceId ?? null;
  checkMetricName(name);
  checkUnit(unit);
  return inTransaction(db, async (tx) => {
    const rules = new RuleMatcher(tx);
    const archivePolicyName = input.archivePolicyName ?? (await rules.policyFor(name));
    if (resourceId !== null) {
      if (name === null) throw new MetricNameRequiredError();
      // Key-share lock: the resource cannot be deleted before the insert commits.
      const r = await tx.query("SELECT 1 FROM resource WHERE id = $1 FOR KEY SHARE", [resourceId]);
      if (r.rowCount === 0) throw new NoSuchResourceError(resourceId);
    }
    const [id] = await insertMetrics(
      tx,
      [{ id: input.id, name, unit, archivePolicyName, resourceId, creator }],
      rules,
    );
    return (await findMetric(tx, id!))!;
  });
}

/** An active metric with its policy, or undefined (unknown, or awaiting expunge). */
export async function findMetric(
  db: SqlExecutor,
  id: string,
): Promise<MetricWithPolicy | undefined> {
  const r = await db.query<MetricRow>(
    `SELECT ${METRIC_COLUMNS} ${FROM} WHERE m.id = $1 AND m.status = 'active'`,
    [id],
  );
  const row = r.rows[0];
  return row === undefined ? undefined : fromRow(row);
}

async function withResource(db: SqlExecutor, m: MetricWithPolicy): Promise<MetricDetail> {
  if (m.resourceId === null) return { ...m, resource: null };
  const r = await db.query<ResourceRow>(
    `SELECT ${genericColumns("r", false)} FROM resource r WHERE r.id = $1`,
    [m.resourceId],
  );
  const row = r.rows[0];
  return { ...m, resource: row === undefined ? null : resourceFromRow(row) };
}

/**
 * `GET /v1/metric/{id}`: the active metric with its policy and resource.
 * @throws NoSuchMetricError `Metric <id> does not exist`
 */
export async function getMetric(db: SqlExecutor, id: string): Promise<MetricDetail> {
  const m = await findMetric(db, id);
  if (m === undefined) throw new NoSuchMetricError(id);
  return withResource(db, m);
}

/**
 * The active metric `name` of a resource (spec rest §8.11).
 * @throws NoSuchResourceError, NoSuchMetricError `Metric <name> does not exist`
 */
export async function getResourceMetric(
  db: SqlExecutor,
  resourceId: string,
  name: string,
): Promise<MetricDetail> {
  const r = await db.query<MetricRow & { found: boolean }>(
    `SELECT ${METRIC_COLUMNS} ${FROM}
      WHERE m.resource_id = $1 AND m.name = $2 AND m.status = 'active'`,
    [resourceId, name],
  );
  const row = r.rows[0];
  if (row === undefined) {
    const exists = await db.query("SELECT 1 FROM resource WHERE id = $1", [resourceId]);
    if (exists.rowCount === 0) throw new NoSuchResourceError(resourceId);
    throw new NoSuchMetricError(name);
  }
  return withResource(db, fromRow(row));
}

/** The resource's active metrics, by name (list shape). */
export async function listResourceMetrics(
  db: SqlExecutor,
  resourceId: string,
): Promise<MetricWithPolicy[]> {
  const r = await db.query<MetricRow>(
    `SELECT ${METRIC_COLUMNS} ${FROM}
      WHERE m.resource_id = $1 AND m.status = 'active' ORDER BY m.name, m.id`,
    [resourceId],
  );
  return r.rows.map(fromRow);
}

/** Active metrics by id (unknown ids left out), e.g. for batch measures. */
export async function findMetrics(
  db: SqlExecutor,
  ids: readonly string[],
): Promise<Map<string, MetricWithPolicy>> {
  const r = await db.query<MetricRow>(
    `SELECT ${METRIC_COLUMNS} ${FROM} WHERE m.id = ANY($1::uuid[]) AND m.status = 'active'`,
    [[...new Set(ids)]],
  );
  return new Map(r.rows.map((row) => [row.id, fromRow(row)]));
}

/** Exact-match filters of `GET /v1/metric` (spec rest §5.4), AND-ed. */
export interface MetricFilter {
  readonly ids?: readonly string[];
  readonly name?: string;
  readonly unit?: string;
  readonly archivePolicyName?: string;
  readonly creator?: string;
  readonly resourceId?: string | null;
  /** Default `active`. */
  readonly status?: MetricStatus;
}

/**
 * The filter as a fragment over metric alias `m` and policy alias `p`, for
 * {@link listMetrics} or the pagination engine.
 */
export function metricFilterWhere(filter: MetricFilter): WhereInput {
  return (param) => {
    const parts = [`m.status = ${param(filter.status ?? "active")}`];
    if (filter.ids !== undefined) parts.push(`m.id = ANY(${param([...filter.ids])}::uuid[])`);
    if (filter.name !== undefined) parts.push(`m.name = ${param(filter.name)}`);
    if (filter.unit !== undefined) parts.push(`m.unit = ${param(filter.unit)}`);
    if (filter.archivePolicyName !== undefined)
      parts.push(`p.name = ${param(filter.archivePolicyName)}`);
    if (filter.creator !== undefined) parts.push(`m.creator = ${param(filter.creator)}`);
    if (filter.resourceId === null) parts.push("m.resource_id IS NULL");
    else if (filter.resourceId !== undefined)
      parts.push(`m.resource_id = ${param(filter.resourceId)}`);
    return andAll(parts);
  };
}

export interface ListMetricsOptions {
  /** Extra conditions over `m`/`p` (visibility, search), AND-ed. */
  readonly where?: WhereInput;
  /** Keyset: only ids after this one (sort is `id` ascending). */
  readonly afterId?: string;
  readonly limit?: number;
}

/** Metrics matching `filter`, by id. */
export async function listMetrics(
  db: SqlExecutor,
  filter: MetricFilter = {},
  options: ListMetricsOptions = {},
): Promise<MetricWithPolicy[]> {
  const { params, param } = paramList();
  const parts = [embed(metricFilterWhere(filter), param)];
  if (options.where !== undefined) parts.push(embed(options.where, param));
  if (options.afterId !== undefined) parts.push(`m.id > ${param(options.afterId)}::uuid`);
  const limit = options.limit === undefined ? "" : ` LIMIT ${param(options.limit)}`;
  const r = await db.query<MetricRow>(
    `SELECT ${METRIC_COLUMNS} ${FROM} WHERE ${andAll(parts)} ORDER BY m.id${limit}`,
    params,
  );
  return r.rows.map(fromRow);
}

/**
 * Marks an active metric `delete` and detaches it (spec rest §5.6).
 * @throws NoSuchMetricError
 */
export async function deleteMetric(db: SqlExecutor, id: string): Promise<void> {
  const r = await db.query(
    `UPDATE metric SET status = 'delete', resource_id = NULL
      WHERE id = $1 AND status = 'active'`,
    [id],
  );
  if (r.rowCount === 0) throw new NoSuchMetricError(id);
}

/**
 * Deletes the metric `name` of a resource (spec rest §8.11).
 * @throws NoSuchResourceError, NoSuchMetricError `Metric <name> does not exist`
 */
export async function deleteResourceMetric(
  db: Db,
  resourceId: string,
  name: string,
): Promise<void> {
  await inTransaction(db, async (tx) => {
    const r = await tx.query(
      `UPDATE metric SET status = 'delete', resource_id = NULL
        WHERE resource_id = $1 AND name = $2 AND status = 'active'`,
      [resourceId, name],
    );
    if (r.rowCount > 0) return;
    const exists = await tx.query("SELECT 1 FROM resource WHERE id = $1", [resourceId]);
    if (exists.rowCount === 0) throw new NoSuchResourceError(resourceId);
    throw new NoSuchMetricError(name);
  });
}

export interface MetricToExpunge {
  readonly id: string;
  readonly archivePolicyName: string;
}

/** Metrics marked `delete` whose data the janitor must remove, oldest id first, at most `limit`. */
export async function listMetricsToExpunge(
  db: SqlExecutor,
  limit = 1000,
): Promise<MetricToExpunge[]> {
  const r = await db.query<{ id: string; ap_name: string }>(
    `SELECT m.id, p.name AS ap_name ${FROM} WHERE m.status = 'delete' ORDER BY m.id LIMIT $1`,
    [limit],
  );
  return r.rows.map((row) => ({ id: row.id, archivePolicyName: row.ap_name }));
}

/** Removes metrics marked `delete` (after the janitor dropped their data). Returns how many. */
export async function expungeMetrics(db: SqlExecutor, ids: readonly string[]): Promise<number> {
  const params: SqlParam[] = [[...ids]];
  const r = await db.query(
    "DELETE FROM metric WHERE id = ANY($1::uuid[]) AND status = 'delete'",
    params,
  );
  return r.rowCount;
}
