/**
 * Resource types in the indexer (spec rest §7): create, get, list, delete
 * (refused while resources of the type exist), PATCH (JSON Patch add/remove
 * of attributes, `fill` written to existing resources and their history).
 *
 * Storage (see migrations.ts): each custom type has `rt_<hex>` and
 * `rt_<hex>_history`, one native column `a<n>` per attribute, mapped in
 * `resource_type_attribute`. DDL cannot take parameters, so a `fill` value is
 * written with a parameterized UPDATE after `ADD COLUMN` (never spliced into
 * a DEFAULT clause); the identifiers are the generated names only.
 */
import { randomBytes } from "node:crypto";
import { formatTimestamp } from "../carbonara/timestamp.js";
import { ident, type SqlExecutor, type SqlParam, timestampParam } from "./driver.js";
import {
  InvalidInputError,
  NoSuchResourceTypeError,
  ResourceTypeAlreadyExistsError,
  ResourceTypeInUseError,
} from "./errors.js";
import {
  applyResourceTypePatch,
  parseResourceTypePatch,
  type ResourceTypeDocument,
} from "./resource-type-patch.js";
import {
  type AttributeSchema,
  type AttributeType,
  type AttributeValue,
  attributeFromStored,
  attributeOptions,
  attributeSchemaToJSON,
  attributeSqlType,
  parseAttributeSchema,
} from "./resource-type-schema.js";
import { type Db, inTransaction } from "./transaction.js";

export const GENERIC = "generic";

/** An attribute with the column holding it. */
export type StoredAttribute = AttributeSchema & { readonly column: string };

export interface ResourceType {
  readonly name: string;
  readonly state: string;
  /** `rt_<hex>`; null for `generic`. The history table is `<tablename>_history`. */
  readonly tablename: string | null;
  readonly attributes: readonly StoredAttribute[];
}

interface TypeRow {
  name: string;
  state: string;
  tablename: string | null;
  next_column: number;
  attributes: {
    name: string;
    column_name: string;
    type: AttributeType;
    required: boolean;
    options: Record<string, unknown>;
  }[];
}

const SELECT_TYPES = `SELECT t.name, t.state, t.tablename, t.next_column,
    coalesce(json_agg(json_build_object('name', a.name, 'column_name', a.column_name,
        'type', a.type, 'required', a.required, 'options', a.options) ORDER BY a.position)
      FILTER (WHERE a.name IS NOT NULL), '[]') AS attributes
  FROM resource_type t LEFT JOIN resource_type_attribute a ON a.resource_type = t.name`;

function fromRow(row: TypeRow): ResourceType {
  return {
    name: row.name,
    state: row.state,
    tablename: row.tablename,
    attributes: row.attributes.map((a) => ({
      ...attributeFromStored(a.name, a.type, a.required, a.options),
      column: a.column_name,
    })),
  };
}

/** The JSON form `{"name", "state", "attributes"}` (spec rest §7.1). */
export function resourceTypeToJSON(rt: ResourceType): {
  name: string;
  state: string;
  attributes: Record<string, Record<string, unknown>>;
} {
  const attributes: Record<string, Record<string, unknown>> = {};
  for (const a of rt.attributes) attributes[a.name] = attributeSchemaToJSON(a);
  return { name: rt.name, state: rt.state, attributes };
}

/** The history table of a per-type table. */
export function historyTable(tablename: string): string {
  return `${tablename}_history`;
}

/** A stored attribute value → SQL parameter (datetimes are microseconds). */
export function attributeParam(attr: AttributeSchema, value: AttributeValue | null): SqlParam {
  if (value === null) return null;
  return attr.type === "datetime" ? timestampParam(value as number) : value;
}

/** A column value as read back → the JSON value of the attribute (datetimes as ISO strings). */
export function attributeJSON(attr: AttributeSchema, value: unknown): AttributeValue | null {
  if (value === null || value === undefined) return null;
  if (attr.type === "datetime") return formatTimestamp(value as number);
  return value as AttributeValue;
}

async function loadType(
  db: SqlExecutor,
  name: string,
  lock = false,
): Promise<(ResourceType & { nextColumn: number }) | undefined> {
  if (lock) await db.query("SELECT 1 FROM resource_type WHERE name = $1 FOR UPDATE", [name]);
  const r = await db.query<TypeRow>(`${SELECT_TYPES} WHERE t.name = $1 GROUP BY t.name`, [name]);
  const row = r.rows[0];
  return row === undefined ? undefined : { ...fromRow(row), nextColumn: row.next_column };
}

/** The type, or undefined. */
export async function findResourceType(
  db: SqlExecutor,
  name: string,
): Promise<ResourceType | undefined> {
  const rt = await loadType(db, name);
  if (rt === undefined) return undefined;
  const { nextColumn: _, ...type } = rt;
  return type;
}

/** @throws NoSuchResourceTypeError */
export async function getResourceType(db: SqlExecutor, name: string): Promise<ResourceType> {
  const rt = await findResourceType(db, name);
  if (rt === undefined) throw new NoSuchResourceTypeError(name);
  return rt;
}

/** All types (`generic` included), by name in code-point order. */
export async function listResourceTypes(db: SqlExecutor): Promise<ResourceType[]> {
  const r = await db.query<TypeRow>(`${SELECT_TYPES} GROUP BY t.name ORDER BY t.name`);
  return r.rows.map(fromRow);
}

function checkTypeName(name: unknown): asserts name is string {
  if (typeof name !== "string") throw new InvalidInputError("expected str", ["name"]);
  const length = [...name].length;
  if (length < 1) throw new InvalidInputError("length of value must be at least 1", ["name"]);
  if (length > 255) throw new InvalidInputError("length of value must be at most 255", ["name"]);
}

function parseAttributes(input: unknown, internal: boolean): AttributeSchema[] {
  if (input === undefined) return [];
  if (typeof input !== "object" || input === null || Array.isArray(input))
    throw new InvalidInputError("expected a dictionary", ["attributes"]);
  const mode = internal ? "internal" : "create";
  return Object.entries(input).map(([name, def]) => parseAttributeSchema(name, def, mode).schema);
}

async function addColumn(
  tx: SqlExecutor,
  tablename: string,
  attr: StoredAttribute,
  fill: AttributeValue | null,
): Promise<void> {
  const table = ident(tablename);
  const history = ident(historyTable(tablename));
  const column = ident(attr.column);
  const sqlType = attributeSqlType(attr.type);
  await tx.query(`ALTER TABLE ${table} ADD COLUMN ${column} ${sqlType}`);
  await tx.query(`ALTER TABLE ${history} ADD COLUMN ${column} ${sqlType}`);
  if (fill !== null) {
    const value = [attributeParam(attr, fill)];
    await tx.query(`UPDATE ${table} SET ${column} = $1`, value);
    await tx.query(`UPDATE ${history} SET ${column} = $1`, value);
  }
  if (attr.required) await tx.query(`ALTER TABLE ${table} ALTER COLUMN ${column} SET NOT NULL`);
  await tx.query(
    `CREATE INDEX ${ident(`${tablename}_${attr.column}_idx`)} ON ${table} (${column})`,
  );
}

async function insertAttributes(
  tx: SqlExecutor,
  typeName: string,
  attrs: readonly StoredAttribute[],
  firstPosition: number,
): Promise<void> {
  if (attrs.length === 0) return;
  await tx.query(
    `INSERT INTO resource_type_attribute
       (resource_type, name, position, column_name, type, required, options)
     SELECT $1, a.name, a.position, a.column_name, a.type, a.required, a.options::jsonb
       FROM unnest($2::text[], $3::int[], $4::text[], $5::text[], $6::boolean[], $7::text[])
         AS a(name, position, column_name, type, required, options)`,
    [
      typeName,
      attrs.map((a) => a.name),
      attrs.map((_, i) => firstPosition + i),
      attrs.map((a) => a.column),
      attrs.map((a) => a.type),
      attrs.map((a) => a.required),
      attrs.map((a) => JSON.stringify(attributeOptions(a))),
    ],
  );
}

/**
 * Creates a type from its JSON attributes (`{name: {"type", ...}}`).
 * `internal`: a type the server itself creates (string lengths over 255
 * allowed, e.g. the Prometheus adapter's 512).
 * @throws InvalidInputError, InvalidResourceAttributeError, ResourceTypeAlreadyExistsError
 */
export async function createResourceType(
  db: Db,
  name: string,
  attributes: unknown = {},
  options: { readonly internal?: boolean } = {},
): Promise<ResourceType> {
  checkTypeName(name);
  const schemas = parseAttributes(attributes, options.internal === true);
  const tablename = `rt_${randomBytes(16).toString("hex")}`;
  const stored: StoredAttribute[] = schemas.map((s, i) => ({ ...s, column: `a${i + 1}` }));
  return inTransaction(db, async (tx) => {
    const ins = await tx.query(
      `INSERT INTO resource_type (name, tablename, next_column) VALUES ($1, $2, $3)
       ON CONFLICT DO NOTHING RETURNING name`,
      [name, tablename, stored.length + 1],
    );
    if (ins.rowCount === 0) throw new ResourceTypeAlreadyExistsError(name);
    await insertAttributes(tx, name, stored, 1);
    const columns = stored.map(
      (a) => `, ${ident(a.column)} ${attributeSqlType(a.type)}${a.required ? " NOT NULL" : ""}`,
    );
    const historyColumns = stored.map((a) => `, ${ident(a.column)} ${attributeSqlType(a.type)}`);
    await tx.query(
      `CREATE TABLE ${ident(tablename)} (
         id uuid PRIMARY KEY REFERENCES resource (id) ON DELETE CASCADE${columns.join("")})`,
    );
    await tx.query(
      `CREATE TABLE ${ident(historyTable(tablename))} (
         revision bigint PRIMARY KEY REFERENCES resource_history (revision) ON DELETE CASCADE${historyColumns.join("")})`,
    );
    for (const a of stored) {
      await tx.query(
        `CREATE INDEX ${ident(`${tablename}_${a.column}_idx`)} ON ${ident(tablename)} (${ident(a.column)})`,
      );
    }
    return { name, state: "active", tablename, attributes: stored };
  });
}

/**
 * Deletes a type without resources (its tables go with it).
 * @throws NoSuchResourceTypeError, ResourceTypeInUseError (also for generic)
 */
export async function deleteResourceType(db: Db, name: string): Promise<void> {
  await inTransaction(db, async (tx) => {
    // FOR UPDATE conflicts with the key-share lock a concurrent resource insert takes.
    const r = await tx.query<{ tablename: string | null; in_use: boolean }>(
      `SELECT t.tablename, EXISTS (SELECT 1 FROM resource r WHERE r.type = t.name) AS in_use
         FROM resource_type t WHERE t.name = $1 FOR UPDATE`,
      [name],
    );
    const row = r.rows[0];
    if (row === undefined) throw new NoSuchResourceTypeError(name);
    if (row.in_use || row.tablename === null) throw new ResourceTypeInUseError(name);
    await tx.query(`DROP TABLE ${ident(historyTable(row.tablename))}`);
    await tx.query(`DROP TABLE ${ident(row.tablename)}`);
    await tx.query("DELETE FROM resource_type WHERE name = $1", [name]);
  });
}

/**
 * Applies a JSON Patch (spec rest §7.3) and returns the updated type (the
 * unchanged one when the patch adds and removes nothing).
 * @throws InvalidInputError (patch shape, re-validation), JsonPatchError,
 *   InvalidResourceAttributeError (name, min/max, fill), NoSuchResourceTypeError
 */
export async function patchResourceType(
  db: Db,
  name: string,
  patch: unknown,
): Promise<ResourceType> {
  const ops = parseResourceTypePatch(patch);
  return inTransaction(db, async (tx) => {
    const current = await loadType(tx, name, true);
    if (current === undefined) throw new NoSuchResourceTypeError(name);
    const doc: ResourceTypeDocument = {
      name: current.name,
      state: current.state,
      attributes: new Map(current.attributes.map((a) => [a.name, attributeSchemaToJSON(a)])),
    };
    const next = applyResourceTypePatch(doc, ops);
    checkTypeName(next.name);
    const nextAttrs = next.attributes ?? new Map<string, unknown>();
    const currentNames = new Set(current.attributes.map((a) => a.name));
    // Re-validate the whole result (shape), then build the added attributes.
    for (const [attrName, def] of nextAttrs) {
      if (currentNames.has(attrName)) parseAttributeSchema(attrName, def, "existing");
    }
    const added: { schema: AttributeSchema; fill: AttributeValue | null }[] = [];
    for (const [attrName, def] of nextAttrs) {
      if (!currentNames.has(attrName)) added.push(parseAttributeSchema(attrName, def, "add"));
    }
    const removed = current.attributes.filter((a) => !nextAttrs.has(a.name));
    if (added.length === 0 && removed.length === 0) {
      const { nextColumn: _, ...type } = current;
      return type;
    }
    if (current.tablename === null)
      throw new InvalidInputError("the generic resource type has no custom attributes");
    const tablename = current.tablename;
    for (const a of removed) {
      await tx.query(`ALTER TABLE ${ident(tablename)} DROP COLUMN ${ident(a.column)}`);
      await tx.query(
        `ALTER TABLE ${ident(historyTable(tablename))} DROP COLUMN ${ident(a.column)}`,
      );
    }
    if (removed.length > 0) {
      await tx.query(
        "DELETE FROM resource_type_attribute WHERE resource_type = $1 AND name = ANY($2::text[])",
        [name, removed.map((a) => a.name)],
      );
    }
    const stored: StoredAttribute[] = added.map((a, i) => ({
      ...a.schema,
      column: `a${current.nextColumn + i}`,
    }));
    for (const [i, a] of stored.entries()) await addColumn(tx, tablename, a, added[i]!.fill);
    const pos = await tx.query<{ max: number | null }>(
      "SELECT max(position) AS max FROM resource_type_attribute WHERE resource_type = $1",
      [name],
    );
    await insertAttributes(tx, name, stored, (pos.rows[0]?.max ?? 0) + 1);
    await tx.query(
      "UPDATE resource_type SET next_column = $2, updated_at = now() WHERE name = $1",
      [name, current.nextColumn + stored.length],
    );
    return getResourceType(tx, name);
  });
}
