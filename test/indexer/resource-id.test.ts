import { describe, expect, it } from "vitest";
import { InvalidResourceIdError } from "../../src/indexer/errors.js";
import {
  parseUuid,
  RESOURCE_ID_NAMESPACE,
  resourceIdFromInput,
  uuid5,
} from "../../src/indexer/resource-id.js";

describe("resource id derivation (spec rest §0.9)", () => {
  it("derives the spec's examples", () => {
    expect(resourceIdFromInput("foobar", "foobar")).toBe("2fbfbb20-8d56-5e1e-afb9-b3007da11fdf");
    expect(resourceIdFromInput("1.2.3.4", "foobar")).toBe("a9c729cc-d1b0-5e6b-b5ba-8b5a7f45f1fc");
    expect(resourceIdFromInput("foobar", "admin")).toBe("b4d568e4-7af1-5aec-ac3f-9c09fa3685a9");
  });

  it("scopes derived ids by creator, a null creator being NUL", () => {
    expect(resourceIdFromInput("foobar", null)).toBe(
      uuid5(RESOURCE_ID_NAMESPACE, "foobar\u0000\u0000"),
    );
    expect(resourceIdFromInput("foobar", null)).not.toBe(resourceIdFromInput("foobar", ""));
    expect(resourceIdFromInput("foobar", "u:p")).not.toBe(resourceIdFromInput("foobar", "u:q"));
  });

  it("keeps UUIDs in any of Python's spellings, normalized, whoever asks", () => {
    const id = "5b7ebe90-4ad2-4c83-ad2c-f6344884ab70";
    for (const spelling of [
      id,
      id.toUpperCase(),
      id.replaceAll("-", ""),
      `{${id}}`,
      `urn:uuid:${id}`,
      `URN:UUID:${id}`.replace("URN:UUID:", "urn:uuid:"),
      "5b7e-be90-4ad24c83ad2cf6344884ab70",
      `{{${id}}}`,
    ]) {
      expect(resourceIdFromInput(spelling, "someone")).toBe(id);
      expect(resourceIdFromInput(spelling, null)).toBe(id);
    }
  });

  it("transforms strings that only look like UUIDs", () => {
    for (const v of [
      "5b7ebe90-4ad2-4c83-ad2c-f6344884ab7",
      "5b7ebe90-4ad2-4c83-ad2c-f6344884ab70a",
      "g".repeat(32),
      "",
    ]) {
      expect(parseUuid(v)).toBeUndefined();
      expect(resourceIdFromInput(v, "x")).toMatch(
        /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
      );
    }
  });

  it("refuses '/' before anything else", () => {
    for (const v of ["a/b", "/", "5b7ebe90-4ad2-4c83-ad2c-f6344884ab70/"]) {
      const call = () => resourceIdFromInput(v, "x");
      expect(call).toThrow(InvalidResourceIdError);
      expect(call).toThrow("'/' is not supported in resource id");
    }
  });

  it("accepts up to 255 characters, counted as code points", () => {
    expect(() => resourceIdFromInput("a".repeat(255), "x")).not.toThrow();
    expect(() => resourceIdFromInput("\u{1F600}".repeat(255), "x")).not.toThrow(); // 510 UTF-16 units
    for (const v of ["a".repeat(256), "\u{1F600}".repeat(256)]) {
      const call = () => resourceIdFromInput(v, "x");
      expect(call).toThrow(InvalidResourceIdError);
      expect(call).toThrow("transformable resource id >255 max allowed characters");
    }
  });

  it("computes standard UUIDv5 values", () => {
    // RFC 4122 appendix example namespace (DNS) and Python's uuid.uuid5(NAMESPACE_DNS, "python.org").
    expect(uuid5("6ba7b810-9dad-11d1-80b4-00c04fd430c8", "python.org")).toBe(
      "886313e1-3b8a-5372-9b90-0c9aee199e5d",
    );
    // Non-ASCII names are hashed as UTF-8.
    expect(resourceIdFromInput("✔éñ☃", "foobar")).toBe(
      uuid5(RESOURCE_ID_NAMESPACE, "✔éñ☃\u0000foobar"),
    );
  });
});
