/**
 * The ingest fast path (Prometheus, InfluxDB, batch measures): resolve a
 * whole batch of (resource id, metric name) pairs to metric ids in one round
 * trip when they all exist; otherwise create the missing resources (of one
 * given type) and metrics in ONE statement with `ON CONFLICT DO NOTHING`,
 * then re-select. Concurrent callers creating the same names get the same
 * ids, with no duplicate and no error: the unique (resource_id, name) index
 * and the resource primary key arbitrate, and rows are inserted in a fixed
 * order so two batches never wait on each other crosswise.
 */
import { randomUUID } from "node:crypto";
import type { Micros } from "../carbonara/time.js";
import { ident, type SqlExecutor, type SqlParam, timestampParam } from "./driver.js";
import { NoSuchArchivePolicyError, ResourceAlreadyExistsError } from "./errors.js";
import { checkMetricName, RuleMatcher } from "./metric-insert.js";
import { preciseNowMicros } from "./resource-store.js";
import {
  type AttributeValue,
  attributeSqlArrayType,
  validateAttributes,
} from "./resource-type-schema.js";
import { attributeParam, getResourceType } from "./resource-type-store.js";
import { type Db, inTransaction } from "./transaction.js";

export interface IngestTarget {
  /** The converted resource UUID (spec rest §0.9). */
  readonly resourceId: string;
  /** The id as sent, stored on a resource this call creates. */
  readonly originalResourceId: string;
  readonly metricName: string;
}

export interface ResolveOptions {
  /** Creator of the resources and metrics created. */
  readonly creator: string | null;
  /** Create the missing metrics (on existing or created resources). Default false. */
  readonly createMetrics?: boolean;
  /** Policy of created metrics: a name, or per metric name; undefined → archive policy rules. */
  readonly archivePolicyName?: string | ((metricName: string) => string | null | undefined);
  /** Unit of created metrics, per metric name. */
  readonly unit?: (metricName: string) => string | null | undefined;
  /**
   * Create missing resources of this type with these attributes (validated
   * against the type). An existing resource of another type is an error.
   */
  readonly createResources?: {
    readonly type: string;
    readonly attributes?: (resourceId: string) => Readonly<Record<string, unknown>>;
  };
  /** Creation time of new resources (tests). */
  readonly now?: Micros;
}

export interface ResolveResult {
  /** The metric id of each target, in input order; undefined when missing and not created. */
  readonly metricIds: readonly (string | undefined)[];
  /** Resources that do not exist and were not created (each once, in input order). */
  readonly missingResources: readonly { resourceId: string; originalResourceId: string }[];
}

interface Pair {
  readonly rid: string;
  readonly name: string;
  readonly original: string;
}

const key = (rid: string, name: string) => `${rid}\u0000${name}`;

interface Found {
  metrics: Map<string, string>;
  types: Map<string, string>;
}

async function lookup(db: SqlExecutor, pairs: readonly Pair[]): Promise<Found> {
  const r = await db.query<{ rid: string; name: string; id: string | null; type: string | null }>(
    `SELECT w.rid, w.name, m.id, r.type
       FROM unnest($1::uuid[], $2::text[]) AS w(rid, name)
       LEFT JOIN resource r ON r.id = w.rid
       LEFT JOIN metric m ON m.resource_id = w.rid AND m.name = w.name`,
    [pairs.map((p) => p.rid), pairs.map((p) => p.name)],
  );
  const found: Found = { metrics: new Map(), types: new Map() };
  for (const row of r.rows) {
    if (row.id !== null) found.metrics.set(key(row.rid, row.name), row.id);
    if (row.type !== null) found.types.set(row.rid, row.type);
  }
  return found;
}

/**
 * Resolves (resource, metric name) pairs to metric ids, creating what the
 * options allow.
 * @throws NoSuchResourceTypeError, InvalidInputError (attributes),
 *   InvalidMetricNameError, NoArchivePolicyRuleMatchError,
 *   NoSuchArchivePolicyError, ResourceAlreadyExistsError (id taken by another type)
 */
export async function resolveMetrics(
  db: Db,
  targets: readonly IngestTarget[],
  options: ResolveOptions,
): Promise<ResolveResult> {
  const unique = new Map<string, Pair>();
  for (const t of targets) {
    const k = key(t.resourceId, t.metricName);
    if (!unique.has(k))
      unique.set(k, { rid: t.resourceId, name: t.metricName, original: t.originalResourceId });
  }
  const pairs = [...unique.values()];
  let found =
    pairs.length === 0 ? { metrics: new Map(), types: new Map() } : await lookup(db, pairs);
  const wantedType = options.createResources?.type;
  const checkTypes = (f: Found) => {
    if (wantedType === undefined) return;
    for (const [rid, type] of f.types)
      if (type !== wantedType) throw new ResourceAlreadyExistsError(rid);
  };
  checkTypes(found);

  const missing = pairs.filter((p) => !found.metrics.has(key(p.rid, p.name)));
  const canCreate = options.createMetrics === true;
  if (missing.length > 0 && canCreate) {
    const newResources = new Map<string, Pair>();
    if (wantedType !== undefined) {
      for (const p of missing) if (!found.types.has(p.rid)) newResources.set(p.rid, p);
    }
    const metricRows = missing.filter((p) => found.types.has(p.rid) || newResources.has(p.rid));
    if (metricRows.length > 0) {
      found = await inTransaction(db, async (tx) => {
        await createMissing(tx, [...newResources.values()], metricRows, options);
        const again = await lookup(tx, missing);
        checkTypes(again);
        return {
          metrics: new Map([...found.metrics, ...again.metrics]),
          types: new Map([...found.types, ...again.types]),
        };
      });
    }
  }

  const missingResources: { resourceId: string; originalResourceId: string }[] = [];
  const seen = new Set<string>();
  for (const t of targets) {
    if (!found.types.has(t.resourceId) && !seen.has(t.resourceId)) {
      seen.add(t.resourceId);
      missingResources.push({ resourceId: t.resourceId, originalResourceId: t.originalResourceId });
    }
  }
  return {
    metricIds: targets.map((t) => found.metrics.get(key(t.resourceId, t.metricName))),
    missingResources,
  };
}

const byRidName = (a: Pair, b: Pair) =>
  a.rid < b.rid ? -1 : a.rid > b.rid ? 1 : a.name < b.name ? -1 : a.name > b.name ? 1 : 0;

/** One statement: the new resources (and their attribute rows), then the new metrics. */
async function createMissing(
  tx: SqlExecutor,
  resources: Pair[],
  metrics: Pair[],
  options: ResolveOptions,
): Promise<void> {
  const rules = new RuleMatcher(tx);
  const policies: string[] = [];
  const units: (string | null)[] = [];
  metrics.sort(byRidName);
  for (const p of metrics) {
    checkMetricName(p.name);
    const given =
      typeof options.archivePolicyName === "function"
        ? options.archivePolicyName(p.name)
        : options.archivePolicyName;
    policies.push(given ?? (await rules.policyFor(p.name)));
    units.push(options.unit?.(p.name) ?? null);
  }
  const known = await tx.query<{ name: string }>(
    "SELECT name FROM archive_policy WHERE name = ANY($1::text[])",
    [[...new Set(policies)]],
  );
  const knownNames = new Set(known.rows.map((r) => r.name));
  const unknown = policies.find((p) => !knownNames.has(p));
  if (unknown !== undefined) throw new NoSuchArchivePolicyError(unknown);

  const params: SqlParam[] = [];
  const param = (v: SqlParam) => {
    params.push(v);
    return `$${params.length}`;
  };
  const ctes: string[] = [];
  if (resources.length > 0) {
    const rt = await getResourceType(tx, options.createResources!.type);
    resources.sort((a, b) => (a.rid < b.rid ? -1 : a.rid > b.rid ? 1 : 0));
    const values = resources.map((p) =>
      validateAttributes(rt.attributes, options.createResources?.attributes?.(p.rid) ?? {}, false),
    );
    const now = timestampParam(options.now ?? preciseNowMicros());
    ctes.push(`nr AS (
      INSERT INTO resource (id, type, creator, original_resource_id, started_at, revision_start)
      SELECT u.id, ${param(rt.name)}, ${param(options.creator)}, u.original, ${param(now)}, ${param(now)}
        FROM unnest(${param(resources.map((p) => p.rid))}::uuid[],
                    ${param(resources.map((p) => p.original))}::text[]) WITH ORDINALITY AS u(id, original, i)
       ORDER BY u.i
      ON CONFLICT (id) DO NOTHING RETURNING id)`);
    if (rt.tablename !== null) {
      const columns = rt.attributes.map((a) => ident(a.column));
      const arrays = rt.attributes.map((a) => {
        const column = values.map((v: Map<string, AttributeValue>) =>
          v.has(a.name) ? attributeParam(a, v.get(a.name)!) : null,
        );
        return `${param(column)}::${attributeSqlArrayType(a.type)}`;
      });
      const cols = columns.map((c) => `, ${c}`).join("");
      const names = rt.attributes.map((_, i) => `, c${i}`).join("");
      ctes.push(`nt AS (
        INSERT INTO ${ident(rt.tablename)} (id${cols})
        SELECT u.id${rt.attributes.map((_, i) => `, u.c${i}`).join("")}
          FROM unnest(${param(resources.map((p) => p.rid))}::uuid[]${arrays.map((a) => `, ${a}`).join("")})
            AS u(id${names})
          JOIN nr ON nr.id = u.id)`);
    }
  }
  ctes.push(`nm AS (
    INSERT INTO metric (id, archive_policy_id, creator, resource_id, name, unit)
    SELECT w.id, p.id, ${param(options.creator)}, w.rid, w.name, w.unit
      FROM unnest(${param(metrics.map(() => randomUUID()))}::uuid[],
                  ${param(metrics.map((p) => p.rid))}::uuid[],
                  ${param(metrics.map((p) => p.name))}::text[],
                  ${param(units)}::text[],
                  ${param(policies)}::text[]) WITH ORDINALITY AS w(id, rid, name, unit, policy, i)
      JOIN archive_policy p ON p.name = w.policy
     ORDER BY w.i
    ON CONFLICT DO NOTHING RETURNING 1)`);
  await tx.query(`WITH ${ctes.join(",\n")} SELECT (SELECT count(*) FROM nm) AS created`, params);
}
