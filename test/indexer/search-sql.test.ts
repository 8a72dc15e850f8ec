import { randomBytes, randomUUID } from "node:crypto";
import { beforeAll, expect, it } from "vitest";
import { type SqlExecutor, timestampParam } from "../../src/indexer/driver.js";
import {
  InvalidPaginationError,
  QueryAttributeError,
  QueryError,
  QueryValueError,
} from "../../src/indexer/errors.js";
import {
  HISTORY_TIEBREAKERS,
  markerCondition,
  orderBy,
  parseLimit,
  parsePagination,
  RESOURCE_DEFAULT_SORT,
  RESOURCE_TIEBREAKERS,
} from "../../src/indexer/pagination.js";
import { parseJsonFilter, parseStringFilter } from "../../src/indexer/search-filter.js";
import {
  compileFilter,
  resourceColumns,
  resourceSource,
  type SearchTarget,
} from "../../src/indexer/search-sql.js";
import { sqlf } from "../../src/indexer/sql-compose.js";
import { describeDrivers } from "./drivers.js";
import { HOSTILE_STRINGS } from "./hostile.js";

const T0 = Date.UTC(2020, 0, 1) * 1000;
const HOUR = 3_600_000_000;

interface Fixture {
  target: SearchTarget;
  generic: SearchTarget;
  ids: string[];
}

/** A custom type created directly in SQL (the layout of migrations.ts), with 6 resources. */
async function setup(db: SqlExecutor): Promise<Fixture> {
  const tablename = `rt_${randomBytes(16).toString("hex")}`;
  const name = `instance_${tablename.slice(3, 11)}`;
  await db.query("INSERT INTO resource_type (name, tablename) VALUES ($1, $2)", [name, tablename]);
  await db.query(
    `CREATE TABLE "${tablename}" (id uuid PRIMARY KEY REFERENCES resource (id) ON DELETE CASCADE,
       a1 text COLLATE "C", a2 double precision, a3 boolean, a4 timestamptz, a5 uuid)`,
  );
  await db.query(
    `CREATE TABLE "${tablename}_history" (revision bigint PRIMARY KEY REFERENCES resource_history (revision) ON DELETE CASCADE,
       a1 text COLLATE "C", a2 double precision, a3 boolean, a4 timestamptz, a5 uuid)`,
  );
  const target: SearchTarget = {
    name,
    tablename,
    attributes: [
      { name: "display_name", column: "a1", type: "string" },
      { name: "size", column: "a2", type: "number" },
      { name: "enabled", column: "a3", type: "bool" },
      { name: "launched_at", column: "a4", type: "datetime" },
      { name: "myid", column: "a5", type: "uuid" },
    ],
  };
  const rows: [
    string | null,
    string | null,
    number,
    number | null,
    string,
    number | null,
    boolean | null,
  ][] = [
    // creator, user_id, started(h), ended(h), display_name, size, enabled
    ["alice:p1", "u1", 0, 2, "web-1", 1, true],
    ["alice:p2", "u2", 1, null, "web_2", 2.5, false],
    ["bob", null, 2, 5, "db%1", null, null],
    ["bob:p1", "u1", 3, 4, "it's", 10, true],
    [null, "u3", 4, null, HOSTILE_STRINGS[2]!, 7, false],
    ["carol:", "u'4", 5, 30, "back\\slash", -3, true],
  ];
  const ids: string[] = [];
  for (const [i, [creator, user, started, ended, display, size, enabled]] of rows.entries()) {
    const id = randomUUID();
    ids.push(id);
    await db.query(
      `INSERT INTO resource (id, type, creator, original_resource_id, user_id, project_id, started_at, ended_at, revision_start)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
      [
        id,
        name,
        creator,
        `orig-${i}`,
        user,
        i % 2 === 0 ? "proj" : null,
        timestampParam(T0 + started * HOUR),
        ended === null ? null : timestampParam(T0 + ended * HOUR),
        timestampParam(T0 + (10 - i) * HOUR),
      ],
    );
    await db.query(
      `INSERT INTO "${tablename}" (id, a1, a2, a3, a4, a5) VALUES ($1, $2, $3, $4, $5, $6)`,
      [id, display, size, enabled, timestampParam(T0 + i * HOUR), i === 0 ? ids[0]! : null],
    );
  }
  // One past revision of the first resource, with another display name.
  const h = await db.query<{ revision: number }>(
    `INSERT INTO resource_history (id, type, creator, original_resource_id, user_id, project_id, started_at, ended_at, revision_start, revision_end)
     SELECT id, type, creator, original_resource_id, user_id, project_id, started_at, ended_at, revision_start - interval '1 hour', revision_start
     FROM resource WHERE id = $1 RETURNING revision`,
    [ids[0]!],
  );
  await db.query(
    `INSERT INTO "${tablename}_history" (revision, a1, a2) VALUES ($1, 'old-name', 1)`,
    [h.rows[0]!.revision],
  );
  return { target, generic: { name: "generic", tablename: null, attributes: [] }, ids };
}

describeDrivers(
  "resource search SQL",
  ({ db }) => {
    let f: Fixture;
    beforeAll(async () => {
      f = await setup(db());
    });

    async function search(
      filter: unknown,
      options: { history?: boolean; generic?: boolean; creator?: string } = {},
    ): Promise<string[]> {
      const target = options.generic ? f.generic : f.target;
      const parsed =
        typeof filter === "string"
          ? parseStringFilter(filter, { creator: options.creator ?? "alice" })
          : parseJsonFilter(filter, { creator: options.creator ?? "alice" });
      const where = compileFilter(parsed, target, { history: options.history ?? false, now: T0 });
      const source = resourceSource(target, { history: options.history ?? false });
      const idx = options.history ? sqlf`, r.revision` : sqlf``;
      const q = sqlf`SELECT r.id::text AS id${idx} FROM ${source} WHERE ${where} AND r.id = ANY(${f.ids}::uuid[]) ORDER BY r.original_resource_id`;
      const r = await db().query<{ id: string }>(q.sql, q.params);
      return r.rows.map((row) => `r${f.ids.indexOf(row.id)}`);
    }

    it("compares typed columns", async () => {
      expect(await search({ "=": { display_name: "web-1" } })).toEqual(["r0"]);
      expect(await search({ ">": { size: "2" } })).toEqual(["r1", "r3", "r4"]);
      expect(await search({ "≤": { size: 1 } })).toEqual(["r0", "r5"]);
      expect(await search({ "=": { enabled: true } })).toEqual(["r0", "r3", "r5"]);
      expect(await search({ "=": { enabled: null } })).toEqual(["r2"]);
      expect(await search({ ">=": { launched_at: "2020-01-01T03:00:00Z" } })).toEqual([
        "r3",
        "r4",
        "r5",
      ]);
      expect(await search({ "<": { launched_at: T0 / 1e6 + 3600 } })).toEqual(["r0"]);
      expect(await search({ "=": { myid: f.ids[0]!.toUpperCase() } })).toEqual(["r0"]);
      expect(await search({ "=": { id: f.ids[3]! } })).toEqual(["r3"]);
      expect(await search({ "=": { user_id: "u1" } })).toEqual(["r0", "r3"]);
      expect(await search({ "<": { user_id: null } })).toEqual([]);
    });

    it("!= matches NULL, = null is IS NULL", async () => {
      expect(await search({ "!=": { user_id: "u1" } })).toEqual(["r1", "r2", "r4", "r5"]);
      expect(await search({ ne: { size: 1 } })).toEqual(["r1", "r2", "r3", "r4", "r5"]);
      expect(await search({ "=": { user_id: null } })).toEqual(["r2"]);
      expect(await search({ "!=": { user_id: null } })).toEqual(["r0", "r1", "r3", "r4", "r5"]);
      expect(await search({ "=": { ended_at: null } })).toEqual(["r1", "r4"]);
    });

    it("like, in, not, and/or", async () => {
      expect(await search({ like: { display_name: "web%" } })).toEqual(["r0", "r1"]);
      expect(await search({ like: { display_name: "web\\_%" } })).toEqual(["r1"]);
      expect(await search({ like: { display_name: "db\\%_" } })).toEqual(["r2"]);
      expect(await search({ like: { size: "1%" } })).toEqual(["r0", "r3"]);
      expect(await search({ in: { user_id: ["u1", "u3", null] } })).toEqual(["r0", "r3", "r4"]);
      expect(await search({ in: { size: [1, "2.5"] } })).toEqual(["r0", "r1"]);
      expect(await search({ in: { id: [f.ids[1]!, f.ids[2]!] } })).toEqual(["r1", "r2"]);
      expect(await search({ not: { "=": { user_id: "u1" } } })).toEqual(["r1", "r4", "r5"]);
      expect(
        await search({
          or: [
            { "=": { user_id: "u3" } },
            { and: [{ "=": { user_id: "u1" } }, { ">": { size: 5 } }] },
          ],
        }),
      ).toEqual(["r3", "r4"]);
      expect(await search("user_id = u1 and not size < 5")).toEqual(["r3"]);
      expect(await search("display_name like 'web%' ∨ size ≥ 10")).toEqual(["r0", "r1", "r3"]);
    });

    it("lifespan and created_by_*", async () => {
      expect(await search({ ">": { lifespan: "2 hours" } })).toEqual(["r2", "r5"]);
      expect(await search({ "=": { lifespan: 3600 } })).toEqual(["r3"]);
      expect(await search({ "=": { created_by_user_id: "alice" } })).toEqual(["r0", "r1"]);
      expect(await search({ "=": { created_by_project_id: "p1" } })).toEqual(["r0", "r3"]);
      expect(await search({ "=": { created_by_project_id: "" } })).toEqual(["r2", "r5"]);
      expect(await search({ "!=": { created_by_user_id: "bob" } })).toEqual([
        "r0",
        "r1",
        "r4",
        "r5",
      ]);
      expect(await search({ like: { created_by_user_id: "%o%" } })).toEqual(["r2", "r3", "r5"]);
      await expect(search({ ">": { created_by_user_id: "a" } })).rejects.toThrow(
        "Invalid value: `a' for field `created_by_user_id'",
      );
      await expect(search({ in: { created_by_project_id: ["a"] } })).rejects.toThrow(
        "Invalid value: `['a']' for field `created_by_project_id'",
      );
    });

    it("errors: unknown attribute, bad values, nested empty filter", async () => {
      await expect(search({ "=": { nope: 1 } })).rejects.toThrow(
        new QueryAttributeError(f.target.name, "nope"),
      );
      await expect(search({ "=": { display_name: 1 } }, { generic: true })).rejects.toThrow(
        "Resource type generic has no display_name attribute",
      );
      await expect(search({ "=": { revision: 1 } })).rejects.toThrow(QueryAttributeError);
      await expect(search({ "=": { size: "big" } })).rejects.toThrow(
        new QueryValueError("big", "size"),
      );
      await expect(search({ "=": { started_at: "not a date" } })).rejects.toThrow(
        "Invalid value: `not a date' for field `started_at'",
      );
      await expect(search({ "=": { enabled: "yes" } })).rejects.toThrow(QueryValueError);
      await expect(search({ "=": { myid: "nope" } })).rejects.toThrow(QueryValueError);
      await expect(search({ "=": { lifespan: "forever" } })).rejects.toThrow(QueryValueError);
      await expect(search({ and: [{}] })).rejects.toThrow(new QueryError());
    });

    it("searches generic across types and history", async () => {
      expect(await search({ "=": { type: f.target.name } }, { generic: true })).toHaveLength(6);
      expect(await search({ "=": { display_name: "old-name" } }, { history: true })).toEqual([
        "r0",
      ]);
      expect(await search({ "=": { display_name: "web-1" } }, { history: true })).toEqual(["r0"]);
      expect(await search({ "=": { id: f.ids[0]! } }, { history: true })).toEqual(["r0", "r0"]);
      expect(await search({ "=": { revision: -1 } }, { history: true })).toHaveLength(6);
      expect(await search({ "!=": { revision_end: null } }, { history: true })).toEqual(["r0"]);
      expect(await search({ "=": { user_id: "u1" } }, { history: true, generic: true })).toEqual([
        "r0",
        "r0",
        "r3",
      ]);
    });

    it("hostile values are matched literally and never break the SQL", async () => {
      for (const s of HOSTILE_STRINGS) {
        const exact = await search({ "=": { display_name: s } });
        expect(exact).toEqual(s === HOSTILE_STRINGS[2] ? ["r4"] : s === "it's" ? ["r3"] : []);
        expect(await search({ in: { user_id: [s, "u3"] } })).toEqual(["r4"]);
        await search({ like: { display_name: s } });
        await search({ "!=": { original_resource_id: s } });
        await expect(search({ "=": { launched_at: s } })).rejects.toThrow(QueryValueError);
        await expect(search({ "=": { [s]: 1 } })).rejects.toThrow(QueryAttributeError);
        // As an id (converted to a UUIDv5 or refused) it matches nothing.
        if (!s.includes("/") && [...s].length <= 255)
          expect(await search({ "=": { id: s } })).toEqual([]);
      }
      expect(await search({ "=": { display_name: "it's" } })).toEqual(["r3"]);
      expect(await search({ "=": { user_id: "u'4" } })).toEqual(["r5"]);
      expect(await search({ "=": { display_name: "back\\slash" } })).toEqual(["r5"]);
      expect(await search({ like: { display_name: "back\\\\slash" } })).toEqual(["r5"]);
      expect(await search({ like: { display_name: "%\\" } })).toEqual([]);
      expect(await search({ like: { display_name: "%'%" } })).toEqual(["r3", "r4"]);
      expect(await search({ like: { display_name: "%; DROP TABLE%" } })).toEqual(["r4"]);
      expect(await search(`display_name = "${HOSTILE_STRINGS[2]}"`)).toEqual(["r4"]);
      const tables = await db().query("SELECT count(*)::int AS n FROM archive_policy");
      expect(tables.rowCount).toBe(1);
    });

    // --- pagination ---------------------------------------------------------------

    type Val = string | number | boolean | null;

    /** The expected order, computed in JS from the rows' values (code-point strings, spec null placement). */
    async function expectedOrder(sorts: string[], history: boolean): Promise<string[]> {
      const keys = [...sorts.map((s) => s.split(":")[0]!)];
      if (!keys.includes("id")) sorts = [...sorts, "id:asc"];
      if (history && !keys.includes("revision")) sorts = [...sorts, "revision:asc"];
      const columns = resourceColumns(f.target, { history });
      const select = sorts
        .map((s, i) => `${columns.get(s.split(":")[0]!)!.sql} AS k${i}`)
        .join(", ");
      const source = resourceSource(f.target, { history });
      const r = await db().query<Record<string, Val>>(
        `SELECT r.id::text AS rid, ${history ? "r.revision" : "-1"} AS rrev, ${select} FROM ${source.sql}`,
      );
      const rows = [...r.rows];
      const cmp = (a: Val, b: Val): number => {
        if (typeof a === "string" && typeof b === "string")
          return Buffer.compare(Buffer.from(a), Buffer.from(b));
        return (a as number) < (b as number) ? -1 : (a as number) > (b as number) ? 1 : 0;
      };
      rows.sort((x, y) => {
        for (const [i, s] of sorts.entries()) {
          const dir = s.split(":")[1] ?? "asc";
          const desc = dir.startsWith("desc");
          const nullsFirst = dir.endsWith("nullsfirst") || (desc && !dir.endsWith("nullslast"));
          const a = x[`k${i}`] ?? null;
          const b = y[`k${i}`] ?? null;
          if (a === null && b === null) continue;
          if (a === null) return nullsFirst ? -1 : 1;
          if (b === null) return nullsFirst ? 1 : -1;
          const c = cmp(a, b);
          if (c !== 0) return desc ? -c : c;
        }
        return 0;
      });
      return rows.map((row) => (history ? `${row.rid}@${row.rrev}` : String(row.rid)));
    }

    /** Walks every page (limit 2) with markers; returns the concatenated keys. */
    async function walk(sort: string[] | undefined, history = false): Promise<string[]> {
      const out: string[] = [];
      let marker: string | undefined;
      for (let guard = 0; guard < 20; guard++) {
        const columns = resourceColumns(f.target, { history });
        const p = parsePagination(
          { limit: "2", ...(marker ? { marker } : {}), ...(sort ? { sort } : {}) },
          {
            columns,
            defaults: RESOURCE_DEFAULT_SORT,
            tiebreakers: history ? HISTORY_TIEBREAKERS : RESOURCE_TIEBREAKERS,
            maxLimit: 4,
          },
        );
        const source = resourceSource(f.target, { history });
        const after = await markerCondition(db(), p, { source, columns, history });
        const q = sqlf`SELECT r.id::text AS id, ${history ? sqlf`r.revision` : sqlf`-1`} AS revision FROM ${source}
          WHERE ${after} ORDER BY ${orderBy(p.sorts, columns)} LIMIT ${p.limit}`;
        const r = await db().query<{ id: string; revision: number }>(q.sql, q.params);
        const keys = r.rows.map((row) => (history ? `${row.id}@${row.revision}` : row.id));
        out.push(...keys);
        if (keys.length < p.limit) return out;
        marker = keys[keys.length - 1];
      }
      throw new Error("pagination does not end");
    }

    it("sorts with defaults, directions and null placement, and pages by marker", async () => {
      expect(await walk(undefined)).toEqual(await expectedOrder([...RESOURCE_DEFAULT_SORT], false));
      expect((await walk(undefined)).slice(0, 3)).toEqual([f.ids[5], f.ids[4], f.ids[3]]);
      for (const sort of [
        ["user_id"],
        ["user_id:asc"],
        ["user_id:desc"],
        ["user_id:asc-nullsfirst"],
        ["user_id:desc-nullslast"],
        ["size:desc-nullslast"],
        ["size:asc-nullsfirst", "user_id:desc"],
        ["ended_at:asc-nullsfirst", "display_name:desc"],
        ["enabled:desc", "launched_at:asc"],
        ["created_by_project_id", "id:desc"],
        ["myid", "project_id:desc-nullslast", "creator"],
      ]) {
        const got = await walk(sort);
        expect(got, sort.join(",")).toEqual(await expectedOrder(sort, false));
        expect(got).toHaveLength(6);
      }
    });

    it("pages through history with id@revision markers", async () => {
      for (const sort of [
        undefined,
        ["display_name:asc"],
        ["id:desc"],
        ["revision_end:desc-nullslast", "size"],
      ]) {
        const got = await walk(sort, true);
        expect(got, String(sort)).toEqual(
          await expectedOrder(sort ?? [...RESOURCE_DEFAULT_SORT], true),
        );
        expect(got).toHaveLength(7);
      }
      const p = parsePagination(
        { marker: f.ids[0]! },
        {
          columns: resourceColumns(f.target, { history: true }),
          defaults: RESOURCE_DEFAULT_SORT,
          tiebreakers: HISTORY_TIEBREAKERS,
        },
      );
      await expect(
        markerCondition(db(), p, {
          source: resourceSource(f.target, { history: true }),
          columns: resourceColumns(f.target, { history: true }),
          history: true,
        }),
      ).rejects.toThrow(`Invalid pagination: \`Invalid marker: \`${f.ids[0]!}''`);
    });

    async function page(
      input: { limit?: unknown; marker?: string; sort?: string[] },
      history = false,
    ) {
      const columns = resourceColumns(f.target, { history });
      const p = parsePagination(input, {
        columns,
        defaults: RESOURCE_DEFAULT_SORT,
        tiebreakers: history ? HISTORY_TIEBREAKERS : RESOURCE_TIEBREAKERS,
      });
      return markerCondition(db(), p, {
        source: resourceSource(f.target, { history }),
        columns,
        history,
      });
    }

    it("refuses bad sort keys, directions, markers and limits with Gnocchi's texts", async () => {
      await expect(page({ sort: ["nope:asc"] })).rejects.toThrow(
        "Invalid pagination: `Sort key supplied is invalid: nope'",
      );
      await expect(page({ sort: ["id:sideways"] })).rejects.toThrow(
        "Invalid pagination: `Unknown sort direction, must be one of: asc-nullsfirst, asc-nullslast, desc-nullsfirst, desc-nullslast'",
      );
      await expect(page({ sort: ["lifespan"] })).rejects.toThrow(InvalidPaginationError);
      await expect(page({ marker: randomUUID() })).rejects.toThrow(
        /^Invalid pagination: `Invalid marker: `/,
      );
      for (const s of HOSTILE_STRINGS) {
        await expect(page({ sort: [s] })).rejects.toThrow(InvalidPaginationError);
        await expect(page({ sort: [`id:${s}`] })).rejects.toThrow(InvalidPaginationError);
        await expect(page({ marker: s })).rejects.toThrow(`Invalid marker: \`${s}'`);
        await expect(page({ marker: `${f.ids[0]!}@${s}` }, true)).rejects.toThrow(
          InvalidPaginationError,
        );
      }
      expect(() => parseLimit("-2")).toThrow(
        "value must be at least 1 for dictionary value @ data['limit']",
      );
      expect(() => parseLimit("invalid")).toThrow(
        "expected int for dictionary value @ data['limit']",
      );
      expect(parseLimit("7", 1000)).toBe(7);
      expect(parseLimit(5000, 1000)).toBe(1000);
      expect(parseLimit(undefined, 7)).toBe(7);
    });
  },
  { upgrade: true },
);
