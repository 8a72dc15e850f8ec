import { describe, expect, it } from "vitest";
import { InvalidFilterError, InvalidSearchInputError } from "../../src/indexer/errors.js";
import { resourceIdFromInput } from "../../src/indexer/resource-id.js";
import {
  parseJsonFilter,
  parseStringFilter,
  stringFilterToJson,
} from "../../src/indexer/search-filter.js";
import { HOSTILE_STRINGS } from "./hostile.js";

const opts = { creator: "foobar" };

function inputError(input: unknown): InvalidSearchInputError {
  try {
    parseJsonFilter(input, opts);
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidSearchInputError);
    return error as InvalidSearchInputError;
  }
  throw new Error("expected an error");
}

describe("JSON filter validation", () => {
  it("accepts every operator and normalizes aliases", () => {
    expect(parseJsonFilter({}, opts)).toBeNull();
    expect(parseJsonFilter({ eq: { user_id: "a" } }, opts)).toEqual({
      kind: "compare",
      op: "=",
      attribute: "user_id",
      value: "a",
    });
    for (const [alias, op] of [
      ["==", "="],
      ["≠", "!="],
      ["ne", "!="],
      ["≤", "<="],
      ["le", "<="],
      ["≥", ">="],
      ["ge", ">="],
      ["lt", "<"],
      ["gt", ">"],
    ] as const) {
      expect(parseJsonFilter({ [alias]: { size: 1 } }, opts)).toMatchObject({ op });
    }
    expect(parseJsonFilter({ "∨": [{ "=": { a: 1 } }, { like: { b: "x%" } }] }, opts)).toEqual({
      kind: "or",
      children: [
        { kind: "compare", op: "=", attribute: "a", value: 1 },
        { kind: "like", attribute: "b", value: "x%" },
      ],
    });
    expect(parseJsonFilter({ not: { in: { a: [1, "b", null, true] } } }, opts)).toEqual({
      kind: "not",
      child: { kind: "in", attribute: "a", values: [1, "b", null, true] },
    });
    expect(parseJsonFilter({ and: [{}] }, opts)).toEqual({
      kind: "and",
      children: [{ kind: "empty" }],
    });
  });

  it("converts id values as resource ids with the caller as creator", () => {
    const uuid = "75C44741-CC60-4033-804E-2D3098C7D2E9";
    expect(parseJsonFilter({ "=": { id: uuid } }, opts)).toMatchObject({
      value: uuid.toLowerCase(),
    });
    expect(parseJsonFilter({ in: { id: ["foobar"] } }, opts)).toMatchObject({
      values: [resourceIdFromInput("foobar", "foobar")],
    });
    const e = inputError({ "=": { id: "a/b" } });
    expect(e.description.reason).toBe(
      "'/' is not supported in resource id for dictionary value @ data['=']['id']",
    );
    expect(e.description.detail).toEqual(["=", "id"]);
  });

  it("reports Gnocchi's schema errors", () => {
    const cases: [unknown, string, string[]][] = [
      [{ and: { a: 1 } }, "expected a list for dictionary value @ data['and']", ["and"]],
      [{ ne: { a: [1] } }, "expected str for dictionary value @ data['ne']['a']", ["ne", "a"]],
      [{ like: { id: "x" } }, "extra keys not allowed @ data['like']['id']", ["like", "id"]],
      [
        { in: { a: [] } },
        "length of value must be at least 1 for dictionary value @ data['in']['a']",
        ["in", "a"],
      ],
      [{ in: { a: "x" } }, "expected a list for dictionary value @ data['in']['a']", ["in", "a"]],
      [{ foo: { a: 1 } }, "extra keys not allowed @ data['foo']", ["foo"]],
      [{ "=": { a: 1 }, "<": { a: 1 } }, "length of value must be at most 1", []],
      [
        { "=": { a: 1, b: 2 } },
        "length of value must be at most 1 for dictionary value @ data['=']",
        ["="],
      ],
      [{ "=": {} }, "length of value must be at least 1 for dictionary value @ data['=']", ["="]],
      [{ or: [] }, "length of value must be at least 1 for dictionary value @ data['or']", ["or"]],
      [
        { or: [{ "=": { a: {} } }] },
        "expected str for dictionary value @ data['or'][0]['=']['a']",
        ["or", "0", "=", "a"],
      ],
      [[1, 2], "length of value must be at most 1", []],
      ["x", "expected a dictionary", []],
    ];
    for (const [input, reason, detail] of cases) {
      const e = inputError(input);
      expect(e.description).toEqual({ cause: "Invalid input", reason, detail });
      expect(e.message).toBe(`Invalid input: ${reason}`);
    }
  });
});

describe("string filter", () => {
  it("converts to the JSON form", () => {
    expect(stringFilterToJson(`user_id = 'abc' and started_at >= "2010-01-01"`)).toEqual({
      and: [{ "=": { user_id: "abc" } }, { ">=": { started_at: "2010-01-01" } }],
    });
    expect(stringFilterToJson("a=1 or b != null and not c like 'x%'")).toEqual({
      or: [{ "=": { a: 1 } }, { and: [{ "!=": { b: null } }, { not: { like: { c: "x%" } } }] }],
    });
    expect(stringFilterToJson("(a = 1 or b = 2) and c in [1, 'x', true, None]")).toEqual({
      and: [{ or: [{ "=": { a: 1 } }, { "=": { b: 2 } }] }, { in: { c: [1, "x", true, null] } }],
    });
    expect(stringFilterToJson("id = 6e0f5d28-0b3e-4e8b-9a2e-3d6f2c9b1a77")).toEqual({
      "=": { id: "6e0f5d28-0b3e-4e8b-9a2e-3d6f2c9b1a77" },
    });
    expect(stringFilterToJson("id = 6e0f5d280b3e4e8b9a2e3d6f2c9b1a77")).toEqual({
      "=": { id: "6e0f5d280b3e4e8b9a2e3d6f2c9b1a77" },
    });
    expect(stringFilterToJson("a ≥ 2 ∧ b ≠ -1.5e3 ∨ c ≤ +4")).toEqual({
      "∨": [{ "∧": [{ "≥": { a: 2 } }, { "≠": { b: -1500 } }] }, { "≤": { c: 4 } }],
    });
    expect(stringFilterToJson("notable = nonesuch")).toEqual({ "=": { notable: "nonesuch" } });
    expect(stringFilterToJson("name = 'and'")).toEqual({ "=": { name: "and" } });
    expect(stringFilterToJson("not not a = 1")).toEqual({ not: { not: { "=": { a: 1 } } } });
  });

  it("fails like Gnocchi: `==`, garbage, unbalanced", () => {
    for (const text of [
      "id == 5",
      "a = ",
      "= 5",
      "(a = 1",
      "a = 1 and",
      "a = 1 b = 2",
      "a = 'x\ny'",
      "",
      "a = [1,",
      "a = 'unterminated",
    ]) {
      expect(() => parseStringFilter(text, opts), text).toThrow(InvalidFilterError);
      try {
        parseStringFilter(text, opts);
      } catch (error) {
        expect((error as Error).message).toMatch(/^Invalid filter: Expected /);
      }
    }
  });

  it("validates the converted filter", () => {
    expect(() => parseStringFilter("a in []", opts)).toThrow(
      "Invalid input: length of value must be at least 1",
    );
    expect(() => parseStringFilter("a = [1]", opts)).toThrow("Invalid input: expected str");
    expect(() => parseStringFilter("5 = 5", opts)).toThrow("Invalid input: extra keys not allowed");
    expect(() => parseStringFilter("id like 'x'", opts)).toThrow(
      "Invalid input: extra keys not allowed",
    );
  });

  it("keeps hostile quoted values verbatim", () => {
    for (const s of HOSTILE_STRINGS) {
      const quote = s.includes("'") ? '"' : "'";
      if (s.includes(quote) || /[\r\n]/.test(s)) {
        expect(() => parseStringFilter(`a = ${quote}${s}${quote}`, opts)).toThrow();
        continue;
      }
      expect(parseStringFilter(`a = ${quote}${s}${quote}`, opts)).toEqual({
        kind: "compare",
        op: "=",
        attribute: "a",
        value: s,
      });
    }
  });
});
