import { describe, expect, it } from "vitest";
import { InvalidInputError, InvalidResourceAttributeError } from "../../src/indexer/errors.js";
import {
  parseAttributeSchema,
  validateAttributes,
  validateAttributeValue,
} from "../../src/indexer/resource-type-schema.js";

const err = (fn: () => unknown): Error => {
  try {
    fn();
  } catch (e) {
    return e as Error;
  }
  throw new Error("did not throw");
};

describe("parseAttributeSchema", () => {
  it("applies the defaults of spec rest §7.2", () => {
    expect(parseAttributeSchema("foobar", { type: "string" }).schema).toEqual({
      name: "foobar",
      type: "string",
      required: true,
      minLength: 0,
      maxLength: 255,
    });
    expect(parseAttributeSchema("n", { type: "number", required: false, max: 3 }).schema).toEqual({
      name: "n",
      type: "number",
      required: false,
      min: null,
      max: 3,
    });
  });

  it("checks names as Gnocchi does (only the first character is anchored)", () => {
    expect(parseAttributeSchema("new-optional-bool", { type: "bool" }).schema.name).toBe(
      "new-optional-bool",
    );
    for (const bad of ["project_id", "creator", "id", "_x", "-x", "", "x".repeat(64)]) {
      const e = err(() => parseAttributeSchema(bad, { type: "bool" }));
      expect(e).toBeInstanceOf(InvalidResourceAttributeError);
      expect(e.message).toBe(`Invalid input: Resource attribute name ${bad} is invalid`);
    }
    expect(parseAttributeSchema("x".repeat(63), { type: "bool" }).schema.type).toBe("bool");
  });

  it("refuses min > max with Gnocchi's text, before the name check", () => {
    expect(
      err(() => parseAttributeSchema("name", { type: "string", min_length: 5, max_length: 2 }))
        .message,
    ).toBe(
      "Invalid input: Resource attribute value min (or min_length) 5 must be less  than or equal to max (or max_length) 2!",
    );
    expect(
      err(() => parseAttributeSchema("id", { type: "number", min: 8, max: 3 })).message,
    ).toContain("min (or min_length) 8 must be less");
  });

  it("refuses bad shapes as invalid input with a path", () => {
    const e = err(() => parseAttributeSchema("foo", { type: "string", noexist: "foo" }));
    expect(e).toBeInstanceOf(InvalidInputError);
    expect((e as InvalidInputError).path).toEqual(["attributes", "foo", "noexist"]);
    expect(e.message).toMatch(/^Invalid input: extra keys not allowed/);
    expect(err(() => parseAttributeSchema("foo", { type: "notexist" }))).toBeInstanceOf(
      InvalidInputError,
    );
    expect(
      err(() => parseAttributeSchema("foo", { type: "string", max_length: 256 })).message,
    ).toContain("value must be at most 255");
    expect(err(() => parseAttributeSchema("foo", { type: "bool", options: {} }))).toBeInstanceOf(
      InvalidInputError,
    );
  });

  it("checks fill on PATCH add", () => {
    expect(
      err(() =>
        parseAttributeSchema("missing", { type: "bool", required: true, options: {} }, "add"),
      ).message,
    ).toBe(
      "Invalid input: Option 'fill' of resource attribute missing is invalid: must not be empty if required=True",
    );
    expect(
      err(() =>
        parseAttributeSchema(
          "incorrect",
          { type: "number", required: true, options: { fill: "a-string" } },
          "add",
        ),
      ).message,
    ).toBe(
      "Invalid input: Option 'fill' of resource attribute incorrect is invalid: expected Real",
    );
    expect(
      parseAttributeSchema(
        "d",
        { type: "datetime", options: { fill: "2017-10-10T10:10:10Z" } },
        "add",
      ).fill,
    ).toBe(Date.UTC(2017, 9, 10, 10, 10, 10) * 1000);
    expect(
      parseAttributeSchema(
        "u",
        { type: "uuid", options: { fill: "{0000000000000000000000000000000A}" } },
        "add",
      ).fill,
    ).toBe("00000000-0000-0000-0000-00000000000a");
    expect(
      parseAttributeSchema("o", { type: "string", required: false, options: {} }, "add").fill,
    ).toBeNull();
  });
});

describe("validateAttributeValue / validateAttributes", () => {
  const name = parseAttributeSchema("name", {
    type: "string",
    min_length: 2,
    max_length: 5,
  }).schema;
  const uuid = parseAttributeSchema("uuid", { type: "uuid" }).schema;
  const int = parseAttributeSchema("int", {
    type: "number",
    required: false,
    min: -2,
    max: 3,
  }).schema;
  const flag = parseAttributeSchema("flag", { type: "bool", required: false }).schema;

  it("converts values and uses voluptuous' messages", () => {
    expect(validateAttributeValue(int, true)).toBe(1);
    expect(validateAttributeValue(uuid, "E495EBAD-BE64-46C0-81D6-B079BEB48DF9")).toBe(
      "e495ebad-be64-46c0-81d6-b079beb48df9",
    );
    expect(
      err(() => validateAttributes([name, uuid], { name: "toolong!!!", uuid: "x" }, false)).message,
    ).toBe("Invalid input: length of value must be at most 5 for dictionary value @ data['name']");
    expect(
      err(() => validateAttributes([name, uuid], { name: "too", uuid: "really!" }, false)).message,
    ).toBe(
      "Invalid input: badly formed hexadecimal UUID string for dictionary value @ data['uuid']",
    );
    expect(err(() => validateAttributes([int], { int: 4 }, true)).message).toContain(
      "value must be at most 3",
    );
    expect(err(() => validateAttributes([flag], { flag: 1 }, true)).message).toContain(
      "expected bool",
    );
    expect(err(() => validateAttributes([name], { name: null }, true)).message).toContain(
      "expected str",
    );
    expect(err(() => validateAttributes([name], { other: 1 }, true)).message).toContain(
      "extra keys not allowed",
    );
    expect(err(() => validateAttributes([name, uuid], { name: "ab" }, false)).message).toBe(
      "Invalid input: required key not provided for dictionary value @ data['uuid']",
    );
    expect(validateAttributes([name, uuid], { name: "ab" }, true).get("name")).toBe("ab");
    // Lengths count code points.
    expect(
      validateAttributeValue(name, "\u{1F600}\u{1F600}\u{1F600}\u{1F600}\u{1F600}"),
    ).toHaveLength(10);
  });
});
