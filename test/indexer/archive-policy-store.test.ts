import { expect, it } from "vitest";
import { UnsupportedArchivePolicyChangeError } from "../../src/carbonara/errors.js";
import {
  createArchivePolicyRule,
  deleteArchivePolicyRule,
} from "../../src/indexer/archive-policy-rule-store.js";
import {
  type ArchivePolicy,
  createArchivePolicy,
  deleteArchivePolicy,
  findArchivePolicy,
  getArchivePolicies,
  getArchivePolicy,
  listArchivePolicies,
  updateArchivePolicy,
} from "../../src/indexer/archive-policy-store.js";
import {
  ArchivePolicyAlreadyExistsError,
  ArchivePolicyInUseError,
  NoSuchArchivePolicyError,
} from "../../src/indexer/errors.js";
import { describeDrivers } from "./drivers.js";
import { HOSTILE_STRINGS } from "./hostile.js";

const S = 1_000_000;

function policy(name: string, overrides: Partial<ArchivePolicy> = {}): ArchivePolicy {
  return {
    name,
    backWindow: 0,
    aggregationMethods: ["mean", "max"],
    definition: [
      { granularity: 60 * S, points: 10, timespan: 600 * S },
      { granularity: S, points: 5, timespan: 5 * S },
    ],
    ...overrides,
  };
}

describeDrivers(
  "archive policy store",
  ({ db }) => {
    it("creates, gets and lists policies exactly as given", async () => {
      const p = policy("ap-basic", {
        backWindow: 3,
        aggregationMethods: ["rate:95pct", "last", "5pct"],
        definition: [
          { granularity: 3_600_000_000 / 7, points: 7, timespan: 3600 * S },
          { granularity: S, points: null, timespan: null },
        ],
      });
      expect(await createArchivePolicy(db(), p)).toEqual(p);
      expect(await getArchivePolicy(db(), "ap-basic")).toEqual(p);
      expect(await findArchivePolicy(db(), "ap-basic")).toEqual(p);
      expect((await listArchivePolicies(db())).find((x) => x.name === "ap-basic")).toEqual(p);
    });

    it("refuses a duplicate name with Gnocchi's message", async () => {
      await createArchivePolicy(db(), policy("ap-dup"));
      const err = await createArchivePolicy(db(), policy("ap-dup", { backWindow: 9 })).catch(
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(ArchivePolicyAlreadyExistsError);
      expect((err as Error).message).toBe("Archive policy ap-dup already exists");
      expect((await getArchivePolicy(db(), "ap-dup")).backWindow).toBe(0);
    });

    it("reports unknown policies with Gnocchi's message", async () => {
      const err = await getArchivePolicy(db(), "✔éñ☃-missing").catch((e: unknown) => e);
      expect(err).toBeInstanceOf(NoSuchArchivePolicyError);
      expect((err as Error).message).toBe("Archive policy ✔éñ☃-missing does not exist");
      expect(await findArchivePolicy(db(), "✔éñ☃-missing")).toBeUndefined();
    });

    it("round-trips hostile names and tells near-identical names apart", async () => {
      for (const name of HOSTILE_STRINGS) await createArchivePolicy(db(), policy(`h:${name}`));
      for (const name of HOSTILE_STRINGS) {
        expect((await getArchivePolicy(db(), `h:${name}`)).name).toBe(`h:${name}`);
        await expect(createArchivePolicy(db(), policy(`h:${name}`))).rejects.toBeInstanceOf(
          ArchivePolicyAlreadyExistsError,
        );
      }
      // LIKE metacharacters and case are not wildcards or folded.
      expect(await findArchivePolicy(db(), "h:a_b%c")).toBeUndefined();
      expect(await findArchivePolicy(db(), "h:IT'S")).toBeUndefined();
      expect(await findArchivePolicy(db(), `h:${"x".repeat(9_999)}`)).toBeUndefined();
      const many = await getArchivePolicies(
        db(),
        HOSTILE_STRINGS.map((n) => `h:${n}`),
      );
      expect([...many.keys()].sort()).toEqual(HOSTILE_STRINGS.map((n) => `h:${n}`).sort());
      const listed = (await listArchivePolicies(db()))
        .map((p) => p.name)
        .filter((n) => n.startsWith("h:"));
      expect(listed).toEqual(HOSTILE_STRINGS.map((n) => `h:${n}`).sort(codePointCompare));
      for (const name of HOSTILE_STRINGS) await deleteArchivePolicy(db(), `h:${name}`);
      expect(await findArchivePolicy(db(), `h:${HOSTILE_STRINGS[2]}`)).toBeUndefined();
    });

    it("updates points and timespan, keeping the new order", async () => {
      await createArchivePolicy(db(), policy("ap-upd"));
      const next = [
        { granularity: S, points: 50, timespan: 50 * S },
        { granularity: 60 * S, points: null, timespan: null },
      ];
      const updated = await updateArchivePolicy(db(), "ap-upd", next);
      expect(updated).toEqual({ ...policy("ap-upd"), definition: next });
      expect(await getArchivePolicy(db(), "ap-upd")).toEqual(updated);
    });

    it("refuses to add, drop or change granularities", async () => {
      await createArchivePolicy(db(), policy("ap-fixed"));
      const add = await updateArchivePolicy(db(), "ap-fixed", [
        { granularity: S, points: 5, timespan: 5 * S },
        { granularity: 60 * S, points: 10, timespan: 600 * S },
        { granularity: 3600 * S, points: 1, timespan: 3600 * S },
      ]).catch((e: unknown) => e);
      expect(add).toBeInstanceOf(UnsupportedArchivePolicyChangeError);
      expect((add as Error).message).toBe(
        "Archive policy ap-fixed does not support change: Cannot add or drop granularities",
      );
      const drop = await updateArchivePolicy(db(), "ap-fixed", [
        { granularity: S, points: 5, timespan: 5 * S },
      ]).catch((e: unknown) => e);
      expect((drop as Error).message).toBe(
        "Archive policy ap-fixed does not support change: Cannot add or drop granularities",
      );
      const change = await updateArchivePolicy(db(), "ap-fixed", [
        { granularity: 2 * S, points: 5, timespan: 10 * S },
        { granularity: 60 * S, points: 10, timespan: 600 * S },
      ]).catch((e: unknown) => e);
      expect(change).toBeInstanceOf(UnsupportedArchivePolicyChangeError);
      expect((change as Error).message).toBe(
        "Archive policy ap-fixed does not support change: 1.0 granularity interval was changed",
      );
      expect(await getArchivePolicy(db(), "ap-fixed")).toEqual(policy("ap-fixed"));
      await expect(updateArchivePolicy(db(), "ap-nope", [])).rejects.toThrow(
        "Archive policy ap-nope does not exist",
      );
    });

    it("deletes unused policies and refuses missing or used ones", async () => {
      await createArchivePolicy(db(), policy("ap-del"));
      await deleteArchivePolicy(db(), "ap-del");
      expect(await findArchivePolicy(db(), "ap-del")).toBeUndefined();
      const missing = await deleteArchivePolicy(db(), "ap-del").catch((e: unknown) => e);
      expect(missing).toBeInstanceOf(NoSuchArchivePolicyError);
      expect((missing as Error).message).toBe("Archive policy ap-del does not exist");

      await createArchivePolicy(db(), policy("ap-ruled"));
      await createArchivePolicyRule(db(), {
        name: "r-ap-ruled",
        metricPattern: "x.*",
        archivePolicyName: "ap-ruled",
      });
      const ruled = await deleteArchivePolicy(db(), "ap-ruled").catch((e: unknown) => e);
      expect(ruled).toBeInstanceOf(ArchivePolicyInUseError);
      expect((ruled as Error).message).toBe("Archive policy ap-ruled is still in use");
      await deleteArchivePolicyRule(db(), "r-ap-ruled");
      await deleteArchivePolicy(db(), "ap-ruled");

      for (const status of ["active", "delete"]) {
        const name = `ap-metric-${status}`;
        await createArchivePolicy(db(), policy(name));
        await db().query(
          `INSERT INTO metric (id, archive_policy_id, status)
           SELECT gen_random_uuid(), id, $2 FROM archive_policy WHERE name = $1`,
          [name, status],
        );
        await expect(deleteArchivePolicy(db(), name)).rejects.toThrow(
          `Archive policy ${name} is still in use`,
        );
        await db().query(
          "DELETE FROM metric WHERE archive_policy_id = (SELECT id FROM archive_policy WHERE name = $1)",
          [name],
        );
        await deleteArchivePolicy(db(), name);
      }
    });

    it("works inside a caller's transaction", async () => {
      await expect(
        db().transaction(async (tx) => {
          await createArchivePolicy(tx, policy("ap-tx"));
          await expect(createArchivePolicy(tx, policy("ap-tx"))).rejects.toBeInstanceOf(
            ArchivePolicyAlreadyExistsError,
          );
          expect((await getArchivePolicy(tx, "ap-tx")).name).toBe("ap-tx"); // the transaction is still usable
          throw new Error("rollback");
        }),
      ).rejects.toThrow("rollback");
      expect(await findArchivePolicy(db(), "ap-tx")).toBeUndefined();
    });
  },
  { upgrade: { createDefaultPolicies: false } },
);

function codePointCompare(a: string, b: string): number {
  const x = [...a];
  const y = [...b];
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    const d = x[i]!.codePointAt(0)! - y[i]!.codePointAt(0)!;
    if (d !== 0) return d;
  }
  return x.length - y.length;
}
