import { randomUUID } from "node:crypto";
import { beforeAll, describe, expect, it } from "vitest";
import type { SqlExecutor } from "../../src/indexer/driver.js";
import { InvalidLabelMatcherError, InvalidLabelSetError } from "../../src/indexer/errors.js";
import {
  compileLabelRegex,
  LabelIndex,
  type LabelMatcher,
  type Labels,
  matcherPredicate,
} from "../../src/indexer/label-index.js";
import {
  canonicalLabels,
  ensureLabelPairs,
  insertLabelSets,
  LabelStore,
  labelSetHash,
} from "../../src/indexer/label-store.js";
import { MIGRATIONS, migrate } from "../../src/indexer/migrations.js";
import { describeDrivers, openFreshDriver } from "./drivers.js";
import { HOSTILE_STRINGS } from "./hostile.js";

/** A new generic resource of `creator`; its id. */
async function newResource(db: SqlExecutor, creator = "admin"): Promise<string> {
  const id = randomUUID();
  await db.query(
    `INSERT INTO resource (id, type, creator, original_resource_id, started_at, revision_start)
     VALUES ($1::uuid, 'generic', $2, $1::text, now(), now())`,
    [id, creator],
  );
  return id;
}

/** `n` new metrics (named m0, m1, ... after the existing ones) on `resourceId`, default a new resource. */
async function newMetrics(db: SqlExecutor, n: number, resourceId?: string): Promise<string[]> {
  const rid = resourceId ?? (await newResource(db));
  const ap = await db.query<{ id: number }>("SELECT id FROM archive_policy ORDER BY id LIMIT 1");
  const ids = Array.from({ length: n }, () => randomUUID());
  await db.query(
    `INSERT INTO metric (id, archive_policy_id, resource_id, name)
     SELECT u.id, $2, $3, 'm-' || u.id FROM unnest($1::uuid[]) AS u(id)`,
    [ids, ap.rows[0]!.id, rid],
  );
  return ids;
}

/** What a matcher set selects, by brute force over the label sets. */
function bruteForce(
  sets: ReadonlyMap<string, Labels>,
  matchers: readonly LabelMatcher[],
): string[] {
  const predicates = matchers.map((m) => [m.name, matcherPredicate(m)] as const);
  return [...sets]
    .filter(([, labels]) => predicates.every(([name, p]) => p.test(labels[name] ?? "")))
    .map(([id]) => id);
}

describe("label index (in memory)", () => {
  it("compiles RE2-style anchored regexes", () => {
    expect(compileLabelRegex("idle|iowait").literals).toEqual(["idle", "iowait"]);
    expect(compileLabelRegex("io.*").test("iowait")).toBe(true);
    expect(compileLabelRegex("io.*").test("xiowait")).toBe(false);
    expect(compileLabelRegex("a.b").test("a\nb")).toBe(true);
    expect(compileLabelRegex("(?i)IDLE").test("idle")).toBe(true);
    expect(compileLabelRegex("(?P<x>a+)").test("aaa")).toBe(true);
    expect(compileLabelRegex("a|b|").test("")).toBe(true);
    for (const bad of ["(", "a(?=b)", "(a)\\1", "(?<!a)b", "[", "(?x)a"]) {
      expect(() => compileLabelRegex(bad), bad).toThrow(InvalidLabelMatcherError);
    }
    expect(() => matcherPredicate({ name: "a", op: "~" as "=", value: "" })).toThrow(
      InvalidLabelMatcherError,
    );
  });

  it("matches brute force on random label sets, including tombstones and ranges", () => {
    const index = new LabelIndex();
    const sets = new Map<string, Labels>();
    let pairId = 0;
    const pairIds = new Map<string, number>();
    const idOf = (n: string, v: string) => {
      const key = `${n}=${v}`;
      let id = pairIds.get(key);
      if (id === undefined) {
        id = ++pairId;
        pairIds.set(key, id);
        index.addPair({ id, name: n, value: v });
      }
      return id;
    };
    let seed = 42;
    const rand = (n: number) => {
      // mulberry32
      seed = (seed + 0x6d2b79f5) | 0;
      let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return ((t ^ (t >>> 14)) >>> 0) % n;
    };
    for (let i = 0; i < 3000; i++) {
      const labels: Record<string, string> = { __name__: `m${rand(3)}`, job: `j${rand(5)}` };
      if (rand(2)) labels.mode = ["idle", "iowait", "user", "system"][rand(4)]!;
      if (rand(3) === 0) labels.instance = `host-${rand(50)}`;
      const id = `s${i}`;
      sets.set(id, labels);
      index.addSeries(
        id,
        Object.entries(labels)
          .map(([n, v]) => idOf(n, v))
          .sort((a, b) => a - b),
        i,
        i + 10,
      );
    }
    for (let i = 0; i < 3000; i += 7) {
      index.removeSeries(`s${i}`);
      sets.delete(`s${i}`);
    }
    const cases: LabelMatcher[][] = [
      [{ name: "job", op: "=", value: "j1" }],
      [
        { name: "job", op: "=", value: "j1" },
        { name: "mode", op: "=~", value: "idle|iowait" },
      ],
      [{ name: "mode", op: "!=", value: "idle" }],
      [{ name: "mode", op: "=", value: "" }],
      [{ name: "mode", op: "!=", value: "" }],
      [{ name: "mode", op: "=~", value: "i.*|" }],
      [{ name: "mode", op: "!~", value: "i.*" }],
      [{ name: "mode", op: "!~", value: "i.*|" }],
      [
        { name: "__name__", op: "=", value: "m1" },
        { name: "instance", op: "=~", value: "host-1.*" },
        { name: "job", op: "!~", value: "j[34]" },
      ],
      [{ name: "nope", op: "=", value: "x" }],
      [{ name: "nope", op: "!=", value: "x" }],
      [],
    ];
    for (const matchers of cases) {
      const got = index.select(matchers).sort();
      expect(got, JSON.stringify(matchers)).toEqual(bruteForce(sets, matchers).sort());
    }
    const ranged = index.select([{ name: "job", op: "=", value: "j2" }], {
      start: 1000,
      end: 1500,
    });
    const expected = bruteForce(sets, [{ name: "job", op: "=", value: "j2" }]).filter((id) => {
      const i = Number(id.slice(1));
      return i + 10 >= 1000 && i <= 1500;
    });
    expect(ranged.sort()).toEqual(expected.sort());
    expect(index.labelNames()).toEqual(["__name__", "instance", "job", "mode"]);
    expect(index.labelValues("mode")).toEqual(["idle", "iowait", "system", "user"]);
    expect(
      index.labelValues("job", undefined, [{ name: "job", op: "=~", value: "j[12]" }]),
    ).toEqual(["j1", "j2"]);
    expect(index.labelNames({ start: 100_000 })).toEqual([]);
  });
});

describeDrivers(
  "label store",
  ({ db }) => {
    let store: LabelStore;
    let ids: string[];
    const sets: Labels[] = [
      { __name__: "cpu", job: "node", mode: "idle", instance: "a" },
      { __name__: "cpu", job: "node", mode: "iowait", instance: "a" },
      { __name__: "cpu", job: "node", mode: "user", instance: "a" },
      { __name__: "cpu", job: "other", mode: "idle", instance: "b" },
      { __name__: "mem", job: "node", instance: "a", empty: "" },
    ];

    beforeAll(async () => {
      store = await LabelStore.load(db());
      // One resource: a label set is unique within it.
      ids = await newMetrics(db(), 20);
      const stored = await store.store(
        db(),
        sets.map((labels, i) => ({ metricId: ids[i]!, labels, seenAt: i * 1_000_000 })),
      );
      expect(stored.every((s) => s.inserted && s.ownerId === s.metricId)).toBe(true);
    });

    it("selects by matchers, in memory and after reloading from SQL", async () => {
      const reloaded = await LabelStore.load(db(), { batchSize: 2 });
      for (const s of [store, reloaded]) {
        expect(
          s
            .select([
              { name: "job", op: "=", value: "node" },
              { name: "mode", op: "=~", value: "idle|iowait" },
            ])
            .sort(),
        ).toEqual([ids[0], ids[1]].sort());
        expect(s.select([{ name: "mode", op: "=", value: "" }])).toEqual([ids[4]]);
        expect(s.select([{ name: "__name__", op: "!~", value: "c.u" }])).toEqual([ids[4]]);
        expect(s.labelsOf(ids[4]!)).toEqual({ __name__: "mem", job: "node", instance: "a" });
        expect(s.labelNames()).toEqual(["__name__", "instance", "job", "mode"]);
        expect(s.labelValues("mode", { start: 1_500_000 })).toEqual(["idle", "user"]);
        expect(s.labelNames({ end: 500_000 })).toEqual(["__name__", "instance", "job", "mode"]);
        expect(s.labelValues("instance", { start: 3_000_000 })).toEqual(["a", "b"]);
      }
    });

    it("returns the owner of an existing label set and does not duplicate it", async () => {
      const [again] = await store.store(db(), [
        {
          metricId: ids[10]!,
          labels: { instance: "a", mode: "idle", job: "node", __name__: "cpu" },
        },
      ]);
      expect(again).toMatchObject({ inserted: false, ownerId: ids[0] });
      expect(store.select([{ name: "mode", op: "=", value: "idle" }]).sort()).toEqual(
        [ids[0], ids[3]].sort(),
      );
      expect(labelSetHash({ b: "2", a: "1" })).toBe(labelSetHash({ a: "1", b: "2", c: "" }));
      expect(labelSetHash({ a: "1b" })).not.toBe(labelSetHash({ a1: "b" }));
    });

    it("records sightings and forgets expunged series", async () => {
      await store.touch(db(), [ids[2]!], 50_000_000);
      expect(
        store.select([{ name: "mode", op: "=", value: "user" }], { start: 40_000_000 }),
      ).toEqual([ids[2]]);
      const reloaded = await LabelStore.load(db());
      expect(reloaded.labelValues("mode", { start: 40_000_000 })).toEqual(["user"]);
      store.forget([ids[2]!]);
      expect(store.select([{ name: "mode", op: "=", value: "user" }])).toEqual([]);
    });

    it("stores hostile labels verbatim and matches them literally", async () => {
      const hostile = HOSTILE_STRINGS.filter((s) => Buffer.byteLength(s) + 4 <= 2048 && s !== "");
      const metricIds = await newMetrics(db(), hostile.length);
      await store.store(
        db(),
        hostile.map((s, i) => ({
          metricId: metricIds[i]!,
          labels: { __name__: "h", [`k${i}`]: s, v: s },
        })),
      );
      const reloaded = await LabelStore.load(db());
      for (const [i, s] of hostile.entries()) {
        for (const st of [store, reloaded]) {
          expect(st.select([{ name: "v", op: "=", value: s }])).toEqual([metricIds[i]]);
          expect(st.labelsOf(metricIds[i]!)).toEqual({ __name__: "h", [`k${i}`]: s, v: s });
        }
      }
      expect(store.select([{ name: "v", op: "=~", value: "%" }])).toEqual([
        metricIds[hostile.indexOf("%")],
      ]);
      expect(store.select([{ name: "v", op: "=~", value: "_" }])).toEqual([
        metricIds[hostile.indexOf("_")],
      ]);
      expect(() => canonicalLabels({ a: "x".repeat(3000) })).toThrow(InvalidLabelSetError);
      expect(() => canonicalLabels({ "": "x" })).toThrow(InvalidLabelSetError);
      expect(() => canonicalLabels({ a: "" })).toThrow(InvalidLabelSetError);
    });
  },
  { upgrade: true },
);

describeDrivers(
  "label sets per resource",
  ({ db, kind }) => {
    const series = { __name__: "http_requests_total", job: "api", instance: "a:80", code: "200" };

    it("gives two users' identical series a label set each, both selectable", async () => {
      const store = await LabelStore.load(db());
      const [alice] = await newMetrics(db(), 1, await newResource(db(), "alice"));
      const [bob] = await newMetrics(db(), 1, await newResource(db(), "bob"));
      const stored = await store.store(db(), [
        { metricId: alice!, labels: series },
        { metricId: bob!, labels: { ...series } },
      ]);
      expect(stored.map((s) => [s.inserted, s.ownerId])).toEqual([
        [true, alice],
        [true, bob],
      ]);
      expect(stored[0]!.hash).toBe(stored[1]!.hash);
      const selector = [
        { name: "__name__", op: "=", value: "http_requests_total" },
        { name: "code", op: "=", value: "200" },
      ] as const;
      for (const s of [store, await LabelStore.load(db())]) {
        expect(s.select(selector).sort()).toEqual([alice!, bob!].sort());
        expect(s.labelsOf(bob!)).toEqual(series);
      }
      // Written again by each: nothing new, each keeps its own.
      const again = await insertLabelSets(db(), [
        { metricId: bob!, labels: series },
        { metricId: alice!, labels: series },
      ]);
      expect(again.map((s) => [s.inserted, s.ownerId])).toEqual([
        [false, bob],
        [false, alice],
      ]);
      const rows = await db().query<{ n: number }>(
        "SELECT count(*)::int AS n FROM metric_label_set WHERE label_set_hash = $1",
        [labelSetHash(series)],
      );
      expect(rows.rows[0]!.n).toBe(2);
    });

    it("keeps one owner per label set within a resource", async () => {
      const [first, second] = await newMetrics(db(), 2);
      const stored = await insertLabelSets(db(), [
        { metricId: first!, labels: series },
        { metricId: second!, labels: series },
      ]);
      // One of the two gets it (rows go in a fixed order), both report that one.
      expect(stored.filter((s) => s.inserted)).toHaveLength(1);
      const owner = stored.find((s) => s.inserted)!.metricId;
      expect(stored.map((s) => s.ownerId)).toEqual([owner, owner]);
      const [later] = await insertLabelSets(db(), [
        { metricId: owner === first ? second! : first!, labels: series },
      ]);
      expect(later).toMatchObject({ inserted: false, ownerId: owner });
    });

    it("answers sets its index holds for their metric without SQL, and asks SQL otherwise", async () => {
      const store = await LabelStore.load(db());
      const [a, b] = await newMetrics(db(), 2);
      await store.store(db(), [{ metricId: a!, labels: { __name__: "up", job: "x", e: "" } }]);
      const noSql: SqlExecutor = {
        query: () => Promise.reject(new Error("no statement expected")),
      };
      const [hit] = await insertLabelSets(
        noSql,
        [{ metricId: a!, labels: { job: "x", __name__: "up" }, seenAt: 5 }],
        store.index,
      );
      expect(hit).toMatchObject({ metricId: a, ownerId: a, inserted: false, pairs: [], seenAt: 5 });
      expect(hit!.hash).toBe(labelSetHash({ __name__: "up", job: "x" }));
      // Not a hit: another metric, a label more or less, another value.
      for (const [metricId, labels] of [
        [b!, { __name__: "up", job: "x" }],
        [a!, { __name__: "up", job: "x", extra: "1" }],
        [a!, { __name__: "up" }],
        [a!, { __name__: "up", job: "y" }],
      ] as const) {
        expect(store.index.hasLabels(metricId, labels), JSON.stringify(labels)).toBe(false);
      }
      // Stored by another process: a miss in memory, found in SQL.
      const other = await LabelStore.load(db());
      await other.store(db(), [{ metricId: b!, labels: { __name__: "up", job: "z" } }]);
      const [found] = await insertLabelSets(
        db(),
        [{ metricId: b!, labels: { __name__: "up", job: "z" } }],
        store.index,
      );
      expect(found).toMatchObject({ inserted: false, ownerId: b });
      // Invalid labels are still refused (the SQL path validates).
      await expect(
        insertLabelSets(db(), [{ metricId: b!, labels: { "": "v" } }], store.index),
      ).rejects.toThrow(InvalidLabelSetError);
    });

    it("upgrades version-2 label sets to per-resource uniqueness", async () => {
      const older = await openFreshDriver(kind);
      try {
        await migrate(
          older.driver,
          MIGRATIONS.filter((m) => m.version <= 2),
        );
        await older.driver.query(
          `INSERT INTO archive_policy (name, aggregation_methods, definition)
           VALUES ('p', '{mean}', '[{"granularity": 1000000, "points": 1, "timespan": 1000000}]')`,
        );
        const rid = await newResource(older.driver);
        const [withResource, without] = [randomUUID(), randomUUID()];
        await older.driver.query(
          `INSERT INTO metric (id, archive_policy_id, resource_id, name)
           SELECT id, (SELECT id FROM archive_policy), r, n
             FROM (VALUES ($1::uuid, $3::uuid, 'a'), ($2::uuid, NULL::uuid, NULL)) v(id, r, n)`,
          [withResource, without, rid],
        );
        // Rows as version 2 stored them (no scope).
        await older.driver.query(
          `INSERT INTO label_pair (name, value) VALUES ('__name__', 'a'), ('__name__', 'b')`,
        );
        await older.driver.query(
          `INSERT INTO metric_label_set (metric_id, label_ids, label_set_hash)
           SELECT m, ARRAY[p.id], h FROM (VALUES ($1::uuid, 'a', $3::uuid), ($2::uuid, 'b', $4::uuid)) v(m, n, h)
           JOIN label_pair p ON p.name = '__name__' AND p.value = v.n`,
          [withResource, without, labelSetHash({ __name__: "a" }), labelSetHash({ __name__: "b" })],
        );
        await migrate(older.driver);
        const rows = await older.driver.query<{ metric_id: string; scope_id: string }>(
          "SELECT metric_id::text, scope_id::text FROM metric_label_set ORDER BY seq",
        );
        expect(rows.rows).toEqual([
          { metric_id: withResource, scope_id: rid },
          { metric_id: without, scope_id: without },
        ]);
      } finally {
        await older.dispose();
      }
    });
  },
  { upgrade: true },
);

describeDrivers(
  "label store across processes",
  ({ db, kind }) => {
    it("refresh picks up label sets another process stored, and forgets expunged ones", async () => {
      const mine = await LabelStore.load(db());
      const other = await LabelStore.load(db());
      const ids = await newMetrics(db(), 3);
      await other.store(db(), [
        { metricId: ids[0]!, labels: { __name__: "up", job: "node", instance: "a:9100" } },
        { metricId: ids[1]!, labels: { __name__: "up", job: "node", instance: "b:9100" } },
      ]);
      const job = [{ name: "job", op: "=", value: "node" }] as const;
      expect(mine.select(job)).toEqual([]);
      expect(await mine.refresh(db())).toEqual({ added: 2, removed: 0 });
      expect(mine.select(job).sort()).toEqual([ids[0]!, ids[1]!].sort());
      expect(mine.labelsOf(ids[1]!)).toEqual({ __name__: "up", job: "node", instance: "b:9100" });
      expect(await mine.refresh(db())).toEqual({ added: 0, removed: 0 });

      await db().query("DELETE FROM metric WHERE id = $1", [ids[0]!]);
      expect(await mine.refresh(db())).toEqual({ added: 0, removed: 1 });
      expect(mine.select(job)).toEqual([ids[1]!]);
    });

    it("refresh with lastSeen follows the last_seen another process stamps, stamps committed late included", async () => {
      const HOUR_US = 3_600_000_000;
      const mine = await LabelStore.load(db());
      const other = await LabelStore.load(db());
      const [id] = await newMetrics(db(), 1);
      const T = Date.now();
      const long = (T - 2 * 3_600_000) * 1000;
      await other.store(db(), [{ metricId: id!, labels: { __name__: "stamped" }, seenAt: long }]);
      const stamped = [{ name: "__name__", op: "=", value: "stamped" }] as const;
      const lastHour = { start: T * 1000 - HOUR_US };
      await mine.refresh(db(), T);
      expect(mine.select(stamped)).toEqual([id]);
      expect(mine.select(stamped, lastHour)).toEqual([]);

      await other.touch(db(), [id!], T * 1000);
      // A plain refresh reads new rows only.
      await mine.refresh(db(), T + 1000);
      expect(mine.select(stamped, lastHour)).toEqual([]);
      await mine.refresh(db(), T + 1000, { lastSeen: true });
      expect(mine.select(stamped, lastHour)).toEqual([id]);
      expect(mine.select(stamped, { start: (T + 1) * 1000 })).toEqual([]);

      // A stamp a little older than that refresh, committed after it, is still read.
      const late = (T + 500) * 1000;
      await other.touch(db(), [id!], late);
      expect(mine.select(stamped, { start: late })).toEqual([]);
      await mine.refresh(db(), T + 2000, { lastSeen: true });
      expect(mine.select(stamped, { start: late })).toEqual([id]);
      expect(mine.select(stamped, { start: late + 1 })).toEqual([]);
      // The read stays a range of recent stamps: one older than the last such
      // refresh by more than the margin (seconds) is not read.
      await mine.refresh(db(), T + 60_000, { lastSeen: true });
      await other.touch(db(), [id!], (T + 50_000) * 1000);
      await mine.refresh(db(), T + 61_000, { lastSeen: true });
      expect(mine.select(stamped, { start: (T + 50_000) * 1000 })).toEqual([]);
    });

    // PGlite has one session: a second writer cannot run while a transaction is open.
    it.skipIf(kind === "pglite")(
      "re-reads a sequence gap until the insert that holds it commits",
      async () => {
        const mine = await LabelStore.load(db());
        const [early, late] = await newMetrics(db(), 2);
        // `late` takes its seq first but commits after `early`: the watermark
        // passes over it, and the gap brings it in at the next refresh.
        await db().transaction(async (slow) => {
          await insertLabelSets(slow, [{ metricId: late!, labels: { __name__: "late" } }]);
          const other = await LabelStore.load(db());
          await other.store(db(), [{ metricId: early!, labels: { __name__: "early" } }]);
          await mine.refresh(db());
          expect(mine.labelsOf(early!)).toEqual({ __name__: "early" });
          expect(mine.labelsOf(late!)).toBeUndefined();
        });
        await mine.refresh(db());
        expect(mine.labelsOf(late!)).toEqual({ __name__: "late" });
      },
    );

    // Concurrent writers on separate connections (PGlite has one session).
    it.skipIf(kind === "pglite")(
      "concurrent writers of overlapping new label sets neither fail nor duplicate",
      async () => {
        const rid = await newResource(db());
        const writers = 4;
        const setsPerWriter = 4000;
        const rounds = 4;
        let seed = 99;
        const rand = (n: number) => {
          seed = (seed * 1103515245 + 12345) & 0x7fffffff;
          return seed % n;
        };
        for (let round = 0; round < rounds; round++) {
          // Every writer labels its own metrics with the same new sets, each
          // writer in its own shuffled order. Every pair belongs to one set, so
          // writers collide anywhere in their batches, not only on a common
          // first pair. Odd rounds: the pairs exist, only the sets race.
          const labelsOf = (j: number) => ({
            __name__: `race_${round}_${j}`,
            instance: `host-${round}-${j}`,
          });
          if (round % 2 === 1) {
            await db().transaction((tx) =>
              ensureLabelPairs(
                tx,
                Array.from({ length: setsPerWriter }, (_, j) =>
                  canonicalLabels(labelsOf(j)),
                ).flat(),
              ),
            );
          }
          const batches = await Promise.all(
            Array.from({ length: writers }, async () => {
              const metricIds = await newMetrics(db(), setsPerWriter, rid);
              const order = metricIds.map((_, j) => j);
              for (let k = order.length - 1; k > 0; k--) {
                const r = rand(k + 1);
                [order[k], order[r]] = [order[r]!, order[k]!];
              }
              return order.map((j) => ({ metricId: metricIds[j]!, labels: labelsOf(j) }));
            }),
          );
          const results = await Promise.all(
            batches.map((entries) => db().transaction((tx) => insertLabelSets(tx, entries))),
          );
          // Every writer agrees on one owner per set.
          const owners = new Map<string, string>();
          for (const stored of results) {
            for (const s of stored) {
              const owner = owners.get(s.hash);
              if (owner === undefined) owners.set(s.hash, s.ownerId);
              else expect(s.ownerId).toBe(owner);
            }
          }
          expect(owners.size).toBe(setsPerWriter);
        }
        const rows = await db().query<{ sets: number; rows: number; pairs: number }>(
          `SELECT count(DISTINCT label_set_hash)::int AS sets, count(*)::int AS rows,
                  (SELECT count(*)::int FROM label_pair WHERE value LIKE 'host-%') AS pairs
             FROM metric_label_set WHERE scope_id = $1`,
          [rid],
        );
        expect(rows.rows[0]).toEqual({
          sets: setsPerWriter * rounds,
          rows: setsPerWriter * rounds,
          pairs: setsPerWriter * rounds,
        });
      },
      60_000,
    );
  },
  { upgrade: true },
);
