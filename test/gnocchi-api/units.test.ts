/** Pure helpers of the API: the Python-style JSON, Accept negotiation, voluptuous texts, quoting, auth. */
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { basicAuthUser } from "../../src/gnocchi-api/auth.js";
import { pythonFloat, pythonJson } from "../../src/gnocchi-api/json.js";
import { acceptsGzip, acceptsJson, prefersJsonErrors } from "../../src/gnocchi-api/negotiation.js";
import { isAllowed } from "../../src/gnocchi-api/policy.js";
import { pythonQuote } from "../../src/gnocchi-api/urls.js";
import { voluptuousError } from "../../src/gnocchi-api/validation.js";

describe("pythonJson", () => {
  it("uses Python's separators and non-finite tokens", () => {
    expect(pythonJson({ name: "medium", points: 20, list: [1, "a", null] })).toBe(
      '{"name": "medium", "points": 20, "list": [1, "a", null]}',
    );
    expect(pythonJson([Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY])).toBe(
      "[NaN, Infinity, -Infinity]",
    );
    expect(pythonJson([pythonFloat(60), pythonFloat(0.5), pythonFloat(Number.NaN)])).toBe(
      "[60.0, 0.5, NaN]",
    );
    expect(pythonJson({ a: undefined, b: 1 })).toBe('{"b": 1}');
    expect(pythonJson({})).toBe("{}");
    expect(pythonJson([])).toBe("[]");
    expect(pythonJson(new Float64Array([1.5, 2]))).toBe("[1.5, 2]");
    expect(pythonJson('quote " and ✔')).toBe('"quote \\" and ✔"');
  });
});

describe("Accept negotiation", () => {
  it.each([
    [undefined, true],
    ["*/*", true],
    ["application/json", true],
    ["text/plain", false],
    ["text/html", false],
    ["text/plain, application/json; q=0.8", true],
    ["application/*", true],
    ["application/json; q=0", false],
  ])("acceptsJson(%s) = %s", (accept, ok) => expect(acceptsJson(accept)).toBe(ok));

  it.each([
    [undefined, false],
    ["*/*", false],
    ["application/json", true],
    ["text/plain, application/json", false],
    ["text/plain; q=0.5, application/json", true],
    ["image/png", false],
  ])("prefersJsonErrors(%s) = %s", (accept, json) => expect(prefersJsonErrors(accept)).toBe(json));

  it.each([
    [undefined, false],
    ["", false],
    ["identity", false],
    ["gzip, deflate", true], // python-requests
    ["gzip", true], // Go's net/http
    ["GZIP;Q=0.5", true],
    ["x-gzip", true],
    ["gzip;q=0", false],
    ["gzip;q=0, *", false],
    ["*", true],
    ["*;q=0", false],
    ["deflate, br", false],
    ["br, gzip;q=0.1", true],
  ])("acceptsGzip(%s) = %s", (header, ok) => expect(acceptsGzip(header)).toBe(ok));
});

describe("voluptuous texts", () => {
  const schema = z.strictObject({
    name: z.string(),
    definition: z.array(z.strictObject({ points: z.number().min(1).optional() })).min(1),
  });
  const first = (data: unknown) => {
    const r = schema.safeParse(data);
    if (r.success) throw new Error("valid");
    return voluptuousError(r.error.issues[0]!, data);
  };
  it("formats reasons and paths", () => {
    expect(first({ name: "a", definition: [{ points: 0 }] })).toEqual({
      reason: "value must be at least 1 for dictionary value @ data['definition'][0]['points']",
      path: ["definition", 0, "points"],
    });
    expect(first({ name: 1, definition: [{}] }).reason).toBe(
      "expected str for dictionary value @ data['name']",
    );
    expect(first({ definition: [{}] }).reason).toBe("required key not provided @ data['name']");
    expect(first("x").reason).toBe("expected a dictionary");
    expect(first({ name: "a", definition: ["x"] }).reason).toBe(
      "expected a dictionary @ data['definition'][0]",
    );
  });
});

describe("helpers", () => {
  it("quotes like urllib.parse.quote", () => {
    expect(pythonQuote("/v1/archive_policy/✔éñ☃")).toBe(
      "/v1/archive_policy/%E2%9C%94%C3%A9%C3%B1%E2%98%83",
    );
    expect(pythonQuote("/a b?c=d&e~f")).toBe("/a%20b%3Fc%3Dd%26e~f");
  });

  it("reads Basic credentials", () => {
    expect(basicAuthUser("basic Zm9vYmFyOg==")).toBe("foobar");
    expect(basicAuthUser("Basic YWRtaW46")).toBe("admin");
    expect(basicAuthUser("")).toBeUndefined();
    expect(basicAuthUser(undefined)).toBeUndefined();
    expect(basicAuthUser("Bearer abc")).toBeUndefined();
    expect(basicAuthUser(`basic ${Buffer.from("nocolon").toString("base64")}`)).toBeUndefined();
  });

  it("applies the policy rules", () => {
    const user = { user: "foobar", roles: [] };
    const adminUser = { user: "admin", roles: ["admin"] };
    expect(isAllowed(user, "get status")).toBe(false);
    expect(isAllowed(adminUser, "get status")).toBe(true);
    expect(isAllowed(user, "delete metric", { creator: "foobar" })).toBe(true);
    expect(isAllowed(user, "delete metric", { creator: "other" })).toBe(false);
    expect(
      isAllowed({ user: "u:p", roles: [], projectId: "p" }, "get metric", {
        resource: { project_id: "p" },
      }),
    ).toBe(true);
    expect(isAllowed({ user: "x", roles: ["ADMIN"] }, "create archive policy")).toBe(true);
  });
});
