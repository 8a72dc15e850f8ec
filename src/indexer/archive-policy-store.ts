/**
 * Archive policies in the indexer (spec rest §3): create, get, list, update
 * (points/timespan only), delete (refused while a rule or any metric, even
 * one awaiting expunge, uses it). Policies arrive already resolved and
 * validated by Carbonara (definition items with granularity, points and
 * timespan in microseconds); this module stores them and enforces the rules
 * that need the database: unique names, in-use, and what an update may change.
 */
import type { ArchivePolicy, ArchivePolicyItem } from "../carbonara/archive-policy.js";
import { UnsupportedArchivePolicyChangeError } from "../carbonara/errors.js";
import { formatSeconds } from "../carbonara/timespan.js";
import { jsonParam, SQLSTATE, type SqlExecutor, sqlState } from "./driver.js";
import {
  ArchivePolicyAlreadyExistsError,
  ArchivePolicyInUseError,
  NoSuchArchivePolicyError,
} from "./errors.js";

export type { ArchivePolicy, ArchivePolicyItem } from "../carbonara/archive-policy.js";

interface PolicyRow {
  id: number;
  name: string;
  back_window: number;
  aggregation_methods: string[];
  definition: { granularity: number; points: number | null; timespan: number | null }[];
}

const COLUMNS = "id, name, back_window, aggregation_methods, definition";

function fromRow(row: PolicyRow): ArchivePolicy {
  return {
    name: row.name,
    backWindow: row.back_window,
    aggregationMethods: row.aggregation_methods,
    definition: row.definition.map((d) => ({
      granularity: d.granularity,
      points: d.points,
      timespan: d.timespan,
    })),
  };
}

function definitionParam(definition: readonly ArchivePolicyItem[]): string {
  return jsonParam(
    definition.map((d) => ({ granularity: d.granularity, points: d.points, timespan: d.timespan })),
  );
}

/** Creates a policy. @throws ArchivePolicyAlreadyExistsError */
export async function createArchivePolicy(
  db: SqlExecutor,
  policy: ArchivePolicy,
): Promise<ArchivePolicy> {
  const r = await db.query<PolicyRow>(
    `INSERT INTO archive_policy (name, back_window, aggregation_methods, definition)
     VALUES ($1, $2, $3::text[], $4::jsonb)
     ON CONFLICT DO NOTHING
     RETURNING ${COLUMNS}`,
    [
      policy.name,
      policy.backWindow,
      [...policy.aggregationMethods],
      definitionParam(policy.definition),
    ],
  );
  const row = r.rows[0];
  if (row === undefined) throw new ArchivePolicyAlreadyExistsError(policy.name);
  return fromRow(row);
}

/** The policy, or undefined. */
export async function findArchivePolicy(
  db: SqlExecutor,
  name: string,
): Promise<ArchivePolicy | undefined> {
  const r = await db.query<PolicyRow>(`SELECT ${COLUMNS} FROM archive_policy WHERE name = $1`, [
    name,
  ]);
  const row = r.rows[0];
  return row === undefined ? undefined : fromRow(row);
}

/** The policy. @throws NoSuchArchivePolicyError */
export async function getArchivePolicy(db: SqlExecutor, name: string): Promise<ArchivePolicy> {
  const policy = await findArchivePolicy(db, name);
  if (policy === undefined) throw new NoSuchArchivePolicyError(name);
  return policy;
}

/** Several policies by name in one query (unknown names are left out). */
export async function getArchivePolicies(
  db: SqlExecutor,
  names: readonly string[],
): Promise<Map<string, ArchivePolicy>> {
  const r = await db.query<PolicyRow>(
    `SELECT ${COLUMNS} FROM archive_policy WHERE name = ANY($1::text[])`,
    [[...new Set(names)]],
  );
  return new Map(r.rows.map((row) => [row.name, fromRow(row)]));
}

/** The internal id metrics and rules reference, or undefined. */
export async function archivePolicyId(db: SqlExecutor, name: string): Promise<number | undefined> {
  const r = await db.query<{ id: number }>("SELECT id FROM archive_policy WHERE name = $1", [name]);
  return r.rows[0]?.id;
}

/** All policies, by name (code-point order). */
export async function listArchivePolicies(db: SqlExecutor): Promise<ArchivePolicy[]> {
  const r = await db.query<PolicyRow>(`SELECT ${COLUMNS} FROM archive_policy ORDER BY name, id`);
  return r.rows.map(fromRow);
}

/**
 * Replaces the definition (spec rest §3.4): the same granularities must
 * remain, only points/timespan change. The new items are stored in the order
 * given. @throws NoSuchArchivePolicyError, UnsupportedArchivePolicyChangeError (Carbonara's)
 */
export async function updateArchivePolicy(
  db: SqlExecutor,
  name: string,
  definition: readonly ArchivePolicyItem[],
): Promise<ArchivePolicy> {
  const r = await db.query<PolicyRow>(
    `SELECT ${COLUMNS} FROM archive_policy WHERE name = $1 FOR UPDATE`,
    [name],
  );
  const row = r.rows[0];
  if (row === undefined) throw new NoSuchArchivePolicyError(name);
  const old = [...row.definition].sort((a, b) => a.granularity - b.granularity);
  const next = [...definition].sort((a, b) => a.granularity - b.granularity);
  if (old.length !== next.length) {
    throw new UnsupportedArchivePolicyChangeError(name, "Cannot add or drop granularities");
  }
  old.forEach((o, i) => {
    if (o.granularity !== next[i]!.granularity) {
      throw new UnsupportedArchivePolicyChangeError(
        name,
        `${formatSeconds(o.granularity)} granularity interval was changed`,
      );
    }
  });
  const u = await db.query<PolicyRow>(
    `UPDATE archive_policy SET definition = $2::jsonb WHERE id = $1 RETURNING ${COLUMNS}`,
    [row.id, definitionParam(definition)],
  );
  return fromRow(u.rows[0]!);
}

/**
 * Deletes a policy unused by rules and metrics (active or awaiting expunge).
 * @throws NoSuchArchivePolicyError, ArchivePolicyInUseError
 */
export async function deleteArchivePolicy(db: SqlExecutor, name: string): Promise<void> {
  const r = await db.query<{ id: number; in_use: boolean }>(
    `SELECT p.id,
            EXISTS (SELECT 1 FROM archive_policy_rule r WHERE r.archive_policy_id = p.id)
            OR EXISTS (SELECT 1 FROM metric m WHERE m.archive_policy_id = p.id) AS in_use
       FROM archive_policy p WHERE p.name = $1`,
    [name],
  );
  const row = r.rows[0];
  if (row === undefined) throw new NoSuchArchivePolicyError(name);
  if (row.in_use) throw new ArchivePolicyInUseError(name);
  try {
    // A rule or metric created meanwhile is caught by the RESTRICT foreign keys.
    const d = await db.query("DELETE FROM archive_policy WHERE id = $1", [row.id]);
    if (d.rowCount === 0) throw new NoSuchArchivePolicyError(name);
  } catch (error) {
    if (sqlState(error) === SQLSTATE.FOREIGN_KEY_VIOLATION) throw new ArchivePolicyInUseError(name);
    throw error;
  }
}
