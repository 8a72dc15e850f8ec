import { describe, expect, it } from "vitest";
import { wildcardToRegExp } from "../../src/carbonara/archive-policy-rule.js";

// The indexer matches rules with Carbonara's wildcardToRegExp; these cases were
// checked against Python's fnmatch.fnmatchcase.
const m = (pattern: string, name: string) => wildcardToRegExp(pattern).test(name);

describe("rule pattern wildcards as the indexer uses them (Python fnmatchcase parity)", () => {
  it("matches * and ? over the whole name", () => {
    expect(m("*", "")).toBe(true);
    expect(m("*", "anything.at.all")).toBe(true);
    expect(m("disk.*", "disk.io")).toBe(true);
    expect(m("disk.*", "disk.")).toBe(true);
    expect(m("disk.*", "xdisk.io")).toBe(false);
    expect(m("disk.*", "disk")).toBe(false);
    expect(m("cpu.?", "cpu.1")).toBe(true);
    expect(m("cpu.?", "cpu.10")).toBe(false);
    expect(m("a*b*c", "a-x-b-y-c")).toBe(true);
    expect(m("*\n", "line\n")).toBe(true);
    expect(m("?", "\u{1F600}")).toBe(true);
  });

  it("is case-sensitive and treats regex characters literally", () => {
    expect(m("Disk.*", "disk.io")).toBe(false);
    expect(m("a.b", "axb")).toBe(false);
    expect(m("a+b(c)|d$^{2}\\", "a+b(c)|d$^{2}\\")).toBe(true);
    expect(m("a-b/c", "a-b/c")).toBe(true);
  });

  it("handles [seq], [!seq], ranges and odd brackets", () => {
    expect(m("cpu[0-3]", "cpu2")).toBe(true);
    expect(m("cpu[0-3]", "cpu4")).toBe(false);
    expect(m("cpu[!0-3]", "cpu4")).toBe(true);
    expect(m("cpu[!0-3]", "cpu1")).toBe(false);
    expect(m("[]]", "]")).toBe(true);
    expect(m("[!]]", "a")).toBe(true);
    expect(m("[!]]", "]")).toBe(false);
    expect(m("[a-]", "-")).toBe(true);
    expect(m("[-a]", "-")).toBe(true);
    expect(m("[^a]", "^")).toBe(true);
    expect(m("[^a]", "b")).toBe(false);
    expect(m("[\\]", "\\")).toBe(true);
    expect(m("[", "[")).toBe(true);
    expect(m("a[b", "a[b")).toBe(true);
    expect(m("[z-a]", "m")).toBe(false);
    expect(m("[!z-a]", "m")).toBe(true);
  });
});
