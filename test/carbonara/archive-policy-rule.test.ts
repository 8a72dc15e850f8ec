import { describe, expect, it } from "vitest";
import {
  type ArchivePolicyRule,
  archivePolicyRuleToJSON,
  DEFAULT_ARCHIVE_POLICY_RULE,
  matchArchivePolicyRule,
  sortArchivePolicyRules,
  wildcardToRegExp,
} from "../../src/carbonara/archive-policy-rule.js";
import { compareCodePoints } from "../../src/carbonara/code-points.js";
import { NoArchivePolicyRuleMatchError } from "../../src/carbonara/errors.js";

const rule = (
  name: string,
  metricPattern: string,
  archivePolicyName = "low",
): ArchivePolicyRule => ({
  name,
  metricPattern,
  archivePolicyName,
});

describe("sortArchivePolicyRules", () => {
  it("orders disk.io.* before disk.* before *", () => {
    const rules = [rule("all", "*"), rule("disk", "disk.*"), rule("io", "disk.io.*")];
    expect(sortArchivePolicyRules(rules).map((r) => r.metricPattern)).toEqual([
      "disk.io.*",
      "disk.*",
      "*",
    ]);
  });

  it("breaks pattern ties by name ascending", () => {
    const rules = [rule("b", "x*"), rule("a", "x*"), rule("c", "y")];
    expect(sortArchivePolicyRules(rules).map((r) => r.name)).toEqual(["c", "a", "b"]);
  });

  it("compares by code point, not by UTF-16 unit", () => {
    // U+1F600 is above U+FFFD, though its first UTF-16 unit (0xD83D) is below.
    expect(compareCodePoints("😀", "\uFFFD")).toBeGreaterThan(0);
    expect("😀" < "\uFFFD").toBe(true);
    expect(
      sortArchivePolicyRules([rule("a", "\uFFFD"), rule("b", "😀")]).map((r) => r.name),
    ).toEqual(["b", "a"]);
    expect(compareCodePoints("ab", "a")).toBeGreaterThan(0);
    expect(compareCodePoints("a", "a")).toBe(0);
  });

  it("does not reorder its input", () => {
    const rules = [rule("a", "a"), rule("b", "b")];
    sortArchivePolicyRules(rules);
    expect(rules.map((r) => r.name)).toEqual(["a", "b"]);
  });
});

describe("wildcardToRegExp (Python fnmatch)", () => {
  it.each<[string, string, boolean]>([
    ["*", "", true],
    ["*", "anything at all", true],
    ["disk.*", "disk.io.read", true],
    ["disk.*", "disk", false],
    ["disk.*", "diskXio", false],
    ["disk.*", "Disk.io", false],
    ["cpu?", "cpu0", true],
    ["cpu?", "cpu", false],
    ["cpu?", "cpu10", false],
    ["cpu?", "cpu😀", true],
    ["cpu[0-3]", "cpu2", true],
    ["cpu[0-3]", "cpu4", false],
    ["cpu[!0-3]", "cpu4", true],
    ["cpu[!0-3]", "cpu2", false],
    ["[abc]x", "bx", true],
    ["[]]", "]", true],
    ["[!]]", "a", true],
    ["[!]]", "]", false],
    ["[a-]", "-", true],
    ["[-a]", "-", true],
    ["[^a]", "^", true],
    ["[^a]", "b", false],
    ["[\\]", "\\", true],
    ["[z-a]", "m", false],
    ["[", "[", true],
    ["[!", "[!", true],
    ["a[b", "a[b", true],
    ["a.b", "aXb", false],
    ["a+b", "a+b", true],
    ["(x)|{y}$^", "(x)|{y}$^", true],
    ["a\\*", "a\\xyz", true],
    ["a/b", "a/b", true],
    ["*", "line\nbreak", true],
    ["mem*used", "memory.used", true],
    ["mem*used", "memory.used.total", false],
  ])("%j vs %j → %s", (pattern, name, expected) => {
    expect(wildcardToRegExp(pattern).test(name)).toBe(expected);
  });
});

describe("matchArchivePolicyRule", () => {
  const rules = [
    rule("default", "*", "low"),
    rule("disk", "disk.*", "medium"),
    rule("disk-io", "disk.io.*", "high"),
  ];

  it("takes the first match in listing order", () => {
    expect(matchArchivePolicyRule(rules, "disk.io.read").archivePolicyName).toBe("high");
    expect(matchArchivePolicyRule(rules, "disk.usage").archivePolicyName).toBe("medium");
    expect(matchArchivePolicyRule(rules, "cpu").archivePolicyName).toBe("low");
  });

  it("follows reverse code-point order, not the longest pattern", () => {
    const exotic = [rule("long", "a*b*c*", "long"), rule("short", "ab*", "short")];
    expect(matchArchivePolicyRule(exotic, "abc").name).toBe("short");
  });

  it("matches a null name as the empty string", () => {
    expect(matchArchivePolicyRule(rules, null).name).toBe("default");
    expect(matchArchivePolicyRule([DEFAULT_ARCHIVE_POLICY_RULE], null).archivePolicyName).toBe(
      "low",
    );
  });

  it("throws the Gnocchi message when nothing matches", () => {
    const diskOnly = [rule("disk", "disk.*")];
    expect(() => matchArchivePolicyRule(diskOnly, "cpu.util")).toThrow(
      new NoArchivePolicyRuleMatchError("cpu.util"),
    );
    expect(() => matchArchivePolicyRule(diskOnly, "cpu.util")).toThrow(
      "No archive policy name specified and no archive policy rule found matching the metric name cpu.util",
    );
    expect(() => matchArchivePolicyRule([], null)).toThrow(
      "No archive policy name specified and no archive policy rule found matching the metric name None",
    );
  });
});

describe("DEFAULT_ARCHIVE_POLICY_RULE", () => {
  it("sends everything to low", () => {
    expect(archivePolicyRuleToJSON(DEFAULT_ARCHIVE_POLICY_RULE)).toEqual({
      name: "default",
      metric_pattern: "*",
      archive_policy_name: "low",
    });
  });
});
