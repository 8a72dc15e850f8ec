import { describe, expect, it } from "vitest";
import { NoArchivePolicyRuleMatchError } from "../../src/carbonara/errors.js";
import {
  type ArchivePolicyRule,
  archivePolicyNameForMetric,
  createArchivePolicyRule,
  deleteArchivePolicyRule,
  findArchivePolicyRule,
  getArchivePolicyRule,
  listArchivePolicyRules,
  matchArchivePolicyRule,
  renameArchivePolicyRule,
} from "../../src/indexer/archive-policy-rule-store.js";
import { type ArchivePolicy, createArchivePolicy } from "../../src/indexer/archive-policy-store.js";
import {
  ArchivePolicyRuleAlreadyExistsError,
  ArchivePolicyRuleTargetMissingError,
  NoSuchArchivePolicyRuleError,
  UnsupportedArchivePolicyRuleChangeError,
} from "../../src/indexer/errors.js";
import { describeDrivers } from "./drivers.js";
import { HOSTILE_STRINGS } from "./hostile.js";

const S = 1_000_000;
const policy = (name: string): ArchivePolicy => ({
  name,
  backWindow: 0,
  aggregationMethods: ["mean"],
  definition: [{ granularity: S, points: 10, timespan: 10 * S }],
});
const rule = (
  name: string,
  metricPattern: string,
  archivePolicyName = "p1",
): ArchivePolicyRule => ({
  name,
  metricPattern,
  archivePolicyName,
});

describe("matchArchivePolicyRule", () => {
  const rules = [
    rule("io", "disk.io.*", "high"),
    rule("disk", "disk.*", "medium"),
    rule("all", "*", "low"),
  ];
  it("takes the first matching rule in list order; null matches as an empty name", () => {
    expect(matchArchivePolicyRule(rules, "disk.io.rate")?.name).toBe("io");
    expect(matchArchivePolicyRule(rules, "disk.usage")?.name).toBe("disk");
    expect(matchArchivePolicyRule(rules, "cpu")?.name).toBe("all");
    expect(matchArchivePolicyRule(rules, null)?.name).toBe("all");
    expect(matchArchivePolicyRule(rules.slice(0, 2), null)).toBeUndefined();
    expect(matchArchivePolicyRule([rule("e", "")], null)?.name).toBe("e");
  });
});

describeDrivers(
  "archive policy rule store",
  ({ db, fresh }) => {
    const setup = async () => {
      const d = await fresh();
      const { upgrade } = await import("../../src/indexer/upgrade.js");
      await upgrade(d, { createDefaultPolicies: false });
      for (const p of ["p1", "p2", "p3"]) await createArchivePolicy(d, policy(p));
      return d;
    };

    it("creates and gets rules", async () => {
      const d = await setup();
      const r = rule("r1", "disk.*", "p2");
      expect(await createArchivePolicyRule(d, r)).toEqual(r);
      expect(await getArchivePolicyRule(d, "r1")).toEqual(r);
      expect(await findArchivePolicyRule(d, "nope")).toBeUndefined();
      const err = await getArchivePolicyRule(d, "nope").catch((e: unknown) => e);
      expect(err).toBeInstanceOf(NoSuchArchivePolicyRuleError);
      expect((err as Error).message).toBe("Archive policy rule nope does not exist");
    });

    it("refuses duplicates and unknown policies with Gnocchi's errors", async () => {
      const d = await setup();
      await createArchivePolicyRule(d, rule("dup", "a*"));
      const dup = await createArchivePolicyRule(d, rule("dup", "b*")).catch((e: unknown) => e);
      expect(dup).toBeInstanceOf(ArchivePolicyRuleAlreadyExistsError);
      expect((dup as Error).message).toBe("Archive policy rule dup already exists");
      const missing = await createArchivePolicyRule(
        d,
        rule("orphan", "c*", "no-such-policy"),
      ).catch((e: unknown) => e);
      expect(missing).toBeInstanceOf(ArchivePolicyRuleTargetMissingError);
      expect((missing as ArchivePolicyRuleTargetMissingError).description).toEqual({
        cause: "Archive policy does not exist",
        detail: "no-such-policy",
      });
      // A taken name wins over an unknown policy, as on Gnocchi with PostgreSQL.
      await expect(
        createArchivePolicyRule(d, rule("dup", "c*", "no-such-policy")),
      ).rejects.toBeInstanceOf(ArchivePolicyRuleAlreadyExistsError);
      expect(await listArchivePolicyRules(d)).toEqual([rule("dup", "a*")]);
    });

    it("lists rules by pattern descending (code points), then name ascending", async () => {
      const d = await setup();
      const patterns: [string, string][] = [
        ["z", "*"],
        ["a", "*"],
        ["io", "disk.io.*"],
        ["disk", "disk.*"],
        ["upper", "Disk.*"],
        ["e-acute", "\u00e9*"],
        ["emoji", "\u{1F600}*"],
        ["fullwidth", "\uFF21*"],
        ["empty", ""],
        ["q", "?"],
      ];
      for (const [n, p] of patterns) await createArchivePolicyRule(d, rule(n, p));
      const listed = (await listArchivePolicyRules(d)).map((r) => [r.name, r.metricPattern]);
      // U+1F600 > U+FF21 > U+00E9 > 'd' > 'D' > '?' > '*' > '': code-point order, not UTF-16 order.
      expect(listed).toEqual([
        ["emoji", "\u{1F600}*"],
        ["fullwidth", "\uFF21*"],
        ["e-acute", "\u00e9*"],
        ["io", "disk.io.*"],
        ["disk", "disk.*"],
        ["upper", "Disk.*"],
        ["q", "?"],
        ["a", "*"],
        ["z", "*"],
        ["empty", ""],
      ]);
    });

    it("picks the policy of the first matching rule, or fails with Gnocchi's message", async () => {
      const d = await setup();
      const none = await archivePolicyNameForMetric(d, "cpu").catch((e: unknown) => e);
      expect(none).toBeInstanceOf(NoArchivePolicyRuleMatchError);
      expect((none as Error).message).toBe(
        "No archive policy name specified and no archive policy rule found matching the metric name cpu",
      );
      await createArchivePolicyRule(d, rule("all", "*", "p1"));
      await createArchivePolicyRule(d, rule("disk", "disk.*", "p2"));
      await createArchivePolicyRule(d, rule("io", "disk.io.*", "p3"));
      expect(await archivePolicyNameForMetric(d, "disk.io.rate")).toBe("p3");
      expect(await archivePolicyNameForMetric(d, "disk.usage")).toBe("p2");
      expect(await archivePolicyNameForMetric(d, "cpu.util")).toBe("p1");
      expect(await archivePolicyNameForMetric(d, null)).toBe("p1");
      await deleteArchivePolicyRule(d, "all");
      await expect(archivePolicyNameForMetric(d, null)).rejects.toThrow(
        "No archive policy name specified and no archive policy rule found matching the metric name None",
      );
    });

    it("renames a rule and refuses a taken name", async () => {
      const d = await setup();
      await createArchivePolicyRule(d, rule("old", "a*"));
      await createArchivePolicyRule(d, rule("other", "b*"));
      expect(await renameArchivePolicyRule(d, "old", "new")).toEqual(rule("new", "a*"));
      expect(await findArchivePolicyRule(d, "old")).toBeUndefined();
      expect(await renameArchivePolicyRule(d, "new", "new")).toEqual(rule("new", "a*"));
      const taken = await renameArchivePolicyRule(d, "new", "other").catch((e: unknown) => e);
      expect(taken).toBeInstanceOf(UnsupportedArchivePolicyRuleChangeError);
      expect((taken as Error).message).toBe(
        "Archive policy rule new does not support change: Archive policy rule other already exists.",
      );
      await expect(renameArchivePolicyRule(d, "ghost", "x")).rejects.toThrow(
        "Archive policy rule ghost does not exist",
      );
      expect((await listArchivePolicyRules(d)).map((r) => r.name).sort()).toEqual(["new", "other"]);
    });

    it("deletes rules", async () => {
      const d = await setup();
      await createArchivePolicyRule(d, rule("gone", "a*"));
      await deleteArchivePolicyRule(d, "gone");
      expect(await listArchivePolicyRules(d)).toEqual([]);
      const err = await deleteArchivePolicyRule(d, "gone").catch((e: unknown) => e);
      expect(err).toBeInstanceOf(NoSuchArchivePolicyRuleError);
      expect((err as Error).message).toBe("Archive policy rule gone does not exist");
    });

    it("round-trips hostile names, patterns and policy names", async () => {
      const d = await setup();
      for (const [i, s] of HOSTILE_STRINGS.entries()) {
        await createArchivePolicy(d, policy(`pol:${s}`));
        await createArchivePolicyRule(d, rule(`rule:${s}`, `${s}*`, `pol:${s}`));
        expect(await getArchivePolicyRule(d, `rule:${s}`)).toEqual(
          rule(`rule:${s}`, `${s}*`, `pol:${s}`),
        );
        await expect(
          createArchivePolicyRule(d, rule(`rule:${s}`, "x", "p1")),
        ).rejects.toBeInstanceOf(ArchivePolicyRuleAlreadyExistsError);
        expect(await renameArchivePolicyRule(d, `rule:${s}`, `renamed:${i}:${s}`)).toEqual(
          rule(`renamed:${i}:${s}`, `${s}*`, `pol:${s}`),
        );
      }
      expect((await listArchivePolicyRules(d)).length).toBe(HOSTILE_STRINGS.length);
      expect(await findArchivePolicyRule(d, "renamed:%")).toBeUndefined();
      for (const [i, s] of HOSTILE_STRINGS.entries())
        await deleteArchivePolicyRule(d, `renamed:${i}:${s}`);
      expect(await listArchivePolicyRules(d)).toEqual([]);
    });

    it("has its own database per driver block", async () => {
      expect(await listArchivePolicyRules(db())).toEqual([]);
    });
  },
  { upgrade: { createDefaultPolicies: false } },
);
