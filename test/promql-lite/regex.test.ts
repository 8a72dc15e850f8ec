/**
 * RE2 syntax on JavaScript's RegExp (label matchers and label_replace), Go's
 * Regexp.Expand templates, and the in-memory source keeping sample bits.
 */
import { describe, expect, it } from "vitest";
import { compileLabelRegex } from "../../src/indexer/label-index.js";
import {
  instantQuery,
  isStaleAt,
  MemorySeriesSource,
  STALE_NAN,
  toPrometheusData,
} from "../../src/promql-lite/index.js";
import { compileAnchoredRE2, expandTemplate, translateRE2 } from "../../src/promql-lite/regex.js";

describe("translateRE2", () => {
  const matches = (re: string, value: string) => compileLabelRegex(translateRE2(re)).test(value);

  it("scopes case-insensitivity like RE2", () => {
    expect(matches("(?i:pro)duction", "PROduction")).toBe(true);
    expect(matches("(?i:pro)duction", "PRODUCTION")).toBe(false);
    expect(matches("a((?i)bc)d", "aBCd")).toBe(true);
    expect(matches("a((?i)bc)d", "aBCD")).toBe(false);
    expect(matches("x(?i)yz", "xYZ")).toBe(true);
    expect(matches("(?i)[a-c]+", "AbC")).toBe(true);
    expect(matches("(?i:x)", "y")).toBe(false);
  });

  it("handles RE2-only constructs", () => {
    expect(matches(String.raw`\Qa.b\E`, "a.b")).toBe(true);
    expect(matches(String.raw`\Qa.b\E`, "axb")).toBe(false);
    expect(matches("[[:digit:]]+", "123")).toBe(true);
    expect(matches("[[:alpha:]_]+", "ab_c")).toBe(true);
    expect(matches("[[:alpha:]]+", "a1")).toBe(false);
    expect(compileAnchoredRE2("(?P<host>[a-z]+):(?P<port>[0-9]+)").exec("db:5432")?.groups).toEqual(
      {
        host: "db",
        port: "5432",
      },
    );
  });

  it("refuses what RE2 refuses", () => {
    expect(() => translateRE2("(?=x)")).toThrow();
    expect(() => translateRE2(String.raw`(a)\1`)).toThrow();
    expect(() => translateRE2("(?z)x")).toThrow();
  });

  it("leaves plain patterns alone", () => {
    expect(translateRE2("foo|bar.*")).toBe("foo|bar.*");
  });
});

describe("expandTemplate (Go's Regexp.Expand)", () => {
  const m = /^(?<first>a+)(b*)$/.exec("aab")!;
  it.each([
    ["$1-$2", "aa-b"],
    // biome-ignore lint/suspicious/noTemplateCurlyInString: Go template syntax under test
    ["${1}x", "aax"],
    ["$1x", ""],
    ["$first", "aa"],
    // biome-ignore lint/suspicious/noTemplateCurlyInString: Go template syntax under test
    ["${first}s", "aas"],
    ["$$1", "$1"],
    ["$9", ""],
    ["cost: $", "cost: $"],
  ])("%s → %s", (template, expected) => {
    expect(expandTemplate(template, m)).toBe(expected);
  });
});

describe("label_replace", () => {
  it("sets, overwrites and removes labels from capture groups", async () => {
    const s = new MemorySeriesSource();
    s.append({ __name__: "up", instance: "db-1:9100" }, 0, 1);
    const result = async (q: string) => {
      const d = toPrometheusData(await instantQuery(s, q, 0));
      return d.resultType === "vector" ? d.result.map((x) => x.metric) : d;
    };
    expect(await result('label_replace(up, "host", "$1", "instance", "(.*):.*")')).toEqual([
      { __name__: "up", instance: "db-1:9100", host: "db-1" },
    ]);
    expect(await result('label_replace(up, "instance", "", "instance", ".*")')).toEqual([
      { __name__: "up" },
    ]);
    expect(await result('label_replace(up, "x", "y", "instance", "nomatch")')).toEqual([
      { __name__: "up", instance: "db-1:9100" },
    ]);
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a PromQL replacement template
    expect(await result('label_replace(up, "h", "${h}", "instance", "(?P<h>[a-z]+)-.*")')).toEqual([
      { __name__: "up", instance: "db-1:9100", h: "db" },
    ]);
    await expect(
      instantQuery(s, 'label_replace(up, "a-b", "", "instance", ".*")', 0),
    ).rejects.toMatchObject({
      type: "execution",
      message: "invalid destination label name in label_replace(): a-b",
    });
  });
});

describe("MemorySeriesSource", () => {
  it("keeps staleness markers' bits, orders out-of-order appends and replaces duplicates", () => {
    const s = new MemorySeriesSource();
    const labels = { __name__: "x" };
    s.append(labels, 20, 2);
    s.append(labels, 10, 1);
    s.append(labels, 30, STALE_NAN);
    s.append(labels, 20, 5);
    s.append(labels, 40, Number.NaN);
    const [d] = s.select([{ name: "__name__", op: "=", value: "x" }], 0, 100);
    expect([...d!.timestamps]).toEqual([10, 20, 30, 40]);
    expect([...d!.values].slice(0, 2)).toEqual([1, 5]);
    expect(isStaleAt(d!.values, 2)).toBe(true);
    expect(isStaleAt(d!.values, 3)).toBe(false);
    expect(s.select([{ name: "__name__", op: "=", value: "x" }], 15, 35)[0]!.timestamps).toEqual(
      Float64Array.of(20, 30),
    );
    expect(s.select([{ name: "job", op: "=", value: "" }], 0, 100)).toHaveLength(1);
    expect(s.select([{ name: "__name__", op: "!~", value: "x|y" }], 0, 100)).toHaveLength(0);
  });
});

describe("MemorySeriesSource at real-world times", () => {
  it("includes a sample exactly at maxt", () => {
    const s = new MemorySeriesSource();
    const t = 1_700_000_000_000;
    s.append({ __name__: "x" }, t, 1);
    expect(s.select([{ name: "__name__", op: "=", value: "x" }], t - 1000, t)).toHaveLength(1);
  });
});
