/** The line-protocol parser, the point → metric mapping and the CREATE DATABASE query. */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  LineProtocolError,
  parseLineProtocol,
  parsePrecision,
} from "../../src/influxdb/line-protocol.js";
import { groupPoints, MissingResourceTagError } from "../../src/influxdb/measures.js";
import { parseCreateDatabase } from "../../src/influxdb/query.js";

const one = (line: string, precision?: Parameters<typeof parseLineProtocol>[1]) => {
  const points = parseLineProtocol(line, precision);
  expect(points).toHaveLength(1);
  return points[0]!;
};

const failure = (text: string): LineProtocolError => {
  try {
    parseLineProtocol(text);
  } catch (error) {
    expect(error).toBeInstanceOf(LineProtocolError);
    return error as LineProtocolError;
  }
  throw new Error(`parsed: ${JSON.stringify(text)}`);
};

describe("parseLineProtocol", () => {
  it("reads measurement, tags, fields and a nanosecond timestamp", () => {
    const p = one("mymetric,host=foobar,mytag=myvalue field=123 1510581804179554816");
    expect(p.measurement).toBe("mymetric");
    expect([...p.tags]).toEqual([
      ["host", "foobar"],
      ["mytag", "myvalue"],
    ]);
    expect(p.fields).toEqual([["field", 123]]);
    // Digits after the microsecond are dropped.
    expect(p.timestamp).toBe(1510581804179554);
    expect(p.line).toBe(1);
  });

  it("reads every kind of field value", () => {
    const p = one('m a=43i,b=-5i,c=7u,d=1.5,e=-2.5e3,f=+4,g=.25,h=1.,i="a \\"b\\" c",j=1E2 1');
    expect(p.fields).toEqual([
      ["a", 43],
      ["b", -5],
      ["c", 7],
      ["d", 1.5],
      ["e", -2500],
      ["f", 4],
      ["g", 0.25],
      ["h", 1],
      ["i", 'a "b" c'],
      ["j", 100],
    ]);
  });

  it("unescapes identifiers and accepts quoted ones", () => {
    const p = one(
      'my\\ measure,path=/foo\\,bar,k\\=ey=v\\\\x,"quoted key"="quoted, value" f\\ 1=1',
    );
    expect(p.measurement).toBe("my measure");
    expect(Object.fromEntries(p.tags)).toEqual({
      path: "/foo,bar",
      "k=ey": "v\\x",
      "quoted key": "quoted, value",
    });
    expect(p.fields).toEqual([["f 1", 1]]);
    // A backslash before any other character is kept.
    expect(one("a\\b f=1").measurement).toBe("a\\b");
  });

  it("has no timestamp when none is given, and honours the precision", () => {
    expect(one("m f=1").timestamp).toBeUndefined();
    expect(one("m f=1 1500000000", "s").timestamp).toBe(1_500_000_000_000_000);
    expect(one("m f=1 1500000000123", "ms").timestamp).toBe(1_500_000_000_123_000);
    expect(one("m f=1 1500000000123456", "u").timestamp).toBe(1_500_000_000_123_456);
    expect(one("m f=1 25000000", "m").timestamp).toBe(25_000_000 * 60_000_000);
    expect(one("m f=1 400000", "h").timestamp).toBe(400_000 * 3_600_000_000);
    expect(parsePrecision("n")).toBe("ns");
    expect(parsePrecision("us")).toBe("u");
    expect(parsePrecision("d")).toBeUndefined();
    expect(parsePrecision("__proto__")).toBeUndefined();
  });

  it("skips empty and blank lines, counts them, accepts CRLF and trailing blanks", () => {
    const points = parseLineProtocol("\n  \nm f=1\r\n\nm f=2 5  \n");
    expect(points.map((p) => [p.line, p.fields[0]![1], p.timestamp])).toEqual([
      [3, 1, undefined],
      [5, 2, 0],
    ]);
    expect(parseLineProtocol("")).toEqual([]);
  });

  it("names the failing line and where it fails", () => {
    const e = failure("m f=1\nm f=2\ncpu,host f=1");
    expect(e.line).toBe(3);
    expect(e.message).toBe("Unable to parse line 3");
    expect(e.column).toBe(9);
    expect(e.problem).toBe("expected '=' after a tag key");
  });

  it.each([
    ["no fields", "cpu"],
    ["no fields after tags", "cpu,host=a"],
    ["two spaces", "cpu  f=1"],
    ["empty tag value", "cpu,host= f=1"],
    ["empty measurement", ",host=a f=1"],
    ["boolean field (as Gnocchi)", "cpu f=true"],
    ["bare word field", "cpu f=abc"],
    ["unterminated string", 'cpu f="abc'],
    ["trailing garbage after the timestamp", "cpu f=1 12abc"],
    ["garbage after a field", "cpu f=1x"],
    ["non-numeric timestamp", "cpu f=1 abc"],
    ["negative timestamp", "cpu f=1 -5"],
    ["timestamp out of range", "cpu f=1 99999999999999999999999"],
    ["infinite number", "cpu f=1e999"],
    ["NaN", "cpu f=NaN"],
    ["exponent without digits", "cpu f=1e"],
    ["negative unsigned", "cpu f=-1u"],
    ["trailing comma in fields", "cpu f=1,"],
    ["empty field key", "cpu =1"],
  ])("refuses %s", (_, line) => {
    expect(failure(line).line).toBe(1);
  });

  it("never throws anything but LineProtocolError on random input", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary", maxLength: 80 }), (text) => {
        try {
          for (const p of parseLineProtocol(text)) {
            expect(p.fields.length).toBeGreaterThan(0);
            for (const [, v] of p.fields) if (typeof v === "number") expect(v).not.toBeNaN();
          }
        } catch (error) {
          expect(error).toBeInstanceOf(LineProtocolError);
        }
      }),
      { numRuns: 500 },
    );
  });

  it("round-trips generated lines", () => {
    const ident = fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_./-]{0,10}$/);
    fc.assert(
      fc.property(
        ident,
        fc.dictionary(ident, ident, { maxKeys: 4 }),
        fc.dictionary(ident, fc.integer({ min: -1e9, max: 1e9 }), { minKeys: 1, maxKeys: 4 }),
        fc.option(fc.bigInt({ min: 0n, max: 9_000_000_000_000_000_000n })),
        (measurement, tags, fields, ts) => {
          const tagText = Object.entries(tags)
            .map(([k, v]) => `,${k}=${v}`)
            .join("");
          const fieldText = Object.entries(fields)
            .map(([k, v]) => `${k}=${v}i`)
            .join(",");
          const line = `${measurement}${tagText} ${fieldText}${ts === null ? "" : ` ${ts}`}`;
          const p = one(line);
          expect(p.measurement).toBe(measurement);
          expect(Object.fromEntries(p.tags)).toEqual(tags);
          expect(Object.fromEntries(p.fields)).toEqual(fields);
          expect(p.timestamp).toBe(ts === null ? undefined : Number(ts / 1000n));
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe("groupPoints", () => {
  it("maps points to resources and metric names as Gnocchi does", () => {
    const points = parseLineProtocol(
      [
        "mymetric,host=foobar,mytag=myvalue field=123 1510581804179554816",
        'cpu,path=/foobar,mytag=myvalue field=43i,s="skipped" 1510581804179554816',
        "cpu,mytag=myvalue,b=2,a=1 x=1,y=2",
      ].join("\n"),
    );
    const byMytag = groupPoints(points, "mytag", 42);
    expect([...byMytag.keys()]).toEqual(["myvalue"]);
    const metrics = byMytag.get("myvalue")!;
    expect(Object.fromEntries(metrics)).toEqual({
      "mymetric.field@host=foobar": { timestamps: [1510581804179554], values: [123] },
      "cpu.field@path=_foobar": { timestamps: [1510581804179554], values: [43] },
      "cpu.x@a=1,b=2": { timestamps: [42], values: [1] },
      "cpu.y@a=1,b=2": { timestamps: [42], values: [2] },
    });
  });

  it("names the missing resource tag, and creates nothing for string-only points", () => {
    const points = parseLineProtocol('m,host=h1 f="x"\nm,host=h2 f=1');
    expect([...groupPoints(points, "host", 0).keys()]).toEqual(["h2"]);
    const error = (() => {
      try {
        groupPoints(parseLineProtocol("m,host=a f=1\nm f=1"), "host", 0);
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(MissingResourceTagError);
    expect((error as Error).message).toBe("Unable to find key `host' in tags");
    expect((error as MissingResourceTagError).line).toBe(2);
  });
});

describe("parseCreateDatabase", () => {
  it.each([
    ["create database influxdbtest", "influxdbtest"],
    ["CREATE DATABASE Foo_1;", "Foo_1"],
    ["  Create   Database\t_x ; ", "_x"],
    ['create database "with \\"quotes\\" and spaces"', 'with "quotes" and spaces'],
  ])("reads %j", (query, name) => {
    expect(parseCreateDatabase(query)).toBe(name);
  });

  it.each([
    "select metrics plz",
    "create database",
    "create database 1abc",
    "create database foo bar",
    "createdatabase foo",
    "drop database foo",
    'create database "unterminated',
  ])("does not implement %j", (query) => {
    expect(parseCreateDatabase(query)).toBeUndefined();
  });
});
