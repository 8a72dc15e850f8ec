/**
 * Resources in the indexer (spec rest §8): create with metrics, get, PATCH
 * (a new revision only when a non-metrics value changes, the old state
 * copied to the history tables under the global revision sequence), delete
 * (its metrics marked `delete` and detached), batch delete by a filter.
 *
 * Ids: `createResource` takes the id as the client sent it and derives the
 * UUID (spec rest §0.9); the other functions take the converted UUID.
 */
import type { Micros } from "../carbonara/time.js";
import {
  ident,
  SQLSTATE,
  type SqlExecutor,
  type SqlParam,
  sqlState,
  timestampParam,
} from "./driver.js";
import {
  NoSuchResourceError,
  NoSuchResourceTypeError,
  ResourceAlreadyExistsError,
  ResourceTimestampsError,
} from "./errors.js";
import { resourceIdFromInput } from "./resource-id.js";
import {
  attachResourceMetrics,
  detachResourceMetrics,
  type ResourceMetrics,
} from "./resource-metrics.js";
import {
  attributeColumns,
  attributeJoin,
  genericColumns,
  metricsColumn,
  type Resource,
  type ResourceRow,
  resourceFromRow,
} from "./resource-row.js";
import { type AttributeValue, validateAttributes } from "./resource-type-schema.js";
import {
  attributeParam,
  GENERIC,
  getResourceType,
  historyTable,
  type ResourceType,
} from "./resource-type-store.js";
import { embed, paramList, type WhereInput } from "./sql-fragment.js";
import { type Db, inTransaction } from "./transaction.js";

/** Wall-clock microseconds (sub-millisecond, unlike Date.now()). */
export function preciseNowMicros(): Micros {
  return Math.floor((performance.timeOrigin + performance.now()) * 1000);
}

export interface ResourceCreate {
  /** The id as the client sent it: a UUID, or any string turned into a UUIDv5. */
  readonly id: string;
  /** Default: now. */
  readonly startedAt?: Micros;
  readonly endedAt?: Micros | null;
  readonly userId?: string | null;
  readonly projectId?: string | null;
  /** The type's custom attributes as sent (validated here against the type). */
  readonly attributes?: Readonly<Record<string, unknown>>;
  readonly metrics?: ResourceMetrics;
}

/** What a PATCH may change: any field of a creation but the id; `metrics` replaces the attached metrics (no revision). */
export type ResourceChanges = Omit<ResourceCreate, "id">;

export interface ResourceWriteOptions {
  /** The revision time (tests); default now. */
  readonly now?: Micros;
}

/**
 * Reads a resource as seen through type `typeName`: a custom type shows its
 * own resources with their attributes; `generic` shows every resource, with
 * generic columns only unless `details` (then with its own type's
 * attributes). Undefined when not visible there.
 */
export async function findResource(
  db: SqlExecutor,
  typeName: string,
  id: string,
  options: { readonly details?: boolean } = {},
): Promise<Resource | undefined> {
  let rt: ResourceType | undefined;
  if (typeName !== GENERIC) rt = await getResourceType(db, typeName);
  const params: SqlParam[] = [id];
  let sql = `SELECT ${genericColumns("r", false)}, ${metricsColumn("r")}`;
  if (rt !== undefined) {
    params.push(typeName);
    sql += `${attributeColumns(rt, "t")} FROM resource r${attributeJoin(rt, "t", "r.id", false)}
      WHERE r.id = $1 AND r.type = $2`;
  } else {
    sql += " FROM resource r WHERE r.id = $1";
  }
  const r = await db.query<ResourceRow>(sql, params);
  const row = r.rows[0];
  if (row === undefined) return undefined;
  if (rt === undefined && options.details && row.type !== GENERIC)
    return findResource(db, row.type, id);
  return resourceFromRow(row, rt);
}

/**
 * @throws NoSuchResourceTypeError, NoSuchResourceError (not visible through `typeName`)
 */
export async function getResource(
  db: SqlExecutor,
  typeName: string,
  id: string,
  options: { readonly details?: boolean } = {},
): Promise<Resource> {
  const resource = await findResource(db, typeName, id, options);
  if (resource === undefined) throw new NoSuchResourceError(id);
  return resource;
}

function attributeArgs(
  rt: ResourceType,
  values: ReadonlyMap<string, AttributeValue>,
): { columns: string[]; params: SqlParam[] } {
  const columns: string[] = [];
  const params: SqlParam[] = [];
  for (const a of rt.attributes) {
    if (!values.has(a.name)) continue;
    columns.push(ident(a.column));
    params.push(attributeParam(a, values.get(a.name)!));
  }
  return { columns, params };
}

/**
 * Creates a resource of type `typeName` (spec rest §8.3), creator = caller.
 * @throws InvalidResourceIdError, NoSuchResourceTypeError, InvalidInputError,
 *   ResourceTimestampsError, ResourceAlreadyExistsError, and the metric errors
 *   of {@link attachResourceMetrics}
 */
export async function createResource(
  db: Db,
  typeName: string,
  input: ResourceCreate,
  creator: string | null,
  options: ResourceWriteOptions = {},
): Promise<Resource> {
  const id = resourceIdFromInput(input.id, creator);
  const now = options.now ?? preciseNowMicros();
  const startedAt = input.startedAt ?? now;
  const endedAt = input.endedAt ?? null;
  return inTransaction(db, async (tx) => {
    const rt = await getResourceType(tx, typeName);
    const values = validateAttributes(rt.attributes, input.attributes ?? {}, false);
    if (endedAt !== null && startedAt > endedAt) throw new ResourceTimestampsError();
    let inserted: number;
    try {
      const r = await tx.query(
        `INSERT INTO resource (id, type, creator, original_resource_id, user_id, project_id,
                               started_at, ended_at, revision_start)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
         ON CONFLICT (id) DO NOTHING RETURNING id`,
        [
          id,
          typeName,
          creator,
          input.id,
          input.userId ?? null,
          input.projectId ?? null,
          timestampParam(startedAt),
          endedAt === null ? null : timestampParam(endedAt),
          timestampParam(now),
        ],
      );
      inserted = r.rowCount;
    } catch (error) {
      // The type was deleted meanwhile.
      if (sqlState(error) === SQLSTATE.FOREIGN_KEY_VIOLATION)
        throw new NoSuchResourceTypeError(typeName);
      throw error;
    }
    if (inserted === 0) throw new ResourceAlreadyExistsError(id);
    if (rt.tablename !== null) {
      const { columns, params } = attributeArgs(rt, values);
      const placeholders = params.map((_, i) => `, $${i + 2}`).join("");
      await tx.query(
        `INSERT INTO ${ident(rt.tablename)} (id${columns.map((c) => `, ${c}`).join("")})
         VALUES ($1${placeholders})`,
        [id, ...params],
      );
    }
    if (input.metrics !== undefined) await attachResourceMetrics(tx, id, creator, input.metrics);
    return getResource(tx, typeName, id);
  });
}

/** The raw attribute columns (`a<n>` → stored value; datetimes in microseconds). */
async function storedAttributes(
  tx: SqlExecutor,
  rt: ResourceType,
  id: string,
): Promise<Record<string, unknown>> {
  if (rt.tablename === null || rt.attributes.length === 0) return {};
  const cols = rt.attributes.map((a) => ident(a.column)).join(", ");
  const r = await tx.query<Record<string, unknown>>(
    `SELECT ${cols} FROM ${ident(rt.tablename)} WHERE id = $1`,
    [id],
  );
  return r.rows[0] ?? {};
}

/** Locks the resource row; its real type. @throws NoSuchResourceError */
async function lockResource(tx: SqlExecutor, typeName: string, id: string): Promise<string> {
  const r = await tx.query<{ type: string }>("SELECT type FROM resource WHERE id = $1 FOR UPDATE", [
    id,
  ]);
  const type = r.rows[0]?.type;
  if (type === undefined || (typeName !== GENERIC && type !== typeName))
    throw new NoSuchResourceError(id);
  return type;
}

function sameValue(a: unknown, b: unknown): boolean {
  return a === b;
}

/**
 * Updates a resource (spec rest §8.5). A revision is recorded only if a
 * non-`metrics` value changes: the old state goes to the history tables with
 * `revision_end = now` and the resource gets `revision_start = now`.
 * `metrics` replaces the attached set. Atomic: any error changes nothing.
 * @throws NoSuchResourceTypeError, NoSuchResourceError, InvalidInputError,
 *   ResourceTimestampsError, and the metric errors of {@link attachResourceMetrics}
 */
export async function patchResource(
  db: Db,
  typeName: string,
  id: string,
  changes: ResourceChanges,
  options: ResourceWriteOptions = {},
): Promise<Resource> {
  return inTransaction(db, async (tx) => {
    const pathType = await getResourceType(tx, typeName);
    const values = validateAttributes(pathType.attributes, changes.attributes ?? {}, true);
    const realTypeName = await lockResource(tx, typeName, id);
    const rt = realTypeName === typeName ? pathType : await getResourceType(tx, realTypeName);
    const current = (await findResource(tx, realTypeName, id))!;

    const startedAt = changes.startedAt ?? current.startedAt;
    const endedAt = changes.endedAt === undefined ? current.endedAt : changes.endedAt;
    if (endedAt !== null && startedAt > endedAt) throw new ResourceTimestampsError();

    const generic: [string, SqlParam, boolean][] = [];
    const put = (column: string, value: SqlParam, old: unknown, given: boolean) => {
      if (given && !sameValue(value, old)) generic.push([column, value, true]);
    };
    put("started_at", startedAt, current.startedAt, changes.startedAt !== undefined);
    put("ended_at", endedAt, current.endedAt, changes.endedAt !== undefined);
    put("user_id", changes.userId ?? null, current.userId, changes.userId !== undefined);
    put(
      "project_id",
      changes.projectId ?? null,
      current.projectId,
      changes.projectId !== undefined,
    );
    const stored = await storedAttributes(tx, rt, id);
    const attrs = rt.attributes.filter(
      (a) => values.has(a.name) && !sameValue(values.get(a.name), stored[a.column] ?? null),
    );

    if (generic.length > 0 || attrs.length > 0) {
      const now = Math.max(options.now ?? preciseNowMicros(), current.revisionStart + 1);
      await recordRevision(tx, rt, id, now);
      const { params, param } = paramList([id]);
      const sets = generic.map(([column, value]) => {
        const isTime = column === "started_at" || column === "ended_at";
        const v = isTime && value !== null ? timestampParam(value as number) : value;
        return `${column} = ${param(v)}`;
      });
      sets.push(`revision_start = ${param(timestampParam(now))}`);
      await tx.query(`UPDATE resource SET ${sets.join(", ")} WHERE id = $1`, params);
      if (attrs.length > 0 && rt.tablename !== null) {
        const p = paramList([id]);
        const attrSets = attrs.map(
          (a) => `${ident(a.column)} = ${p.param(attributeParam(a, values.get(a.name)!))}`,
        );
        await tx.query(
          `UPDATE ${ident(rt.tablename)} SET ${attrSets.join(", ")} WHERE id = $1`,
          p.params,
        );
      }
    }
    if (changes.metrics !== undefined) {
      await detachResourceMetrics(tx, id);
      await attachResourceMetrics(tx, id, current.creator, changes.metrics);
    }
    return getResource(tx, typeName, id);
  });
}

/** Copies the current state of resource `id` (type `rt`) to the history tables. */
async function recordRevision(
  tx: SqlExecutor,
  rt: ResourceType,
  id: string,
  revisionEnd: Micros,
): Promise<void> {
  const h = await tx.query<{ revision: number }>(
    `INSERT INTO resource_history (id, type, creator, original_resource_id, user_id, project_id,
                                   started_at, ended_at, revision_start, revision_end)
     SELECT id, type, creator, original_resource_id, user_id, project_id,
            started_at, ended_at, revision_start, $2
       FROM resource WHERE id = $1
     RETURNING revision`,
    [id, timestampParam(revisionEnd)],
  );
  // A row even without attributes: history searches join the per-type history table.
  if (rt.tablename === null) return;
  const cols = rt.attributes.map((a) => `, ${ident(a.column)}`).join("");
  await tx.query(
    `INSERT INTO ${ident(historyTable(rt.tablename))} (revision${cols})
     SELECT $2${cols} FROM ${ident(rt.tablename)} WHERE id = $1`,
    [id, h.rows[0]!.revision],
  );
}

/**
 * Deletes a resource (spec rest §8.6): its metrics are marked `delete` and
 * detached; its history and attributes go with it.
 * @throws NoSuchResourceTypeError, NoSuchResourceError
 */
export async function deleteResource(db: Db, typeName: string, id: string): Promise<void> {
  await inTransaction(db, async (tx) => {
    if (typeName !== GENERIC) await getResourceType(tx, typeName);
    await lockResource(tx, typeName, id);
    await deleteResourceIds(tx, [id]);
  });
}

async function deleteResourceIds(tx: SqlExecutor, ids: readonly string[]): Promise<number> {
  await tx.query(
    `UPDATE metric SET status = 'delete', resource_id = NULL WHERE resource_id = ANY($1::uuid[])`,
    [[...ids]],
  );
  const d = await tx.query("DELETE FROM resource WHERE id = ANY($1::uuid[])", [[...ids]]);
  return d.rowCount;
}

/**
 * Batch delete (spec rest §8.8): deletes the resources of `typeName` (every
 * type for `generic`) matching `where`, a compiled search filter over
 * resource alias `r` and, for a custom type, its attribute table alias `x`
 * (AND the visibility filter into it). Returns how many were deleted.
 * @throws NoSuchResourceTypeError
 */
export async function deleteResources(
  db: Db,
  typeName: string,
  where: WhereInput,
): Promise<number> {
  return inTransaction(db, async (tx) => {
    const rt = await getResourceType(tx, typeName);
    const { params, param } = paramList();
    const join = attributeJoin(rt, "x", "r.id", false);
    const typeCond = typeName === GENERIC ? "" : `r.type = ${param(typeName)} AND `;
    const filter = embed(where, param);
    const r = await tx.query<{ id: string }>(
      `SELECT r.id FROM resource r${join} WHERE ${typeCond}(${filter}) FOR UPDATE OF r`,
      params,
    );
    if (r.rows.length === 0) return 0;
    return deleteResourceIds(
      tx,
      r.rows.map((row) => row.id),
    );
  });
}
