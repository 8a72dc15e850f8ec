import { describe, expect, it } from "vitest";
import {
  ident,
  parseTimestampText,
  SQLSTATE,
  sqlState,
  timestampParam,
} from "../../src/indexer/driver.js";
import { describeDrivers } from "./drivers.js";

describe("timestamp helpers", () => {
  it("decodes PostgreSQL timestamp text to exact microseconds", () => {
    expect(parseTimestampText("2014-01-03 02:02:02.123456+00")).toBe(
      Date.UTC(2014, 0, 3, 2, 2, 2) * 1000 + 123_456,
    );
    expect(parseTimestampText("2014-01-03 02:02:02+00")).toBe(Date.UTC(2014, 0, 3, 2, 2, 2) * 1000);
    expect(parseTimestampText("2014-01-03 02:02:02.5")).toBe(
      Date.UTC(2014, 0, 3, 2, 2, 2) * 1000 + 500_000,
    );
    expect(parseTimestampText("2014-01-03 07:32:02.1+05:30")).toBe(
      Date.UTC(2014, 0, 3, 2, 2, 2) * 1000 + 100_000,
    );
    expect(parseTimestampText("1969-12-31 23:59:59.999999+00")).toBe(-1);
    expect(parseTimestampText("infinity")).toBe(Number.POSITIVE_INFINITY);
    expect(() => parseTimestampText("0044-03-15 00:00:00+00 BC")).toThrow(RangeError);
  });

  it("encodes microseconds as an exact ISO parameter", () => {
    expect(timestampParam(Date.UTC(2014, 0, 3, 2, 2, 2) * 1000 + 123_456)).toBe(
      "2014-01-03T02:02:02.123456Z",
    );
    expect(timestampParam(0)).toBe("1970-01-01T00:00:00.000000Z");
    expect(timestampParam(-1)).toBe("1969-12-31T23:59:59.999999Z");
    expect(() => timestampParam(1.5)).toThrow(RangeError);
  });

  it("quotes only generated identifiers", () => {
    expect(ident("rt_0123abcd")).toBe('"rt_0123abcd"');
    for (const bad of ['a"b', "A", "1a", "a-b", "a;--", "", "x".repeat(64)]) {
      expect(() => ident(bad)).toThrow(/unsafe SQL identifier/);
    }
  });
});

describeDrivers("SQL driver", ({ db }) => {
  it("decodes every type the same way", async () => {
    const r = await db().query(
      `SELECT 42::int8 AS i8, 7::int4 AS i4, 1.5::float8 AS f8, 2.50::numeric AS num, true AS b,
              'x'::text AS t, '5B7EBE90-4AD2-4C83-AD2C-F6344884AB70'::uuid AS u,
              '{"a": [1, null]}'::jsonb AS j, ARRAY[3, 1]::int4[] AS ia, ARRAY['a', 'b"c']::text[] AS ta,
              '2014-01-03 02:02:02.123456+00'::timestamptz AS ts, NULL::text AS n, '\\x0102'::bytea AS by`,
    );
    expect(r.rows).toEqual([
      {
        i8: 42,
        i4: 7,
        f8: 1.5,
        num: "2.50",
        b: true,
        t: "x",
        u: "5b7ebe90-4ad2-4c83-ad2c-f6344884ab70",
        j: { a: [1, null] },
        ia: [3, 1],
        ta: ["a", 'b"c'],
        ts: Date.UTC(2014, 0, 3, 2, 2, 2) * 1000 + 123_456,
        n: null,
        by: new Uint8Array([1, 2]),
      },
    ]);
    expect(r.rowCount).toBe(1);
  });

  it("binds parameters of every kind", async () => {
    const ts = Date.UTC(2020, 1, 29, 23, 59, 59) * 1000 + 999_999;
    const r = await db().query<Record<string, unknown>>(
      `SELECT $1::text AS t, $2::int4 AS i, $3::float8 AS f, $4::boolean AS b, $5::timestamptz AS ts,
              $6::jsonb AS j, $7::text[] AS ta, $8::uuid[] AS ua, $9::int4[] AS ia, $10::text AS n`,
      [
        "it's; -- %_\u2603\u{1F600}",
        -3,
        0.1,
        false,
        timestampParam(ts),
        JSON.stringify({ k: "v" }),
        ["a,b", "{c}", 'd"e', "f\\g", ""],
        ["5b7ebe90-4ad2-4c83-ad2c-f6344884ab70"],
        [1, 2],
        null,
      ],
    );
    expect(r.rows[0]).toEqual({
      t: "it's; -- %_\u2603\u{1F600}",
      i: -3,
      f: 0.1,
      b: false,
      ts,
      j: { k: "v" },
      ta: ["a,b", "{c}", 'd"e', "f\\g", ""],
      ua: ["5b7ebe90-4ad2-4c83-ad2c-f6344884ab70"],
      ia: [1, 2],
      n: null,
    });
  });

  it("runs in UTC and keeps microseconds through a table", async () => {
    await db().query("CREATE TABLE t_ts (v timestamptz)");
    const us = Date.UTC(2001, 8, 9, 1, 46, 40) * 1000 + 1;
    await db().query("INSERT INTO t_ts VALUES ($1)", [timestampParam(us)]);
    const r = await db().query<{ v: number; tz: string }>(
      "SELECT v, current_setting('TimeZone') AS tz FROM t_ts",
    );
    expect(r.rows).toEqual([{ v: us, tz: "UTC" }]);
  });

  it("commits a transaction and rolls one back on error", async () => {
    await db().query("CREATE TABLE t_tx (v int4 PRIMARY KEY)");
    const out = await db().transaction(async (tx) => {
      await tx.query("INSERT INTO t_tx VALUES (1)");
      return "done";
    });
    expect(out).toBe("done");
    await expect(
      db().transaction(async (tx) => {
        await tx.query("INSERT INTO t_tx VALUES (2)");
        await tx.query("INSERT INTO t_tx VALUES (1)");
      }),
    ).rejects.toSatisfy((e: unknown) => sqlState(e) === SQLSTATE.UNIQUE_VIOLATION);
    await expect(
      db().transaction(async (tx) => {
        await tx.query("INSERT INTO t_tx VALUES (3)");
        throw new Error("boom");
      }),
    ).rejects.toThrow("boom");
    const r = await db().query<{ v: number }>("SELECT v FROM t_tx ORDER BY v");
    expect(r.rows).toEqual([{ v: 1 }]);
  });

  it("reports affected rows", async () => {
    await db().query("CREATE TABLE t_rc (v int4)");
    expect((await db().query("INSERT INTO t_rc SELECT generate_series(1, 5)")).rowCount).toBe(5);
    expect((await db().query("UPDATE t_rc SET v = v + 1 WHERE v > 2")).rowCount).toBe(3);
    expect((await db().query("DELETE FROM t_rc WHERE v > 100")).rowCount).toBe(0);
    expect((await db().query("SELECT * FROM t_rc")).rowCount).toBe(5);
  });

  it("never interprets parameter text as SQL", async () => {
    await db().query("CREATE TABLE t_inj (v text)");
    const hostile = [
      "'); DROP TABLE t_inj; --",
      "%",
      "_",
      "\\",
      "$1",
      "\u0000".replace("\u0000", "nul"),
      "x".repeat(10_000),
    ];
    for (const v of hostile) await db().query("INSERT INTO t_inj VALUES ($1)", [v]);
    const r = await db().query<{ v: string }>("SELECT v FROM t_inj WHERE v = ANY($1::text[])", [
      hostile,
    ]);
    expect(r.rows.map((x) => x.v).sort()).toEqual([...hostile].sort());
  });
});
