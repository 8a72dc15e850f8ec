/**
 * `gnocchi-ts upgrade` for the indexer (also run on first start of the
 * embedded default): applies the pending migrations, fixes the number of
 * sacks on first run, and creates the default archive policies and rule when
 * (and only when) there is no policy and no rule at all (spec rest §3.6).
 * Safe to run any number of times, also concurrently.
 */
import { type ArchivePolicyRule, createArchivePolicyRule } from "./archive-policy-rule-store.js";
import { type ArchivePolicy, createArchivePolicy } from "./archive-policy-store.js";
import { DEFAULT_ARCHIVE_POLICIES, DEFAULT_ARCHIVE_POLICY_RULE } from "./default-policies.js";
import type { SqlDriver, SqlExecutor } from "./driver.js";
import { lockUpgrade, migrate } from "./migrations.js";

export const DEFAULT_SACKS = 128;
export const MAX_SACKS = 65_535;

export interface UpgradeOptions {
  /** Number of incoming sacks (1..65535), stored at the first upgrade and fixed afterwards. Default 128. */
  readonly sacks?: number;
  /** Create the default policies and rule on an empty indexer (default true). */
  readonly createDefaultPolicies?: boolean;
  /** Override the defaults (tests). */
  readonly defaultPolicies?: readonly ArchivePolicy[];
  readonly defaultRule?: ArchivePolicyRule | null;
}

export interface UpgradeResult {
  /** Migration versions applied by this call. */
  readonly migrations: readonly number[];
  /** Whether this call created the default policies and rule. */
  readonly createdDefaults: boolean;
  /** The number of sacks in force (the stored one, whatever `options.sacks` says). */
  readonly sacks: number;
}

/** The stored number of sacks, or undefined before the first upgrade. */
export async function getSacks(db: SqlExecutor): Promise<number | undefined> {
  const r = await db.query<{ value: unknown }>("SELECT value FROM config WHERE key = 'sacks'");
  const value = r.rows[0]?.value;
  return typeof value === "number" ? value : undefined;
}

export async function upgrade(
  driver: SqlDriver,
  options: UpgradeOptions = {},
): Promise<UpgradeResult> {
  const wanted = options.sacks ?? DEFAULT_SACKS;
  if (!Number.isInteger(wanted) || wanted < 1 || wanted > MAX_SACKS) {
    throw new RangeError(`sacks must be an integer between 1 and ${MAX_SACKS}, not ${wanted}`);
  }
  const migrations = await migrate(driver);
  return driver.transaction(async (tx) => {
    await lockUpgrade(tx);
    await tx.query(
      "INSERT INTO config (key, value) VALUES ('sacks', $1::jsonb) ON CONFLICT (key) DO NOTHING",
      [JSON.stringify(wanted)],
    );
    const sacks = (await getSacks(tx))!;
    let createdDefaults = false;
    if (options.createDefaultPolicies ?? true) {
      const empty = await tx.query<{ empty: boolean }>(
        `SELECT NOT EXISTS (SELECT 1 FROM archive_policy)
            AND NOT EXISTS (SELECT 1 FROM archive_policy_rule) AS empty`,
      );
      if (empty.rows[0]?.empty) {
        for (const policy of options.defaultPolicies ?? DEFAULT_ARCHIVE_POLICIES) {
          await createArchivePolicy(tx, policy);
        }
        const rule =
          options.defaultRule === undefined ? DEFAULT_ARCHIVE_POLICY_RULE : options.defaultRule;
        if (rule !== null) await createArchivePolicyRule(tx, rule);
        createdDefaults = true;
      }
    }
    return { migrations, createdDefaults, sacks };
  });
}
