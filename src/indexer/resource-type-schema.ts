/**
 * Resource type attribute schemas (spec rest §7.2) as values: parsing a
 * definition with Gnocchi's rules and messages, validating attribute values
 * of resources against it, and the JSON form. Pure: no database.
 */
import { parseTimestamp } from "../carbonara/timestamp.js";
import { InvalidInputError, InvalidResourceAttributeError } from "./errors.js";
import { parseUuid } from "./resource-id.js";

export type AttributeType = "string" | "uuid" | "number" | "bool" | "datetime";

export const ATTRIBUTE_TYPES: readonly AttributeType[] = [
  "string",
  "uuid",
  "number",
  "bool",
  "datetime",
];

interface CommonAttribute {
  readonly name: string;
  readonly required: boolean;
}

export interface StringAttribute extends CommonAttribute {
  readonly type: "string";
  readonly minLength: number;
  readonly maxLength: number;
}
export interface NumberAttribute extends CommonAttribute {
  readonly type: "number";
  readonly min: number | null;
  readonly max: number | null;
}
export interface PlainAttribute extends CommonAttribute {
  readonly type: "uuid" | "bool" | "datetime";
}

export type AttributeSchema = StringAttribute | NumberAttribute | PlainAttribute;

/**
 * A value as stored: string (string and uuid, the uuid normalized), number,
 * boolean, or microseconds since the epoch (datetime).
 */
export type AttributeValue = string | number | boolean;

/** Names Gnocchi reserves for the generic columns and the API. */
export const RESERVED_ATTRIBUTE_NAMES: ReadonlySet<string> = new Set([
  "id",
  "type",
  "metrics",
  "revision",
  "revision_start",
  "revision_end",
  "started_at",
  "ended_at",
  "user_id",
  "project_id",
  "created_by_user_id",
  "created_by_project_id",
  "get_metric",
  "creator",
]);

/** Only the start is checked, as Python's `re.match` does: `new-optional-bool` is valid. */
const VALID_START = /^[a-zA-Z0-9]/;

function codePoints(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}

/** Python's `str()` of an int or float, near enough (`5.0` arrives as `5` from JSON). */
function pyStr(value: number): string {
  return String(value);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function own(o: Record<string, unknown>, key: string): unknown {
  return Object.hasOwn(o, key) ? o[key] : undefined;
}

function intOption(
  o: Record<string, unknown>,
  key: string,
  dflt: number,
  min: number,
  path: readonly string[],
  max = 255,
): number {
  if (!Object.hasOwn(o, key)) return dflt;
  const v = o[key];
  if (typeof v !== "number" || !Number.isInteger(v))
    throw new InvalidInputError("expected int", [...path, key]);
  if (v < min) throw new InvalidInputError(`value must be at least ${min}`, [...path, key]);
  if (v > max) throw new InvalidInputError(`value must be at most ${max}`, [...path, key]);
  return v;
}

function realOption(o: Record<string, unknown>, key: string, path: readonly string[]) {
  const v = own(o, key);
  if (v === undefined || v === null) return null;
  if (typeof v !== "number" || !Number.isFinite(v))
    throw new InvalidInputError("not a valid value", [...path, key]);
  return v;
}

const OPTION_KEYS: Record<AttributeType, readonly string[]> = {
  string: ["min_length", "max_length"],
  number: ["min", "max"],
  uuid: [],
  bool: [],
  datetime: [],
};

export interface ParsedAttribute {
  readonly schema: AttributeSchema;
  /** The converted `options.fill` (PATCH add only); null when absent. */
  readonly fill: AttributeValue | null;
}

/**
 * How {@link parseAttributeSchema} reads a definition: `create` (POST of a
 * type), `add` (an attribute a PATCH adds: `options.fill` allowed and
 * checked), `existing` (an attribute a PATCH keeps: shape only, as Gnocchi
 * re-validates the whole patched type but builds only the added attributes),
 * `internal` (a type the server creates itself, such as the Prometheus
 * adapter's `prometheus` with `max_length` 512: no 255 bound on lengths, as
 * Gnocchi's schema classes do not check it outside the REST meta schema).
 */
export type AttributeParseMode = "create" | "add" | "existing" | "internal";

/**
 * Parses one attribute definition `{"type", "required"?, options...}` as
 * Gnocchi's meta schema does, then applies its constructor checks in its
 * order: min ≤ max, the name, then (mode `add`) `options.fill`.
 * @throws InvalidInputError (shape; path under `attributes`),
 *   InvalidResourceAttributeError (name, min/max, fill)
 */
export function parseAttributeSchema(
  name: string,
  input: unknown,
  mode: AttributeParseMode = "create",
): ParsedAttribute {
  const forUpdate = mode === "add" || mode === "existing";
  const lengthBound = mode === "internal" ? Number.MAX_SAFE_INTEGER : 255;
  const path = ["attributes", name];
  if (!isObject(input)) throw new InvalidInputError("expected a dictionary", path);
  const type = own(input, "type");
  if (type === undefined)
    throw new InvalidInputError("required key not provided", [...path, "type"]);
  if (typeof type !== "string" || !(ATTRIBUTE_TYPES as readonly string[]).includes(type))
    throw new InvalidInputError("not a valid value", [...path, "type"]);
  const attrType = type as AttributeType;
  const allowed = new Set(["type", "required", ...OPTION_KEYS[attrType]]);
  if (forUpdate) allowed.add("options");
  for (const key of Object.keys(input)) {
    if (!allowed.has(key)) throw new InvalidInputError("extra keys not allowed", [...path, key]);
  }
  const required = own(input, "required") ?? true;
  if (typeof required !== "boolean")
    throw new InvalidInputError("expected bool", [...path, "required"]);
  let options: Record<string, unknown> | undefined;
  if (forUpdate) {
    const o = own(input, "options") ?? {};
    if (!isObject(o)) throw new InvalidInputError("expected a dictionary", [...path, "options"]);
    for (const key of Object.keys(o)) {
      if (key !== "fill")
        throw new InvalidInputError("extra keys not allowed", [...path, "options", key]);
    }
    options = o;
  }

  let schema: AttributeSchema;
  if (attrType === "string") {
    const minLength = intOption(input, "min_length", 0, 0, path, lengthBound);
    const maxLength = intOption(input, "max_length", 255, 1, path, lengthBound);
    if (minLength > maxLength && mode !== "existing") throw minMaxError(minLength, maxLength);
    schema = { name, type: attrType, required, minLength, maxLength };
  } else if (attrType === "number") {
    const min = realOption(input, "min", path);
    const max = realOption(input, "max", path);
    if (min !== null && max !== null && min > max && mode !== "existing")
      throw minMaxError(min, max);
    schema = { name, type: attrType, required, min, max };
  } else {
    schema = { name, type: attrType, required };
  }
  if (mode === "existing") return { schema, fill: null };
  checkAttributeName(name);

  let fill: AttributeValue | null = null;
  if (options !== undefined) {
    const rawFill = own(options, "fill");
    if (rawFill === undefined || rawFill === null) {
      if (required) throw fillError(name, "must not be empty if required=True");
    } else {
      try {
        fill = validateAttributeValue(schema, rawFill);
      } catch (error) {
        if (error instanceof AttributeValueError) throw fillError(name, error.message);
        throw error;
      }
    }
  }
  return { schema, fill };
}

function minMaxError(min: number, max: number): InvalidResourceAttributeError {
  // Gnocchi's text has two spaces before "than".
  return new InvalidResourceAttributeError(
    `Resource attribute value min (or min_length) ${pyStr(min)} must be less  than or equal to max (or max_length) ${pyStr(max)}!`,
  );
}

function fillError(name: string, reason: string): InvalidResourceAttributeError {
  return new InvalidResourceAttributeError(
    `Option 'fill' of resource attribute ${name} is invalid: ${reason}`,
  );
}

/** @throws InvalidResourceAttributeError `Resource attribute name <n> is invalid` */
export function checkAttributeName(name: string): void {
  if (codePoints(name) > 63 || RESERVED_ATTRIBUTE_NAMES.has(name) || !VALID_START.test(name)) {
    throw new InvalidResourceAttributeError(`Resource attribute name ${name} is invalid`);
  }
}

/** A value refused by an attribute's schema; the message is voluptuous'. */
export class AttributeValueError extends Error {
  override name = "AttributeValueError";
}

/**
 * Converts a resource attribute value as Gnocchi's schema does (null is
 * refused for every type, as there). Numbers also take JSON booleans as
 * 1/0, as Python's `numbers.Real` does.
 * @throws AttributeValueError
 */
export function validateAttributeValue(attr: AttributeSchema, value: unknown): AttributeValue {
  switch (attr.type) {
    case "string": {
      if (typeof value !== "string") throw new AttributeValueError("expected str");
      const n = codePoints(value);
      if (n < attr.minLength)
        throw new AttributeValueError(`length of value must be at least ${attr.minLength}`);
      if (n > attr.maxLength)
        throw new AttributeValueError(`length of value must be at most ${attr.maxLength}`);
      return value;
    }
    case "number": {
      let v: number;
      if (typeof value === "boolean") v = value ? 1 : 0;
      else if (typeof value === "number" && Number.isFinite(value)) v = value;
      else throw new AttributeValueError("expected Real");
      if (attr.min !== null && v < attr.min)
        throw new AttributeValueError(`value must be at least ${pyStr(attr.min)}`);
      if (attr.max !== null && v > attr.max)
        throw new AttributeValueError(`value must be at most ${pyStr(attr.max)}`);
      return v;
    }
    case "bool":
      if (typeof value !== "boolean") throw new AttributeValueError("expected bool");
      return value;
    case "uuid": {
      const uuid = typeof value === "string" ? parseUuid(value) : undefined;
      if (uuid === undefined) throw new AttributeValueError("badly formed hexadecimal UUID string");
      return uuid;
    }
    case "datetime": {
      try {
        return parseTimestamp(value);
      } catch (error) {
        throw new AttributeValueError(error instanceof Error ? error.message : String(error));
      }
    }
  }
}

/**
 * Validates the custom attributes of a resource body: unknown keys are
 * refused, every value converted, required ones must be present unless
 * `partial` (PATCH). Returns the converted values by attribute name.
 * @throws InvalidInputError (path `[name]`)
 */
export function validateAttributes(
  schemas: readonly AttributeSchema[],
  input: Readonly<Record<string, unknown>>,
  partial: boolean,
): Map<string, AttributeValue> {
  const byName = new Map(schemas.map((s) => [s.name, s]));
  const out = new Map<string, AttributeValue>();
  for (const [key, value] of Object.entries(input)) {
    const schema = byName.get(key);
    if (schema === undefined) throw new InvalidInputError("extra keys not allowed", [key]);
    try {
      out.set(key, validateAttributeValue(schema, value));
    } catch (error) {
      if (error instanceof AttributeValueError) throw new InvalidInputError(error.message, [key]);
      throw error;
    }
  }
  if (!partial) {
    for (const s of schemas) {
      if (s.required && !out.has(s.name))
        throw new InvalidInputError("required key not provided", [s.name]);
    }
  }
  return out;
}

/** The JSON form of an attribute schema (spec rest §7.1). */
export function attributeSchemaToJSON(attr: AttributeSchema): Record<string, unknown> {
  switch (attr.type) {
    case "string":
      return {
        type: attr.type,
        required: attr.required,
        min_length: attr.minLength,
        max_length: attr.maxLength,
      };
    case "number":
      return { type: attr.type, required: attr.required, min: attr.min, max: attr.max };
    default:
      return { type: attr.type, required: attr.required };
  }
}

/** The options stored in `resource_type_attribute.options`. */
export function attributeOptions(attr: AttributeSchema): Record<string, number | null> {
  if (attr.type === "string") return { min_length: attr.minLength, max_length: attr.maxLength };
  if (attr.type === "number") return { min: attr.min, max: attr.max };
  return {};
}

/** Rebuilds a schema from its stored row. */
export function attributeFromStored(
  name: string,
  type: AttributeType,
  required: boolean,
  options: Record<string, unknown>,
): AttributeSchema {
  if (type === "string") {
    return {
      name,
      type,
      required,
      minLength: Number(options.min_length ?? 0),
      maxLength: Number(options.max_length ?? 255),
    };
  }
  if (type === "number") {
    const num = (v: unknown) => (typeof v === "number" ? v : null);
    return { name, type, required, min: num(options.min), max: num(options.max) };
  }
  return { name, type, required };
}

/** The SQL column type of an attribute type (per-type tables, migrations.ts). */
export function attributeSqlType(type: AttributeType): string {
  switch (type) {
    case "string":
      return 'text COLLATE "C"';
    case "uuid":
      return "uuid";
    case "number":
      return "double precision";
    case "bool":
      return "boolean";
    case "datetime":
      return "timestamptz";
  }
}

/** The SQL array type to pass a column of values with `unnest` (`$1::text[]`). */
export function attributeSqlArrayType(type: AttributeType): string {
  switch (type) {
    case "string":
      return "text[]";
    case "uuid":
      return "uuid[]";
    case "number":
      return "float8[]";
    case "bool":
      return "boolean[]";
    case "datetime":
      return "timestamptz[]";
  }
}
