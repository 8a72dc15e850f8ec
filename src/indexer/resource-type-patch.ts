/**
 * The JSON Patch of `PATCH /v1/resource_type/{name}` (spec rest §7.3): the
 * operation list's schema (`add`/`remove` under `/attributes` only) and its
 * application to the type's JSON `{"name", "attributes", "state"}` with
 * python-jsonpatch's messages. Pure. Attributes are kept in a Map so that
 * names such as `123` keep their place (a JS object would move them first).
 */
import { InvalidInputError, JsonPatchError } from "./errors.js";

export interface ResourceTypePatchOperation {
  readonly op: "add" | "remove";
  readonly path: string;
  readonly value?: unknown;
}

/** The document a patch applies to. */
export interface ResourceTypeDocument {
  name: unknown;
  state: unknown;
  /** `undefined` once `/attributes` itself was removed. */
  attributes: Map<string, unknown> | undefined;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * Checks the operation list's shape.
 * @throws InvalidInputError (`expected a list`, `not a valid value` @ [i, "op"], ...)
 */
export function parseResourceTypePatch(input: unknown): ResourceTypePatchOperation[] {
  if (!Array.isArray(input)) throw new InvalidInputError("expected a list");
  return input.map((item: unknown, i) => {
    const at = String(i);
    if (!isObject(item)) throw new InvalidInputError("expected a dictionary", [at]);
    for (const key of Object.keys(item)) {
      if (key !== "op" && key !== "path" && key !== "value")
        throw new InvalidInputError("extra keys not allowed", [at, key]);
    }
    if (!Object.hasOwn(item, "op"))
      throw new InvalidInputError("required key not provided", [at, "op"]);
    const op = item.op;
    if (op !== "add" && op !== "remove")
      throw new InvalidInputError("not a valid value", [at, "op"]);
    if (!Object.hasOwn(item, "path"))
      throw new InvalidInputError("required key not provided", [at, "path"]);
    const path = item.path;
    if (typeof path !== "string") throw new InvalidInputError("expected str", [at, "path"]);
    if (!/^\/attributes(\/|$)/.test(path))
      throw new InvalidInputError("does not match regular expression", [at, "path"]);
    if (op === "add") {
      if (!Object.hasOwn(item, "value"))
        throw new InvalidInputError("required key not provided", [at, "value"]);
      if (!isObject(item.value))
        throw new InvalidInputError("expected a dictionary", [at, "value"]);
      return { op, path, value: item.value };
    }
    return { op, path };
  });
}

function unescapePointer(part: string): string {
  return part.replaceAll("~1", "/").replaceAll("~0", "~");
}

/** `/attributes/a~1b/type` → ["attributes", "a/b", "type"]. */
function pointerParts(path: string): string[] {
  return path.split("/").slice(1).map(unescapePointer);
}

function clone<T>(value: T): T {
  return structuredClone(value);
}

/**
 * Applies the operations in order to a copy of `doc`.
 * @throws JsonPatchError with python-jsonpatch's text
 */
export function applyResourceTypePatch(
  doc: ResourceTypeDocument,
  ops: readonly ResourceTypePatchOperation[],
): ResourceTypeDocument {
  const out: ResourceTypeDocument = {
    name: doc.name,
    state: doc.state,
    attributes: doc.attributes === undefined ? undefined : new Map(clone([...doc.attributes])),
  };
  for (const op of ops) {
    const [, attr, ...rest] = pointerParts(op.path);
    if (attr === undefined) {
      // The whole attributes member.
      if (op.op === "remove") {
        if (out.attributes === undefined)
          throw new JsonPatchError("can't remove a non-existent object 'attributes'");
        out.attributes = undefined;
      } else {
        out.attributes = new Map(Object.entries(clone(op.value as Record<string, unknown>)));
      }
      continue;
    }
    if (out.attributes === undefined)
      throw new JsonPatchError("member 'attributes' not found in document");
    if (rest.length === 0) {
      if (op.op === "remove") {
        if (!out.attributes.has(attr))
          throw new JsonPatchError(`can't remove a non-existent object '${attr}'`);
        out.attributes.delete(attr);
      } else {
        // A new name goes last; an existing one is replaced in place (dict assignment).
        out.attributes.set(attr, clone(op.value));
      }
      continue;
    }
    // Deeper: inside an attribute definition.
    if (!out.attributes.has(attr))
      throw new JsonPatchError(`member '${attr}' not found in document`);
    let target: unknown = out.attributes.get(attr);
    for (const part of rest.slice(0, -1)) {
      if (!isObject(target) || !Object.hasOwn(target, part))
        throw new JsonPatchError(`member '${part}' not found in document`);
      target = target[part];
    }
    const last = rest[rest.length - 1]!;
    if (!isObject(target)) throw new JsonPatchError("invalid document");
    if (op.op === "remove") {
      if (!Object.hasOwn(target, last))
        throw new JsonPatchError(`can't remove a non-existent object '${last}'`);
      delete target[last];
    } else {
      target[last] = clone(op.value);
    }
  }
  return out;
}
