/** The WriteRequest scanner against protobufjs-encoded and hand-built messages. */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { InvalidWriteError } from "../../src/remote-write/errors.js";
import { hashBytes } from "../../src/remote-write/key-hash.js";
import { decodeLabels } from "../../src/remote-write/labels.js";
import {
  type DecodedWrite,
  decodeWriteRequest,
  MAX_TIMESTAMP_MS,
  seriesKey,
} from "../../src/remote-write/write-request.js";
import { encodeWriteRequest, series, type TestSeries, WriteRequestType } from "./proto.js";

const bits = (x: number) => {
  const v = new DataView(new ArrayBuffer(8));
  v.setFloat64(0, x, true);
  return v.getBigUint64(0, true);
};

function samplesOf(d: DecodedWrite, i: number): [number, number][] {
  const out: [number, number][] = [];
  for (let k = d.sampleStart[i]!; k < d.sampleStart[i]! + d.sampleCount[i]!; k++) {
    out.push([d.timestamps[k]!, d.values[k]!]);
  }
  return out;
}

function labelsOf(d: DecodedWrite, i: number) {
  const { bytes, start, end } = seriesKey(d, i);
  return decodeLabels(bytes, start, end).pairs;
}

const labelName = fc.stringMatching(/^[a-zA-Z_][a-zA-Z0-9_]{0,12}$/);
const arbSeries: fc.Arbitrary<TestSeries> = fc
  .record({
    name: fc.stringMatching(/^[a-zA-Z_:][a-zA-Z0-9_:]{0,20}$/),
    others: fc.uniqueArray(fc.tuple(labelName, fc.string({ minLength: 1, maxLength: 20 })), {
      maxLength: 8,
      selector: (p) => p[0],
    }),
    samples: fc.array(
      fc.record({
        value: fc.double(),
        timestamp: fc.integer({ min: 0, max: MAX_TIMESTAMP_MS }),
      }),
      { minLength: 1, maxLength: 5 },
    ),
  })
  .map(({ name, others, samples }) => ({
    labels: [["__name__", name] as const, ...others.filter(([n]) => n !== "__name__")],
    samples,
  }));

describe("decodeWriteRequest", () => {
  it("round-trips what protobufjs encodes", () => {
    fc.assert(
      fc.property(fc.array(arbSeries, { maxLength: 20 }), (list) => {
        const d = decodeWriteRequest(encodeWriteRequest({ series: list }));
        expect(d.seriesCount).toBe(list.length);
        let total = 0;
        list.forEach((s, i) => {
          const expected = [...s.labels].sort((a, b) => (a[0] < b[0] ? -1 : 1));
          expect(labelsOf(d, i)).toEqual(expected);
          const got = samplesOf(d, i);
          expect(got.map(([t]) => t)).toEqual(s.samples.map((x) => x.timestamp * 1000));
          expect(got.map(([, v]) => bits(v))).toEqual(s.samples.map((x) => bits(x.value)));
          total += s.samples.length;
        });
        expect(d.sampleTotal).toBe(total);
      }),
      { numRuns: 200 },
    );
  });

  it("keeps NaN (staleness markers), infinities and -0 bit for bit", () => {
    const values = [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, -0, 1e-300];
    const d = decodeWriteRequest(
      encodeWriteRequest({
        series: [
          series(
            { __name__: "x" },
            values.map((v, i) => [1000 + i, v] as const),
          ),
        ],
      }),
    );
    expect(samplesOf(d, 0).map(([, v]) => bits(v))).toEqual(values.map(bits));
  });

  it("stores Prometheus' staleness marker, a signalling NaN, with its exact bits", () => {
    // Built by hand: a JS number holding it may lose the pattern on the way to protobufjs.
    const w = protobuf();
    const label = w.msg(1, w.msg(1, w.str("__name__")), w.msg(2, w.str("up")));
    const stale = [0x09, 2, 0, 0, 0, 0, 0, 0xf0, 0x7f, 0x10, 0x05];
    const d = decodeWriteRequest(new Uint8Array(w.msg(1, label, w.msg(2, stale))));
    const words = new Uint32Array(d.values.buffer, d.values.byteOffset, 2);
    expect([words[0], words[1]]).toEqual([2, 0x7ff00000]);
    expect(Number.isNaN(d.values[0])).toBe(true);
  });

  it("gives the same key bytes and hash to the same label encoding", () => {
    const s = series({ __name__: "up", job: "node", instance: "a:9100" }, [[1, 1]]);
    const d = decodeWriteRequest(
      encodeWriteRequest({ series: [s, series({ __name__: "up" }, [[1, 1]]), s] }),
    );
    expect(d.keyHash[0]).toBe(d.keyHash[2]);
    expect(d.keyHash[0]).not.toBe(d.keyHash[1]);
    const a = seriesKey(d, 0);
    const b = seriesKey(d, 2);
    expect(a.bytes.subarray(a.start, a.end)).toEqual(b.bytes.subarray(b.start, b.end));
    expect(hashBytes(a.bytes, a.start, a.end)).toBe(d.keyHash[0]);
  });

  it("skips metadata, exemplars, histograms and series without samples", () => {
    const d = decodeWriteRequest(
      encodeWriteRequest({
        metadata: [{ type: 1, metricFamilyName: "up", help: "Is it up" }],
        series: [
          {
            ...series({ __name__: "a", job: "j" }, [[5, 1.5]]),
            exemplars: [{ labels: [["trace_id", "abc"]], value: 3, timestamp: 4 }],
            histograms: [{ sum: 10, countInt: 3, timestamp: 5 }],
          },
          {
            labels: [["__name__", "native_only"]],
            samples: [],
            histograms: [{ sum: 1, countInt: 1, timestamp: 5 }],
          },
          series({ __name__: "b" }, [[6, 2.5]]),
        ],
      }),
    );
    expect(d.seriesCount).toBe(2);
    expect(labelsOf(d, 0)).toEqual([
      ["__name__", "a"],
      ["job", "j"],
    ]);
    expect(samplesOf(d, 0)).toEqual([[5000, 1.5]]);
    expect(labelsOf(d, 1)).toEqual([["__name__", "b"]]);
  });

  it("gathers labels interleaved with other fields into one key", () => {
    // TimeSeries { label __name__=up; sample; label job=x } — legal protobuf, unusual order.
    const w = protobuf();
    const label = (n: string, v: string) => w.msg(1, w.msg(1, w.str(n)), w.msg(2, w.str(v)));
    const sample = w.msg(2, [0x09, ...f64(7), 0x10, 0x02]);
    const ts = w.msg(1, label("__name__", "up"), sample, label("job", "x"));
    const d = decodeWriteRequest(new Uint8Array(ts));
    expect(d.keyStart[0]).toBeLessThan(0);
    const contiguous = decodeWriteRequest(
      new Uint8Array(w.msg(1, label("__name__", "up"), label("job", "x"), sample)),
    );
    const a = seriesKey(d, 0);
    const b = seriesKey(contiguous, 0);
    expect(a.bytes.subarray(a.start, a.end)).toEqual(b.bytes.subarray(b.start, b.end));
    expect(d.keyHash[0]).toBe(contiguous.keyHash[0]);
    expect(samplesOf(d, 0)).toEqual([[2000, 7]]);
  });

  it("reads samples whatever their field order, with defaults for missing fields", () => {
    const w = protobuf();
    const label = w.msg(1, w.msg(1, w.str("__name__")), w.msg(2, w.str("m")));
    const reversed = w.msg(2, [0x10, 0x03, 0x09, ...f64(1.25)]);
    const empty = w.msg(2, []);
    const d = decodeWriteRequest(new Uint8Array(w.msg(1, label, reversed, empty)));
    expect(samplesOf(d, 0)).toEqual([
      [3000, 1.25],
      [0, 0],
    ]);
  });

  it("refuses timestamps before 1970 and past 2255", () => {
    for (const timestamp of [-1, -1_000_000_000_000, MAX_TIMESTAMP_MS + 1]) {
      const body = encodeWriteRequest({ series: [series({ __name__: "x" }, [[timestamp, 1]])] });
      expect(() => decodeWriteRequest(body)).toThrow(
        timestamp < 0 ? /before 1970/ : /after year 2255/,
      );
    }
  });

  it("refuses malformed protobuf with InvalidWriteError", () => {
    const cases: number[][] = [
      [0x0a, 0x05, 0x01], // length past the end
      [0x00], // field 0
      [0x08, 0x01], // timeseries as a varint
      [0x0a, 0x02, 0x10, 0x01], // labels... no: samples (field 2) as varint inside a series
      [0x0a, 0x05, 0x0a, 0x01, 0x00, 0x12, 0x00], // label holding field 0 (checked when decoded)
      [0x0b], // group start
      [0x0a, 0x04, 0x12, 0x02, 0x09, 0x00], // sample value cut short
      [0x1a, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01], // length varint too long
    ];
    for (const bytes of cases) {
      const run = () => {
        const d = decodeWriteRequest(new Uint8Array(bytes));
        for (let i = 0; i < d.seriesCount; i++) labelsOf(d, i);
      };
      expect(run, JSON.stringify(bytes)).toThrow(InvalidWriteError);
    }
  });

  it("never throws anything but InvalidWriteError on truncated or random bodies", () => {
    const body = encodeWriteRequest({
      series: [
        series({ __name__: "node_cpu_seconds_total", cpu: "0", mode: "idle" }, [[1e12, 3.5]]),
        series({ __name__: "up", job: "node" }, [
          [1e12, 1],
          [1e12 + 15000, 1],
        ]),
      ],
    });
    for (let cut = 0; cut < body.length; cut++) {
      try {
        const d = decodeWriteRequest(body.subarray(0, cut));
        for (let i = 0; i < d.seriesCount; i++) labelsOf(d, i);
      } catch (error) {
        expect(error).toBeInstanceOf(InvalidWriteError);
      }
    }
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        try {
          const d = decodeWriteRequest(bytes);
          for (let i = 0; i < d.seriesCount; i++) labelsOf(d, i);
        } catch (error) {
          expect(error).toBeInstanceOf(InvalidWriteError);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it("decodes what protobufjs decodes (cross-check on a large request)", () => {
    const list = fc.sample(arbSeries, { numRuns: 500, seed: 42 });
    const body = encodeWriteRequest({ series: list });
    const reference = WriteRequestType.toObject(WriteRequestType.decode(body), {
      longs: Number,
    }) as { timeseries: { samples: { timestamp?: number }[] }[] };
    const d = decodeWriteRequest(body);
    expect(d.seriesCount).toBe(reference.timeseries.length);
    reference.timeseries.forEach((ts, i) => {
      expect(samplesOf(d, i).map(([t]) => t)).toEqual(
        ts.samples.map((s) => (s.timestamp ?? 0) * 1000),
      );
    });
  });
});

function f64(x: number): number[] {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setFloat64(0, x, true);
  return [...b];
}

/** A tiny hand encoder for messages protobufjs would not produce. */
function protobuf() {
  const varint = (n: number) => {
    const out: number[] = [];
    while (n >= 0x80) {
      out.push((n & 0x7f) | 0x80);
      n = Math.floor(n / 128);
    }
    out.push(n);
    return out;
  };
  return {
    str: (s: string) => [...new TextEncoder().encode(s)],
    msg: (field: number, ...parts: number[][]) => {
      const body = parts.flat();
      return [...varint((field << 3) | 2), ...varint(body.length), ...body];
    },
  };
}
