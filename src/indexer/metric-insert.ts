/**
 * Creating metrics in batches (spec rest §5.3, §8.3): name and unit checks,
 * the archive policy chosen by name or by rule, and one INSERT for the batch
 * with `ON CONFLICT DO NOTHING`, so a name already taken on its resource is
 * reported as Gnocchi does instead of aborting the transaction.
 */
import { randomUUID } from "node:crypto";
import { NoArchivePolicyRuleMatchError } from "../carbonara/errors.js";
import {
  type ArchivePolicyRule,
  listArchivePolicyRules,
  matchArchivePolicyRule,
} from "./archive-policy-rule-store.js";
import type { SqlExecutor } from "./driver.js";
import {
  InvalidInputError,
  InvalidMetricNameError,
  NamedMetricAlreadyExistsError,
  NoSuchArchivePolicyError,
} from "./errors.js";

export const MAX_METRIC_NAME_LENGTH = 255;
export const MAX_UNIT_LENGTH = 31;

function codePoints(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}

/** @throws InvalidMetricNameError (`/`), InvalidInputError (over 255 characters) */
export function checkMetricName(name: string | null): void {
  if (name === null) return;
  if (name.includes("/")) throw new InvalidMetricNameError(name);
  if (codePoints(name) > MAX_METRIC_NAME_LENGTH)
    throw new InvalidInputError(`length of value must be at most ${MAX_METRIC_NAME_LENGTH}`, [
      "name",
    ]);
}

/** @throws InvalidInputError `length of value must be at most 31` */
export function checkUnit(unit: string | null, path: readonly string[] = ["unit"]): void {
  if (unit !== null && codePoints(unit) > MAX_UNIT_LENGTH)
    throw new InvalidInputError(`length of value must be at most ${MAX_UNIT_LENGTH}`, path);
}

export interface NewMetric {
  readonly name: string | null;
  readonly unit: string | null;
  /** null/undefined: chosen by the archive policy rules. */
  readonly archivePolicyName?: string | null;
  readonly resourceId: string | null;
  readonly creator: string | null;
  /** Defaults to a random UUID. */
  readonly id?: string;
}

/**
 * Lazily loaded rules, so a batch naming all its policies costs no rule
 * query; each distinct name is matched once per batch.
 */
export class RuleMatcher {
  #rules: Promise<ArchivePolicyRule[]> | undefined;
  readonly #matched = new Map<string | null, string>();
  constructor(private readonly db: SqlExecutor) {}

  /** @throws NoArchivePolicyRuleMatchError */
  async policyFor(metricName: string | null): Promise<string> {
    const known = this.#matched.get(metricName);
    if (known !== undefined) return known;
    this.#rules ??= listArchivePolicyRules(this.db);
    const rule = matchArchivePolicyRule(await this.#rules, metricName);
    if (rule === undefined) throw new NoArchivePolicyRuleMatchError(metricName);
    this.#matched.set(metricName, rule.archivePolicyName);
    return rule.archivePolicyName;
  }
}

/**
 * Inserts the metrics (in one statement) and returns their ids in input
 * order. Archive policies missing from a definition come from the rules.
 * @throws NoArchivePolicyRuleMatchError, NoSuchArchivePolicyError,
 *   NamedMetricAlreadyExistsError (a (resource, name) already taken)
 */
export async function insertMetrics(
  tx: SqlExecutor,
  metrics: readonly NewMetric[],
  rules: RuleMatcher = new RuleMatcher(tx),
): Promise<string[]> {
  if (metrics.length === 0) return [];
  const policies: string[] = [];
  for (const m of metrics) policies.push(m.archivePolicyName ?? (await rules.policyFor(m.name)));
  const known = await tx.query<{ name: string }>(
    "SELECT name FROM archive_policy WHERE name = ANY($1::text[])",
    [[...new Set(policies)]],
  );
  const knownNames = new Set(known.rows.map((r) => r.name));
  const missing = policies.find((p) => !knownNames.has(p));
  if (missing !== undefined) throw new NoSuchArchivePolicyError(missing);

  const ids = metrics.map((m) => m.id ?? randomUUID());
  const r = await tx.query<{ id: string }>(
    `INSERT INTO metric (id, archive_policy_id, creator, resource_id, name, unit)
     SELECT w.id, p.id, w.creator, w.resource_id, w.name, w.unit
       FROM unnest($1::uuid[], $2::text[], $3::text[], $4::uuid[], $5::text[], $6::text[])
         WITH ORDINALITY AS w(id, policy, creator, resource_id, name, unit, i)
       JOIN archive_policy p ON p.name = w.policy
      ORDER BY w.i
     ON CONFLICT DO NOTHING
     RETURNING id`,
    [
      ids,
      policies,
      metrics.map((m) => m.creator),
      metrics.map((m) => m.resourceId),
      metrics.map((m) => m.name),
      metrics.map((m) => m.unit),
    ],
  );
  if (r.rowCount !== metrics.length) {
    const inserted = new Set(r.rows.map((row) => row.id));
    const i = ids.findIndex((id) => !inserted.has(id));
    throw new NamedMetricAlreadyExistsError(metrics[i]?.name ?? "");
  }
  return ids;
}
