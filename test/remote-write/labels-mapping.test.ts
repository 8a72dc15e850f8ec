/** Label decoding and checks (labels.ts) and the series → resource/metric mapping (series-mapping.ts). */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { labelSetHash } from "../../src/indexer/label-store.js";
import { InvalidWriteError } from "../../src/remote-write/errors.js";
import { decodeLabels, type SeriesLabels } from "../../src/remote-write/labels.js";
import { metricNameOf, seriesTarget } from "../../src/remote-write/series-mapping.js";
import { decodeWriteRequest, seriesKey } from "../../src/remote-write/write-request.js";
import { encodeWriteRequest } from "./proto.js";

function labelsFrom(pairs: [string, string][]): SeriesLabels {
  const d = decodeWriteRequest(
    encodeWriteRequest({ series: [{ labels: pairs, samples: [{ timestamp: 1, value: 1 }] }] }),
  );
  const { bytes, start, end } = seriesKey(d, 0);
  return decodeLabels(bytes, start, end);
}

describe("decodeLabels", () => {
  it("sorts by name and drops empty values", () => {
    expect(
      labelsFrom([
        ["job", "x"],
        ["__name__", "up"],
        ["empty", ""],
        ["a", "1"],
      ]),
    ).toEqual({
      name: "up",
      pairs: [
        ["__name__", "up"],
        ["a", "1"],
        ["job", "x"],
      ],
    });
  });

  it("refuses what Prometheus and the indexer cannot hold, naming the problem", () => {
    const cases: [[string, string][], RegExp][] = [
      [[["job", "x"]], /no __name__/],
      [[["__name__", ""]], /no __name__/],
      [[["__name__", "a-b"]], /invalid metric name "a-b"/],
      [
        [
          ["__name__", "up"],
          ["0a", "1"],
        ],
        /invalid label name "0a"/,
      ],
      [
        [
          ["__name__", "up"],
          ["", "1"],
        ],
        /invalid label name ""/,
      ],
      [
        [
          ["__name__", "up"],
          ["a", "1"],
          ["a", "2"],
        ],
        /duplicate label name "a"/,
      ],
      [
        [
          ["__name__", "up"],
          ["a", "x\u0000y"],
        ],
        /NUL/,
      ],
      [
        [
          ["__name__", "up"],
          ["big", "v".repeat(2048)],
        ],
        /2051 bytes.*more than 2048/,
      ],
      [
        [
          ["__name__", "up"],
          ["big", "v".repeat(1 << 20)],
        ],
        /label "big" has 1048579 bytes/,
      ],
      [
        [
          ["__name__", "up"],
          ...Array.from({ length: 128 }, (_, i) => [`l${i}`, "v"] as [string, string]),
        ],
        /more than 128 labels/,
      ],
    ];
    for (const [pairs, message] of cases) {
      expect(() => labelsFrom(pairs), JSON.stringify(pairs).slice(0, 80)).toThrow(message);
    }
  });

  it("refuses invalid UTF-8 and keeps a byte-order mark", () => {
    const label = (value: number[]) =>
      new Uint8Array([0x0a, 5 + value.length, 0x0a, 0x01, 0x61, 0x12, value.length, ...value]);
    const name = [
      0x0a,
      0x0e,
      0x0a,
      0x08,
      ...new TextEncoder().encode("__name__"),
      0x12,
      0x02,
      0x75,
      0x70,
    ];
    for (const bad of [[0xc3, 0x28], [0xff], [0xed, 0xa0, 0x80]]) {
      const bytes = new Uint8Array([...name, ...label(bad)]);
      expect(() => decodeLabels(bytes, 0, bytes.length)).toThrow(/not valid UTF-8/);
    }
    const bom = new Uint8Array([...name, ...label([0xef, 0xbb, 0xbf, 0x78])]);
    expect(decodeLabels(bom, 0, bom.length).pairs[1]).toEqual(["a", "\ufeffx"]);
  });

  it("throws only InvalidWriteError on arbitrary label bytes", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        try {
          decodeLabels(bytes, 0, bytes.length);
        } catch (error) {
          expect(error).toBeInstanceOf(InvalidWriteError);
        }
      }),
      { numRuns: 3000 },
    );
  });
});

describe("series mapping", () => {
  const labels = (o: Record<string, string>): SeriesLabels => ({
    name: o.__name__!,
    pairs: Object.entries(o).sort((a, b) => (a[0] < b[0] ? -1 : 1)),
  });

  it("names metrics __name__{other labels}, job and instance left to the resource", () => {
    expect(metricNameOf(labels({ __name__: "up", job: "node", instance: "h:1" }))).toBe("up");
    expect(
      metricNameOf(
        labels({ __name__: "node_cpu_seconds_total", mode: "idle", cpu: "0", job: "node" }),
      ),
    ).toBe('node_cpu_seconds_total{cpu="0",mode="idle"}');
  });

  it("quotes values as Prometheus does and writes / as ∕, unambiguously", () => {
    expect(metricNameOf(labels({ __name__: "m", a: 'x"y\\z\nw', b: "/dev/sda1" }))).toBe(
      'm{a="x\\"y\\\\z\\nw",b="∕dev∕sda1"}',
    );
    const slash = metricNameOf(labels({ __name__: "m", a: "/" }));
    const lookalike = metricNameOf(labels({ __name__: "m", a: "∕" }));
    expect(slash).toBe('m{a="∕"}');
    expect(lookalike).toBe('m{a="\\∕"}');
    expect(slash.includes("/")).toBe(false);
  });

  it("cuts names over 255 characters and ends them with the label set's hash", () => {
    const a = labels({ __name__: "m", v: "x".repeat(300), w: "1" });
    const b = labels({ __name__: "m", v: "x".repeat(300), w: "2" });
    const name = metricNameOf(a);
    expect([...name]).toHaveLength(255);
    expect(name.endsWith(`…${labelSetHash(a.pairs).replaceAll("-", "").slice(0, 16)}`)).toBe(true);
    expect(metricNameOf(b)).not.toBe(name);
    expect([...metricNameOf(labels({ __name__: "m", v: "é".repeat(300) }))]).toHaveLength(255);
  });

  it("maps (job, instance) to Gnocchi's resource, `none` when missing", () => {
    const t = seriesTarget(
      labels({ __name__: "up", job: "prometheus", instance: "localhost:9090" }),
      "admin",
    );
    expect(t).toMatchObject({
      resourceId: "a943787c-3e17-584c-b236-a5597aeabd2e",
      originalResourceId: "prometheus@localhost:9090",
      job: "prometheus",
      instance: "localhost:9090",
      metricName: "up",
    });
    expect(seriesTarget(labels({ __name__: "up" }), "admin").originalResourceId).toBe("none@none");
    // Ids Gnocchi's conversion refuses (`/`) still get a resource.
    const slash = seriesTarget(labels({ __name__: "up", job: "kube/pods" }), "admin");
    expect(slash.resourceId).toMatch(/^[0-9a-f-]{36}$/);
    expect(seriesTarget(labels({ __name__: "up", job: "kube/pods" }), "other").resourceId).not.toBe(
      slash.resourceId,
    );
  });
});
