/** The statsd line parser, series identities and the per-interval accumulator. */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { resourceIdFromInput } from "../../src/indexer/resource-id.js";
import { Accumulator, type FlushItem } from "../../src/statsd/accumulator.js";
import { type BadLineReason, ParsedLine, parseDecimal, parseLine } from "../../src/statsd/line.js";
import { prometheusName, seriesIdentity } from "../../src/statsd/series.js";

function parse(text: string) {
  const out = new ParsedLine();
  const bad = parseLine(text, 0, text.length, out);
  if (bad !== undefined) return bad;
  return {
    name: text.slice(out.nameStart, out.nameEnd),
    value: text.slice(out.valueStart, out.valueEnd),
    type: out.type,
    rate: out.rate,
    tags: out.tagsStart < 0 ? null : text.slice(out.tagsStart, out.tagsEnd),
    relative: out.relative,
    values: out.type === "s" ? [] : [...out.values.subarray(0, out.count)],
  };
}

describe("parseDecimal", () => {
  it.each([
    ["0", 0],
    ["42", 42],
    ["-3", -3],
    ["+5", 5],
    ["12.34", 12.34],
    ["0.1", 0.1],
    [".5", 0.5],
    ["5.", 5],
    ["1e3", 1000],
    ["-2.5E-2", -0.025],
    ["123456789012345.6", 123456789012345.6],
    ["0.30000000000000004", 0.30000000000000004],
  ])("reads %s", (text, value) => {
    expect(parseDecimal(text, 0, text.length)).toBe(value);
  });

  it.each([
    "",
    "-",
    "+",
    ".",
    "abc",
    "1a",
    "NaN",
    "Infinity",
    "1e",
    "1e+",
    "0x10",
    " 1",
    "1 ",
    "1e999",
    "1..2",
  ])("refuses %j", (text) => {
    expect(parseDecimal(text, 0, text.length)).toBeNaN();
  });

  it("agrees with Number() on decimal strings", () => {
    fc.assert(
      fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), (x) => {
        const text = String(x);
        if (/[a-zA-Z]/.test(text.replace(/e/, ""))) return;
        expect(parseDecimal(text, 0, text.length)).toBe(Number(text));
      }),
      { numRuns: 2000 },
    );
    fc.assert(
      fc.property(fc.integer({ min: -1e9, max: 1e9 }), fc.integer({ min: 0, max: 6 }), (m, k) => {
        const text = (m / 10 ** k).toFixed(k);
        expect(parseDecimal(text, 0, text.length)).toBe(Number(text));
      }),
    );
  });
});

describe("parseLine", () => {
  it("reads Gnocchi's lines", () => {
    expect(parse("page.views:1|c")).toMatchObject({ name: "page.views", type: "c", values: [1] });
    expect(parse("test_counter:2|c|@0.2")).toMatchObject({ rate: 0.2, values: [2] });
    expect(parse("cpu:45.5|g")).toMatchObject({ type: "g", values: [45.5], relative: false });
    expect(parse("db.query:320|ms")).toMatchObject({ type: "ms", values: [320] });
  });

  it("reads the extensions: sets, relative gauges, histograms, multi-values, tags", () => {
    expect(parse("users:alice|s")).toMatchObject({ type: "s", value: "alice" });
    expect(parse("users:a:b|s")).toMatchObject({ type: "s", value: "a:b" });
    expect(parse("g:+5|g")).toMatchObject({ relative: true, values: [5] });
    expect(parse("g:-3|g")).toMatchObject({ relative: true, values: [-3] });
    expect(parse("h:1:2:3.5|h|@0.5")).toMatchObject({ type: "h", values: [1, 2, 3.5], rate: 0.5 });
    expect(parse("d:7|d")).toMatchObject({ type: "d", values: [7] });
    expect(parse("t:1:2|ms")).toMatchObject({ values: [1, 2] });
    expect(parse("req:1|c|#env:prod,host:h1|@0.1")).toMatchObject({
      tags: "env:prod,host:h1",
      rate: 0.1,
    });
    expect(parse("req:1|c|@1|#a|c:container123|T1656581400")).toMatchObject({ tags: "a" });
    expect(parse("crlf:1|c\r")).toMatchObject({ name: "crlf", values: [1] });
  });

  it.each<[string, BadLineReason]>([
    ["novalue", "no_value"],
    ["name|c", "no_value"],
    ["name:1", "no_value"],
    [":1|c", "empty_name"],
    ["x:|c", "bad_value"],
    ["x:abc|c", "bad_value"],
    ["x:1:2|c", "bad_value"],
    ["x:1:2|g", "bad_value"],
    ["x:NaN|g", "bad_value"],
    ["x:inf|ms", "bad_value"],
    ["x:1|", "bad_type"],
    ["x:1|q", "bad_type"],
    ["x:1|cc", "bad_type"],
    ["x:1|msx", "bad_type"],
    ["x:1|c|@0", "bad_sample_rate"],
    ["x:1|c|@2", "bad_sample_rate"],
    ["x:1|c|@x", "bad_sample_rate"],
    ["x:1|c|@-0.5", "bad_sample_rate"],
    ["x:1|g|@0.5", "sample_rate_not_allowed"],
    ["x:a|s|@0.5", "sample_rate_not_allowed"],
    ["x:1|c|zzz", "bad_field"],
    ["x:1|c|", "bad_field"],
  ])("refuses %j (%s)", (line, reason) => {
    expect(parse(line)).toBe(reason);
  });

  it("never throws on garbage", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary", maxLength: 60 }), (text) => {
        const r = parse(text);
        if (typeof r !== "string") {
          for (const v of r.values) expect(Number.isFinite(v)).toBe(true);
        }
      }),
      { numRuns: 1000 },
    );
  });
});

describe("seriesIdentity", () => {
  const context = { resourceTag: "host", creator: "admin" };

  it("names metrics as Gnocchi, with sorted tags, and labels them for PromQL", () => {
    expect(seriesIdentity("page.views", "c", null, context)).toEqual({
      metricName: "page.views|c",
      resource: null,
      labels: { __name__: "page_views", statsd_type: "c" },
    });
    expect(seriesIdentity("api/latency", "ms", "zone:b,env:prod,canary", context)).toEqual({
      metricName: "api_latency|ms@canary,env=prod,zone=b",
      resource: null,
      labels: {
        __name__: "api_latency",
        statsd_type: "ms",
        canary: "true",
        env: "prod",
        zone: "b",
      },
    });
  });

  it("attaches series with the resource tag to a resource per value", () => {
    expect(seriesIdentity("cpu", "g", "host:web-1,service.name:api", context)).toEqual({
      metricName: "cpu|g@service.name=api",
      resource: { id: resourceIdFromInput("web-1", "admin"), originalId: "web-1" },
      labels: { __name__: "cpu", statsd_type: "g", host: "web-1", service_name: "api" },
    });
    expect(seriesIdentity("cpu", "g", "host:a/b", context)).toBe("bad_resource_tag");
    expect(seriesIdentity("cpu", "g", "host", context)).toBe("bad_resource_tag");
    expect(seriesIdentity("cpu", "g", "host:x", { ...context, resourceTag: null })).toMatchObject({
      resource: null,
      metricName: "cpu|g@host=x",
    });
  });

  it("refuses bad tags and over-long names", () => {
    expect(seriesIdentity("x", "c", ":v", context)).toBe("bad_tags");
    expect(seriesIdentity("x", "c", "__name__:v", context)).toBe("reserved_tag");
    expect(seriesIdentity("x", "c", "statsd_type:v", context)).toBe("reserved_tag");
    expect(seriesIdentity("x", "c", `k:${"v".repeat(3000)}`, context)).toBe("bad_tags");
    expect(seriesIdentity("x".repeat(254), "c", null, context)).toBe("name_too_long");
    expect(seriesIdentity("x".repeat(251), "ms", null, context)).toMatchObject({
      metricName: `${"x".repeat(251)}|ms`,
    });
  });

  it("makes Prometheus names", () => {
    expect(prometheusName("a.b-c/d")).toBe("a_b_c_d");
    expect(prometheusName("9lives")).toBe("_9lives");
    expect(prometheusName("ok_Name1")).toBe("ok_Name1");
  });
});

describe("Accumulator", () => {
  const context = { resourceTag: "host", creator: "admin", maxSeries: 100, idleFlushes: 2 };
  const bad: BadLineReason[] = [];
  const sink = { bad: (reason: BadLineReason) => bad.push(reason) };
  const flat = (items: FlushItem[]) =>
    Object.fromEntries(
      items.map((i) => [i.series.identity.metricName, [[...i.timestamps], [...i.values]]]),
    );

  it("sums counters per interval with sample rates (Gnocchi's example)", () => {
    const acc = new Accumulator(context);
    expect(acc.addText("test_counter:1|c", 1000, sink)).toBe(1);
    expect(flat(acc.drain())).toEqual({ "test_counter|c": [[1000], [1]] });
    acc.addText("test_counter:45|c\ntest_counter:2|c|@0.2", 2000, sink);
    expect(flat(acc.drain())).toEqual({ "test_counter|c": [[2000], [55]] });
    // Nothing received: nothing emitted.
    expect(acc.drain()).toEqual([]);
  });

  it("keeps the last gauge, applies relative ones, counts set members", () => {
    const acc = new Accumulator(context);
    acc.addText("g:45|g\ng:2|g\nu:a|s\nu:b|s\nu:a|s", 1000, sink);
    expect(flat(acc.drain())).toEqual({ "g|g": [[1000], [2]], "u|s": [[1000], [2]] });
    acc.addText("g:+5|g\ng:-3|g\nfresh:-4|g", 2000, sink);
    expect(flat(acc.drain())).toEqual({ "g|g": [[2000], [4]], "fresh|g": [[2000], [-4]] });
    acc.addText("u:c|s", 3000, sink);
    expect(flat(acc.drain())).toEqual({ "u|s": [[3000], [1]] });
  });

  it("keeps every timing, with strictly increasing timestamps", () => {
    const acc = new Accumulator(context);
    acc.addText("t:5|ms\nt:1:2|ms|@0.5\nh:3|h", 1000, sink);
    acc.addText("t:9|ms", 1001, sink);
    acc.addText("t:7|ms", 5000, sink);
    expect(flat(acc.drain())).toEqual({
      "t|ms": [
        [1000, 1001, 1002, 1003, 5000],
        [5, 1, 2, 9, 7],
      ],
      "h|h": [[1000], [3]],
    });
    // Timestamps stay above the previous flush's.
    acc.addText("t:1|ms", 4000, sink);
    acc.addText("c:1|c", 1, sink);
    expect(flat(acc.drain())).toEqual({ "t|ms": [[5001], [1]], "c|c": [[1], [1]] });
  });

  it("merges spellings of one series, skips bad lines alone, forgets idle series", () => {
    bad.length = 0;
    const acc = new Accumulator(context);
    const lines = acc.addText(
      "r:1|c|#b:2,a:1\nbroken\n\nr:2|c|#a:1,b:2\r\nr:1|c|#a:1,b:3\nx:1|c|#__x:1",
      1000,
      sink,
    );
    expect(lines).toBe(5);
    expect(bad).toEqual(["no_value", "reserved_tag"]);
    expect(flat(acc.drain())).toEqual({
      "r|c@a=1,b=2": [[1000], [3]],
      "r|c@a=1,b=3": [[1000], [1]],
    });
    expect(acc.size).toBe(2);
    acc.addText("r:1|c|#a:1,b:3", 2000, sink);
    acc.drain();
    acc.drain();
    acc.drain();
    expect(acc.size).toBe(1); // a=1,b=2 idle for 3 flushes (> 2)
    acc.drain();
    acc.drain();
    expect(acc.size).toBe(0);
  });

  it("refuses new series beyond the limit", () => {
    bad.length = 0;
    const acc = new Accumulator({ ...context, maxSeries: 2 });
    acc.addText("a:1|c\nb:1|c\nc:1|c\na:1|c", 1000, sink);
    expect(bad).toEqual(["too_many_series"]);
    expect(Object.keys(flat(acc.drain()))).toEqual(["a|c", "b|c"]);
  });
});
