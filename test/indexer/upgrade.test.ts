import { expect, it } from "vitest";
import {
  deleteArchivePolicyRule,
  listArchivePolicyRules,
} from "../../src/indexer/archive-policy-rule-store.js";
import {
  deleteArchivePolicy,
  listArchivePolicies,
} from "../../src/indexer/archive-policy-store.js";
import { DEFAULT_ARCHIVE_POLICIES } from "../../src/indexer/default-policies.js";
import { appliedVersions, MIGRATIONS, migrate } from "../../src/indexer/migrations.js";
import { getSacks, upgrade } from "../../src/indexer/upgrade.js";
import { describeDrivers } from "./drivers.js";

const S = 1_000_000;
const LATEST = Math.max(...MIGRATIONS.map((m) => m.version));

describeDrivers("upgrade", ({ fresh }) => {
  it("creates the schema, the sacks setting and the default policies and rule on a new database", async () => {
    const db = await fresh();
    const result = await upgrade(db);
    expect(result).toEqual({
      migrations: MIGRATIONS.map((m) => m.version),
      createdDefaults: true,
      sacks: 128,
    });
    expect(await appliedVersions(db)).toEqual(MIGRATIONS.map((m) => m.version));

    const policies = await listArchivePolicies(db);
    expect(policies.map((p) => p.name)).toEqual(["bool", "high", "low", "medium", "prometheus"]);
    const byName = new Map(policies.map((p) => [p.name, p]));
    expect(byName.get("bool")).toEqual({
      name: "bool",
      backWindow: 3600,
      aggregationMethods: ["last"],
      definition: [{ granularity: S, points: 31_536_000, timespan: 31_536_000 * S }],
    });
    expect(byName.get("low")?.definition).toEqual([
      { granularity: 300 * S, points: 8640, timespan: 30 * 86_400 * S },
    ]);
    expect(byName.get("medium")?.definition).toEqual([
      { granularity: 60 * S, points: 10_080, timespan: 7 * 86_400 * S },
      { granularity: 3600 * S, points: 8760, timespan: 365 * 86_400 * S },
    ]);
    expect(byName.get("high")?.definition.map((d) => d.granularity)).toEqual([S, 60 * S, 3600 * S]);
    expect([...(byName.get("high")?.aggregationMethods ?? [])].sort()).toEqual([
      "count",
      "max",
      "mean",
      "min",
      "std",
      "sum",
    ]);
    for (const p of DEFAULT_ARCHIVE_POLICIES) expect(byName.get(p.name)).toEqual(p);
    expect(await listArchivePolicyRules(db)).toEqual([
      { name: "default", metricPattern: "*", archivePolicyName: "low" },
    ]);
  });

  it("is idempotent", async () => {
    const db = await fresh();
    await upgrade(db);
    const again = await upgrade(db);
    expect(again).toEqual({ migrations: [], createdDefaults: false, sacks: 128 });
    expect(await migrate(db)).toEqual([]);
    expect((await listArchivePolicies(db)).length).toBe(5);
    expect((await listArchivePolicyRules(db)).length).toBe(1);
  });

  it("fixes the number of sacks at the first upgrade", async () => {
    const db = await fresh();
    expect((await upgrade(db, { sacks: 7 })).sacks).toBe(7);
    expect((await upgrade(db, { sacks: 64 })).sacks).toBe(7);
    expect(await getSacks(db)).toBe(7);
    for (const bad of [0, -1, 65_536, 1.5, Number.NaN]) {
      await expect(upgrade(db, { sacks: bad })).rejects.toThrow(RangeError);
    }
  });

  it("creates the defaults only when there is no policy and no rule", async () => {
    const db = await fresh();
    await upgrade(db);
    await deleteArchivePolicyRule(db, "default");
    expect((await upgrade(db)).createdDefaults).toBe(false); // policies remain
    expect(await listArchivePolicyRules(db)).toEqual([]);
    for (const p of await listArchivePolicies(db)) await deleteArchivePolicy(db, p.name);
    expect((await upgrade(db)).createdDefaults).toBe(true);
    expect((await listArchivePolicies(db)).length).toBe(5);
  });

  it("can skip the defaults", async () => {
    const db = await fresh();
    expect((await upgrade(db, { createDefaultPolicies: false })).createdDefaults).toBe(false);
    expect(await listArchivePolicies(db)).toEqual([]);
    expect(await listArchivePolicyRules(db)).toEqual([]);
  });

  it("serializes concurrent upgrades of one database", async () => {
    const db = await fresh();
    const results = await Promise.all([upgrade(db), upgrade(db), upgrade(db)]);
    // Each migration applied once, whichever upgrade got there first.
    expect(results.flatMap((r) => r.migrations).sort((a, b) => a - b)).toEqual(
      MIGRATIONS.map((m) => m.version),
    );
    expect(results.filter((r) => r.createdDefaults).length).toBe(1);
    expect((await listArchivePolicies(db)).length).toBe(5);
    expect(await appliedVersions(db)).toEqual(MIGRATIONS.map((m) => m.version));
  });

  it("refuses a schema newer than the code", async () => {
    const db = await fresh();
    await upgrade(db);
    await db.query("INSERT INTO schema_version (version, name) VALUES ($1, 'from the future')", [
      LATEST + 1,
    ]);
    await expect(upgrade(db)).rejects.toThrow(/schema is newer/);
  });

  it("rolls back a failing migration as a whole", async () => {
    const db = await fresh();
    const bad = [
      ...MIGRATIONS,
      {
        version: LATEST + 1,
        name: "bad",
        statements: ["CREATE TABLE half_done (x int)", "SELECT no_such_function()"],
      },
    ];
    await expect(migrate(db, bad)).rejects.toThrow();
    expect(await appliedVersions(db)).toEqual(MIGRATIONS.map((m) => m.version));
    const t = await db.query("SELECT to_regclass('half_done') IS NULL AS gone");
    expect(t.rows).toEqual([{ gone: true }]);
  });

  it("derives created_by_* from creator and has the generic resource type", async () => {
    const db = await fresh();
    await upgrade(db);
    const rows = await db.query(
      `INSERT INTO resource (id, type, creator, original_resource_id, started_at, revision_start)
       SELECT gen_random_uuid(), 'generic', c, 'x', now(), now()
         FROM unnest($1::text[]) AS c
       RETURNING creator, created_by_user_id, created_by_project_id`,
      [["user:project", "admin", "a:b:c", ":p", "u:"]],
    );
    expect(rows.rows).toEqual([
      { creator: "user:project", created_by_user_id: "user", created_by_project_id: "project" },
      { creator: "admin", created_by_user_id: "admin", created_by_project_id: "" },
      { creator: "a:b:c", created_by_user_id: "a", created_by_project_id: "b:c" },
      { creator: ":p", created_by_user_id: "", created_by_project_id: "p" },
      { creator: "u:", created_by_user_id: "u", created_by_project_id: "" },
    ]);
    const types = await db.query("SELECT name, tablename, state FROM resource_type");
    expect(types.rows).toEqual([{ name: "generic", tablename: null, state: "active" }]);
  });
});
