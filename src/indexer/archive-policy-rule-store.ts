/**
 * Archive policy rules in the indexer (spec rest §4): create, get, list in
 * matching order, rename, delete, and the choice of a policy for a metric
 * name created without `archive_policy_name`.
 */
import { type ArchivePolicyRule, wildcardToRegExp } from "../carbonara/archive-policy-rule.js";
import { NoArchivePolicyRuleMatchError } from "../carbonara/errors.js";
import type { SqlExecutor } from "./driver.js";
import {
  ArchivePolicyRuleAlreadyExistsError,
  ArchivePolicyRuleTargetMissingError,
  NoSuchArchivePolicyRuleError,
  UnsupportedArchivePolicyRuleChangeError,
} from "./errors.js";

export type { ArchivePolicyRule } from "../carbonara/archive-policy-rule.js";

interface RuleRow {
  name: string;
  metric_pattern: string;
  archive_policy_name: string;
}

const SELECT = `SELECT r.name, r.metric_pattern, p.name AS archive_policy_name
  FROM archive_policy_rule r JOIN archive_policy p ON p.id = r.archive_policy_id`;

/** Spec order: pattern descending by code point, then name ascending. */
const ORDER = `ORDER BY r.metric_pattern COLLATE "C" DESC, r.name COLLATE "C" ASC`;

function fromRow(row: RuleRow): ArchivePolicyRule {
  return {
    name: row.name,
    metricPattern: row.metric_pattern,
    archivePolicyName: row.archive_policy_name,
  };
}

/**
 * Creates a rule.
 * @throws ArchivePolicyRuleAlreadyExistsError, ArchivePolicyRuleTargetMissingError (unknown policy)
 */
export async function createArchivePolicyRule(
  db: SqlExecutor,
  rule: ArchivePolicyRule,
): Promise<ArchivePolicyRule> {
  // The INSERT ... SELECT inserts nothing both when the policy is missing and
  // on a name conflict; the flags tell them apart in the same round trip. A
  // taken name wins over a missing policy, as on Gnocchi with PostgreSQL
  // (the unique check fires during the insert, the foreign key after it).
  const r = await db.query<{ inserted: boolean; policy_exists: boolean; name_taken: boolean }>(
    `WITH p AS (SELECT id FROM archive_policy WHERE name = $3),
          ins AS (
            INSERT INTO archive_policy_rule (name, metric_pattern, archive_policy_id)
            SELECT $1, $2, p.id FROM p
            ON CONFLICT DO NOTHING
            RETURNING 1)
     SELECT EXISTS (SELECT 1 FROM ins) AS inserted, EXISTS (SELECT 1 FROM p) AS policy_exists,
            EXISTS (SELECT 1 FROM archive_policy_rule WHERE name = $1) AS name_taken`,
    [rule.name, rule.metricPattern, rule.archivePolicyName],
  );
  const row = r.rows[0]!;
  if (row.inserted) {
    return {
      name: rule.name,
      metricPattern: rule.metricPattern,
      archivePolicyName: rule.archivePolicyName,
    };
  }
  if (row.name_taken || row.policy_exists) throw new ArchivePolicyRuleAlreadyExistsError(rule.name);
  throw new ArchivePolicyRuleTargetMissingError(rule.archivePolicyName);
}

export async function findArchivePolicyRule(
  db: SqlExecutor,
  name: string,
): Promise<ArchivePolicyRule | undefined> {
  const r = await db.query<RuleRow>(`${SELECT} WHERE r.name = $1`, [name]);
  const row = r.rows[0];
  return row === undefined ? undefined : fromRow(row);
}

/** @throws NoSuchArchivePolicyRuleError */
export async function getArchivePolicyRule(
  db: SqlExecutor,
  name: string,
): Promise<ArchivePolicyRule> {
  const rule = await findArchivePolicyRule(db, name);
  if (rule === undefined) throw new NoSuchArchivePolicyRuleError(name);
  return rule;
}

/** All rules in matching order (pattern descending by code point, then name). */
export async function listArchivePolicyRules(db: SqlExecutor): Promise<ArchivePolicyRule[]> {
  const r = await db.query<RuleRow>(`${SELECT} ${ORDER}`);
  return r.rows.map(fromRow);
}

/**
 * Renames a rule (the only change PATCH allows).
 * @throws NoSuchArchivePolicyRuleError, UnsupportedArchivePolicyRuleChangeError (new name taken)
 */
export async function renameArchivePolicyRule(
  db: SqlExecutor,
  name: string,
  newName: string,
): Promise<ArchivePolicyRule> {
  // One statement: the update happens only when `name` exists and `newName`
  // is free (or is `name` itself); the flags say which condition failed.
  // The exclusion constraint still guards against a concurrent rename.
  const r = await db.query<{ found: boolean; taken: boolean; renamed: boolean }>(
    `WITH target AS (SELECT id FROM archive_policy_rule WHERE name = $1),
          taken AS (SELECT 1 FROM archive_policy_rule WHERE name = $2 AND $1 <> $2),
          upd AS (
            UPDATE archive_policy_rule SET name = $2
             WHERE id = (SELECT id FROM target) AND NOT EXISTS (SELECT 1 FROM taken)
             RETURNING 1)
     SELECT EXISTS (SELECT 1 FROM target) AS found,
            EXISTS (SELECT 1 FROM taken) AS taken,
            EXISTS (SELECT 1 FROM upd) AS renamed`,
    [name, newName],
  );
  const row = r.rows[0]!;
  if (!row.found) throw new NoSuchArchivePolicyRuleError(name);
  if (row.taken || !row.renamed) {
    throw new UnsupportedArchivePolicyRuleChangeError(
      name,
      `Archive policy rule ${newName} already exists.`,
    );
  }
  return getArchivePolicyRule(db, newName);
}

/** @throws NoSuchArchivePolicyRuleError */
export async function deleteArchivePolicyRule(db: SqlExecutor, name: string): Promise<void> {
  const r = await db.query("DELETE FROM archive_policy_rule WHERE name = $1", [name]);
  if (r.rowCount === 0) throw new NoSuchArchivePolicyRuleError(name);
}

/**
 * The first rule, in list order, whose pattern matches `metricName` (null
 * matches as ""), or undefined. Pure: takes the rules as listed.
 */
export function matchArchivePolicyRule(
  rules: readonly ArchivePolicyRule[],
  metricName: string | null,
): ArchivePolicyRule | undefined {
  const subject = metricName ?? "";
  return rules.find((rule) => wildcardToRegExp(rule.metricPattern).test(subject));
}

/**
 * The archive policy name for a metric created without one (spec rest §4).
 * @throws NoArchivePolicyRuleMatchError (Carbonara's)
 */
export async function archivePolicyNameForMetric(
  db: SqlExecutor,
  metricName: string | null,
): Promise<string> {
  const rule = matchArchivePolicyRule(await listArchivePolicyRules(db), metricName);
  if (rule === undefined) throw new NoArchivePolicyRuleMatchError(metricName);
  return rule.archivePolicyName;
}
