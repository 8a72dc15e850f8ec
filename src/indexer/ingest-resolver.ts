/**
 * The ingest fast path (Prometheus, InfluxDB, batch measures): resolve a
 * whole batch of (resource id, metric name) pairs to metric ids in one round
 * trip (one index probe per pair, see `lookup`) when they all exist;
 * otherwise create the missing resources (of one given type) and metrics in
 * ONE statement with `ON CONFLICT DO NOTHING`, and re-select only the rows a
 * concurrent writer created first. Concurrent callers creating the same
 * names get the same ids, with no duplicate and no error: the unique
 * (resource_id, name) index and the resource primary key arbitrate, and rows
 * are inserted in a fixed order so two batches never wait on each other
 * crosswise. Name checks, rule matching and units run once per distinct name.
 * Pairs resolved before by this process come from its cache
 * (metric-id-cache.ts: dropped whenever any process unbinds a metric).
 */
import { randomUUID } from "node:crypto";
import type { Micros } from "../carbonara/time.js";
import { ident, type SqlExecutor, type SqlParam, timestampParam } from "./driver.js";
import { NoSuchArchivePolicyError, ResourceAlreadyExistsError } from "./errors.js";
import { type MetricIdCache, metricIdCacheOf } from "./metric-id-cache.js";
import { checkMetricName, RuleMatcher } from "./metric-insert.js";
import { preciseNowMicros } from "./resource-store.js";
import {
  type AttributeValue,
  attributeSqlArrayType,
  validateAttributes,
} from "./resource-type-schema.js";
import { attributeParam, getResourceType } from "./resource-type-store.js";
import { type Db, inTransaction, isDriver } from "./transaction.js";

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
  /**
   * Answer pairs resolved before from the process's cache (metric-id-cache.ts),
   * asking SQL only for the others. Default true; only used on a driver
   * (inside a caller's transaction every pair goes to SQL).
   */
  readonly cache?: boolean;
}

export interface ResolveResult {
  /** The metric id of each target, in input order; undefined when missing and not created. */
  readonly metricIds: readonly (string | undefined)[];
  /** Resources that do not exist and were not created (each once, in input order). */
  readonly missingResources: readonly { resourceId: string; originalResourceId: string }[];
}

/** A distinct missing (resource, name) pair of the batch; `id` is set once created or found. */
interface Pair {
  readonly rid: string;
  readonly name: string;
  readonly original: string;
  id: string | undefined;
}

/** Creation order: the unique (resource_id, name) index's, so two batches lock rows in one order. */
const byRidName = (a: Pair, b: Pair) =>
  a.rid < b.rid ? -1 : a.rid > b.rid ? 1 : a.name < b.name ? -1 : a.name > b.name ? 1 : 0;

interface Found {
  /** The metric id of each (rid, name) given, in order. */
  readonly ids: (string | undefined)[];
  /** Resource id → type, of the resources read. */
  readonly types: Map<string, string>;
}

/**
 * The batch lookup, ONE statement: the metric id of each (rid, name), each
 * found by one probe of the unique (resource_id, name) index in index order,
 * and the resources read only where needed (pairs without a metric, or all
 * of them when `allTypes`, to check their type). The arrays go through
 * `(SELECT $n)` on purpose: told the real batch size, the planner prices
 * 10,000 probes above one hash join over the whole metric table (seconds for
 * a million metrics) and above `jit_above_cost` (tens of ms of JIT
 * compilation), while probes are what a batch tiny next to the table needs;
 * `LATERAL … LIMIT 1` keeps the probe shape whatever it estimates. The
 * result is one row of two texts (metric ids in input order; resource ids by
 * type), far cheaper to transfer and decode than a row per pair.
 */
async function lookup(
  db: SqlExecutor,
  rids: readonly string[],
  names: readonly string[],
  allTypes: boolean,
): Promise<Found> {
  const found: Found = { ids: [], types: new Map() };
  if (rids.length === 0) return found;
  const r = await db.query<{ ids: string | null; types: Record<string, string> | null }>(
    `WITH w AS MATERIALIZED (
       SELECT w.i, w.rid, m.id
         FROM (SELECT * FROM unnest((SELECT $1::uuid[]), (SELECT $2::text[]))
                 WITH ORDINALITY AS u(rid, name, i) ORDER BY u.rid, u.name) w
         LEFT JOIN LATERAL (SELECT m.id FROM metric m
                             WHERE m.resource_id = w.rid AND m.name = w.name LIMIT 1) m ON true)
     SELECT (SELECT string_agg(COALESCE(w.id::text, '-'), ' ' ORDER BY w.i) FROM w) AS ids,
            (SELECT json_object_agg(t.type, t.ids) FROM (
               SELECT r.type, string_agg(r.id::text, ' ') AS ids FROM resource r
                WHERE r.id = ANY (ARRAY(SELECT DISTINCT w.rid FROM w
                                         WHERE $3::boolean OR w.id IS NULL))
                GROUP BY r.type) t) AS types`,
    [rids, names, allTypes],
  );
  const row = r.rows[0];
  for (const id of (row?.ids ?? "").split(" ")) found.ids.push(id === "-" ? undefined : id);
  for (const [type, ids] of Object.entries(row?.types ?? {}))
    for (const rid of ids.split(" ")) found.types.set(rid, type);
  return found;
}

/**
 * {@link lookup} through the cache: pairs it holds (with their resource's
 * type when types are checked) cost nothing, the others one lookup whose
 * answers are cached (read outside a transaction: committed).
 */
async function cachedLookup(
  db: SqlExecutor,
  cache: MetricIdCache,
  targets: readonly IngestTarget[],
  allTypes: boolean,
): Promise<Found> {
  await cache.validate(db);
  const found: Found = { ids: new Array<string | undefined>(targets.length), types: new Map() };
  const misses: number[] = [];
  for (let i = 0; i < targets.length; i++) {
    const t = targets[i]!;
    const id = cache.metricId(t.resourceId, t.metricName);
    const type = allTypes ? cache.resourceType(t.resourceId) : undefined;
    if (id === undefined || (allTypes && type === undefined)) misses.push(i);
    else {
      found.ids[i] = id;
      if (type !== undefined) found.types.set(t.resourceId, type);
    }
  }
  if (misses.length === 0) return found;
  const read = await lookup(
    db,
    misses.map((i) => targets[i]!.resourceId),
    misses.map((i) => targets[i]!.metricName),
    allTypes,
  );
  for (const [rid, type] of read.types) found.types.set(rid, type);
  misses.forEach((i, k) => {
    const id = read.ids[k];
    found.ids[i] = id;
    if (id === undefined) return;
    const t = targets[i]!;
    cache.set(t.resourceId, t.metricName, id, read.types.get(t.resourceId));
  });
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
  const wantedType = options.createResources?.type;
  const checkTypes = (types: Map<string, string>) => {
    if (wantedType === undefined) return;
    for (const [rid, type] of types)
      if (type !== wantedType) throw new ResourceAlreadyExistsError(rid);
  };
  // Committed bindings only: inside a caller's transaction, no cache.
  const cache = options.cache !== false && isDriver(db) ? metricIdCacheOf(db) : undefined;
  // The whole batch as given (a repeated pair costs one more probe, not a
  // client-side dedupe of every batch).
  const found =
    cache !== undefined
      ? await cachedLookup(db, cache, targets, wantedType !== undefined)
      : await lookup(
          db,
          targets.map((t) => t.resourceId),
          targets.map((t) => t.metricName),
          wantedType !== undefined,
        );
  checkTypes(found.types);
  const metricIds = found.ids;
  if (!metricIds.includes(undefined)) return { metricIds, missingResources: [] };

  // A metric found implies its resource (the foreign key, in the same snapshot).
  const existing = new Set(found.types.keys());
  targets.forEach((t, i) => {
    if (metricIds[i] !== undefined) existing.add(t.resourceId);
  });
  if (options.createMetrics === true) {
    const unique = new Map<string, Pair>();
    const pairOf = new Map<number, Pair>();
    targets.forEach((t, i) => {
      if (metricIds[i] !== undefined) return;
      const k = `${t.resourceId}\u0000${t.metricName}`;
      let p = unique.get(k);
      if (p === undefined) {
        p = {
          rid: t.resourceId,
          name: t.metricName,
          original: t.originalResourceId,
          id: undefined,
        };
        unique.set(k, p);
      }
      pairOf.set(i, p);
    });
    const missing = [...unique.values()].sort(byRidName);
    const newResources = new Map<string, Pair>();
    if (wantedType !== undefined) {
      for (const p of missing) if (!existing.has(p.rid)) newResources.set(p.rid, p);
    }
    const metricRows = missing.filter((p) => existing.has(p.rid) || newResources.has(p.rid));
    if (metricRows.length > 0) {
      await inTransaction(db, async (tx) => {
        const created = await createMissing(tx, [...newResources.values()], metricRows, options);
        for (const rid of created) existing.add(rid);
        // What a concurrent writer created first (ON CONFLICT skipped it):
        // its metrics, and its resources, whose type is checked here.
        const others = metricRows.filter(
          (p) => p.id === undefined || (newResources.has(p.rid) && !created.has(p.rid)),
        );
        if (others.length > 0) {
          const again = await lookup(
            tx,
            others.map((p) => p.rid),
            others.map((p) => p.name),
            wantedType !== undefined,
          );
          checkTypes(again.types);
          for (const rid of again.types.keys()) existing.add(rid);
          others.forEach((p, k) => {
            p.id = again.ids[k];
            if (p.id !== undefined) existing.add(p.rid);
          });
        }
      });
      // Committed now (the transaction was ours: the cache is only used on a driver).
      if (cache !== undefined) {
        for (const p of metricRows) {
          if (p.id !== undefined)
            cache.set(p.rid, p.name, p.id, newResources.has(p.rid) ? wantedType : undefined);
        }
      }
    }
    for (const [i, p] of pairOf) metricIds[i] = p.id;
  }

  const missingResources: { resourceId: string; originalResourceId: string }[] = [];
  const seen = new Set<string>();
  for (const t of targets) {
    if (!existing.has(t.resourceId) && !seen.has(t.resourceId)) {
      seen.add(t.resourceId);
      missingResources.push({ resourceId: t.resourceId, originalResourceId: t.originalResourceId });
    }
  }
  return { metricIds, missingResources };
}

/** Archive policy and unit of each distinct metric name (checked once per name, not per row). */
async function policiesAndUnits(
  tx: SqlExecutor,
  metrics: readonly Pair[],
  options: ResolveOptions,
): Promise<{ policies: string[]; units: (string | null)[] }> {
  const rules = new RuleMatcher(tx);
  const perName = new Map<string, { policy: string; unit: string | null }>();
  for (const p of metrics) {
    if (perName.has(p.name)) continue;
    checkMetricName(p.name);
    const given =
      typeof options.archivePolicyName === "function"
        ? options.archivePolicyName(p.name)
        : options.archivePolicyName;
    perName.set(p.name, {
      policy: given ?? (await rules.policyFor(p.name)),
      unit: options.unit?.(p.name) ?? null,
    });
  }
  const distinct = [...new Set([...perName.values()].map((v) => v.policy))];
  const known = await tx.query<{ name: string }>(
    "SELECT name FROM archive_policy WHERE name = ANY($1::text[])",
    [distinct],
  );
  const knownNames = new Set(known.rows.map((r) => r.name));
  const unknown = distinct.find((p) => !knownNames.has(p));
  if (unknown !== undefined) throw new NoSuchArchivePolicyError(unknown);
  return {
    policies: metrics.map((p) => perName.get(p.name)!.policy),
    units: metrics.map((p) => perName.get(p.name)!.unit),
  };
}

/**
 * One statement: the new resources (and their attribute rows), then the new
 * metrics, each `ON CONFLICT DO NOTHING` and in (resource, name) order.
 * Sets `id` on the pairs whose metric this call inserted (one missing was
 * inserted by a concurrent writer, or its policy vanished meanwhile) and
 * returns the resources it inserted.
 */
async function createMissing(
  tx: SqlExecutor,
  resources: Pair[],
  metrics: readonly Pair[],
  options: ResolveOptions,
): Promise<Set<string>> {
  const { policies, units } = await policiesAndUnits(tx, metrics, options);
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
  } else {
    ctes.push("nr AS (SELECT NULL::uuid AS id WHERE false)");
  }
  const ids = metrics.map(() => randomUUID());
  // Only the (resource_id, name) key arbitrates: metric ids are fresh random
  // UUIDs, and checking the primary key too would double the probes.
  ctes.push(`nm AS (
    INSERT INTO metric (id, archive_policy_id, creator, resource_id, name, unit)
    SELECT w.id, p.id, ${param(options.creator)}, w.rid, w.name, w.unit
      FROM unnest(${param(ids)}::uuid[],
                  ${param(metrics.map((p) => p.rid))}::uuid[],
                  ${param(metrics.map((p) => p.name))}::text[],
                  ${param(units)}::text[],
                  ${param(policies)}::text[]) WITH ORDINALITY AS w(id, rid, name, unit, policy, i)
      JOIN archive_policy p ON p.name = w.policy
     ORDER BY w.i
    ON CONFLICT (resource_id, name) DO NOTHING RETURNING id)`);
  const r = await tx.query<{ metrics: string | null; resources: string | null }>(
    `WITH ${ctes.join(",\n")}
     SELECT (SELECT string_agg(id::text, ' ') FROM nm) AS metrics,
            (SELECT string_agg(id::text, ' ') FROM nr) AS resources`,
    params,
  );
  const inserted = new Set(r.rows[0]?.metrics?.split(" ") ?? []);
  metrics.forEach((p, i) => {
    if (inserted.has(ids[i]!)) p.id = ids[i];
  });
  return new Set(r.rows[0]?.resources?.split(" ") ?? []);
}
