/**
 * The storage SeriesSource: which archive and method a selector reads
 * (archive-choice.ts, pure), and what that gives end to end on a sawtooth
 * gauge stored at 1 s, 1 min and 1 h: raw values where the data is not
 * downsampled, bucket aggregates composing as the functions expect where
 * it is.
 */
import { describe, expect, it } from "vitest";
import type { ArchivePolicy } from "../../src/carbonara/archive-policy.js";
import { resolveArchivePolicyItem } from "../../src/carbonara/archive-policy.js";
import { deleteMetric } from "../../src/indexer/metric-store.js";
import {
  chooseArchive,
  chooseMethod,
  windowsTooShort,
} from "../../src/promql-lite/archive-choice.js";
import { rangeQuery } from "../../src/promql-lite/engine.js";
import { MemorySeriesSource } from "../../src/promql-lite/memory-source.js";
import type { SelectHints } from "../../src/promql-lite/series-source.js";
import { describeDrivers } from "../indexer/drivers.js";
import { createPromPolicy, promHarness } from "./http-helpers.js";

const S = 1_000_000;
const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;

const policy = (methods: string[]): ArchivePolicy => ({
  name: "p",
  backWindow: 0,
  aggregationMethods: methods,
  definition: [
    resolveArchivePolicyItem({ granularity: S, points: 3600 }),
    resolveArchivePolicyItem({ granularity: 60 * S, points: 1440 }),
    resolveArchivePolicyItem({ granularity: 3600 * S, points: 8760 }),
  ],
});
const ALL = policy(["last", "mean", "max", "min", "sum", "count"]);
const NOW = 1_800_000_000_000;

function hints(h: Partial<SelectHints> & { start: number }): SelectHints {
  return { end: NOW, step: 0, range: 0, func: "", grouping: [], by: false, ...h };
}

describe("chooseArchive", () => {
  it("range query: the coarsest archive no coarser than the step, retained for the range", () => {
    const day = chooseArchive(ALL, hints({ start: NOW - DAY, step: 60_000 }), NOW);
    expect(day).toMatchObject({ method: "last", granularity: 60 * S });
    const year = chooseArchive(ALL, hints({ start: NOW - 360 * DAY, step: HOUR }), NOW);
    expect(year).toMatchObject({ method: "last", granularity: 3600 * S });
    const fine = chooseArchive(ALL, hints({ start: NOW - 30 * MIN, step: 15_000 }), NOW);
    expect(fine?.granularity).toBe(S);
  });

  it("an archive not retained for the whole range is passed over", () => {
    // 1 s is kept an hour: a two-hour range at a 1 s step reads the minutes.
    expect(chooseArchive(ALL, hints({ start: NOW - 2 * HOUR, step: 1000 }), NOW)?.granularity).toBe(
      60 * S,
    );
    // Nothing keeps two years: the longest-lived archive.
    expect(chooseArchive(ALL, hints({ start: NOW - 730 * DAY, step: DAY }), NOW)?.granularity).toBe(
      3600 * S,
    );
  });

  it("a range function's window narrows the choice (half of it for rate)", () => {
    const rate = chooseArchive(
      ALL,
      hints({ start: NOW - DAY, step: HOUR, range: 5 * MIN, func: "rate" }),
      NOW,
    );
    expect(rate).toMatchObject({ method: "last", granularity: 60 * S });
    const max = chooseArchive(
      ALL,
      hints({ start: NOW - DAY, step: HOUR, range: HOUR, func: "max_over_time" }),
      NOW,
    );
    expect(max).toMatchObject({ method: "max", granularity: 3600 * S });
  });

  it("instant queries of plain and bare range selectors read the finest archive", () => {
    expect(chooseArchive(ALL, hints({ start: NOW - 5 * MIN }), NOW)?.granularity).toBe(S);
    expect(chooseArchive(ALL, hints({ start: NOW - HOUR, range: HOUR }), NOW)?.granularity).toBe(S);
  });

  it("count_over_time and avg_over_time also read bucket counts, when stored", () => {
    const at = (func: string, p = ALL) =>
      chooseArchive(p, hints({ start: NOW - DAY, step: MIN, range: MIN, func }), NOW);
    expect(at("avg_over_time")).toMatchObject({ method: "mean", weightMethod: "count" });
    expect(at("count_over_time")).toMatchObject({ method: "count", weightMethod: "count" });
    expect(at("sum_over_time")?.weightMethod).toBeUndefined();
    expect(at("rate")?.weightMethod).toBeUndefined();
    // Without `count` stored there is nothing to weight by.
    const noCount = policy(["last", "mean", "max"]);
    expect(at("avg_over_time", noCount)).toMatchObject({ method: "mean", weightMethod: undefined });
    expect(at("count_over_time", noCount)).toMatchObject({
      method: "last",
      weightMethod: undefined,
    });
  });

  it("a two-sample function's window shorter than a bucket of the finest archive cannot give a value", () => {
    const h = (func: string, range: number) => hints({ start: NOW - DAY, step: HOUR, range, func });
    const finest = {
      ...chooseArchive(ALL, h("rate", 5 * MIN), NOW)!,
      granularity: 3600 * S,
      downsampled: false,
    };
    expect(windowsTooShort(h("rate", 5 * MIN), finest)).toBe(true);
    expect(windowsTooShort(h("deriv", 5 * MIN), finest)).toBe(true);
    // Two hourly buckets fit an inclusive window of an hour.
    expect(windowsTooShort(h("rate", HOUR), finest)).toBe(false);
    // changes and resets give 0 for a single sample; *_over_time need one.
    expect(windowsTooShort(h("changes", 5 * MIN), finest)).toBe(false);
    expect(windowsTooShort(h("max_over_time", 5 * MIN), finest)).toBe(false);
    // Over a downsampled archive the windows are widened to two buckets: read.
    const coarse = { ...finest, downsampled: true };
    for (const f of ["rate", "increase", "delta", "irate", "idelta", "deriv"])
      expect(windowsTooShort(h(f, 5 * MIN), coarse)).toBe(false);
    // predict_linear and holt_winters are not widened.
    expect(windowsTooShort(h("predict_linear", 5 * MIN), coarse)).toBe(true);
  });

  it("marks archives coarser than the policy's finest as downsampled", () => {
    const year = chooseArchive(ALL, hints({ start: NOW - 360 * DAY, step: HOUR }), NOW);
    expect(year).toMatchObject({ granularity: 3600 * S, downsampled: true });
    const fine = chooseArchive(ALL, hints({ start: NOW - 30 * MIN, step: 1000 }), NOW);
    expect(fine).toMatchObject({ granularity: S, downsampled: false });
  });

  it("maps functions onto stored methods, with fallbacks", () => {
    expect(chooseMethod(ALL, "max_over_time")).toBe("max");
    expect(chooseMethod(ALL, "min_over_time")).toBe("min");
    expect(chooseMethod(ALL, "avg_over_time")).toBe("mean");
    expect(chooseMethod(ALL, "sum_over_time")).toBe("sum");
    expect(chooseMethod(ALL, "count_over_time")).toBe("count");
    expect(chooseMethod(ALL, "rate")).toBe("last");
    expect(chooseMethod(ALL, "")).toBe("last");
    const noLast = policy(["mean", "max", "min", "sum", "count", "std"]);
    expect(chooseMethod(noLast, "rate")).toBe("max");
    expect(chooseMethod(noLast, "")).toBe("mean");
    expect(chooseMethod(policy(["95pct"]), "")).toBe("95pct");
  });
});

/** Minute-aligned, 100 minutes ago: 6,000 one-second samples end about now. */
const BASE = Math.floor(Date.now() / MIN) * MIN - 100 * MIN;
/** -(seconds mod 60): a bucket of a minute has max 0, min and last -59, mean -29.5, sum -1770. */
const saw = (ms: number) => -(((ms - BASE) / 1000) % 60);

describeDrivers(
  "StorageSeriesSource",
  (ctx) => {
    const api = promHarness(ctx.db);

    async function range(query: string, start: number, end: number, step: number) {
      const r = await api.get("/api/v1/query_range", {
        query,
        start: String(start / 1000),
        end: String(end / 1000),
        step: String(step / 1000),
      });
      const body = (await r.json()) as { data: { result: { values: [number, string][] }[] } };
      expect(r.status).toBe(200);
      return body.data.result.flatMap((s) => s.values.map(([t, v]) => [t * 1000, Number(v)]));
    }

    it("stores a sawtooth at 1 s for 100 minutes", async () => {
      await createPromPolicy(ctx.db());
      const samples: [number, number][] = [];
      for (let t = BASE; t < BASE + 100 * MIN; t += 1000) samples.push([t, saw(t)]);
      await api.write([{ labels: { __name__: "saw", job: "t", instance: "i" }, samples }]);
    });

    it("reads raw values where the archive is not downsampled", async () => {
      const start = BASE + 80 * MIN + 7000;
      const points = await range("saw", start, start + 2 * MIN, 1000);
      expect(points).toHaveLength(121);
      for (const [t, v] of points) expect(v).toBe(saw(t!));
    });

    it("reads the 1 min archive for a 1 min step, each function from its method", async () => {
      const start = BASE + 50 * MIN;
      const end = BASE + 60 * MIN;
      const values = async (q: string) => [
        ...new Set((await range(q, start, end, MIN)).map((p) => p[1])),
      ];
      expect(await values("saw")).toEqual([-59]);
      expect(await values("max_over_time(saw[1m])")).toEqual([0]);
      expect(await values("min_over_time(saw[1m])")).toEqual([-59]);
      expect(await values("avg_over_time(saw[1m])")).toEqual([-29.5]);
      // The window [t - 1m, t] holds two bucket points.
      expect(await values("sum_over_time(saw[1m])")).toEqual([-3540]);
    });

    /**
     * Uneven buckets: 10 samples of 1 in even minutes, 50 of 4 in odd ones
     * (seconds 0…9 and 0…49), so a one-minute window over the 1 min archive
     * holds an even and an odd bucket: 60 samples, mean (10·1 + 50·4) / 60.
     */
    const UNEVEN = Math.floor(Date.now() / MIN) * MIN - 30 * MIN;
    it("stores a series with 10 and 50 samples in alternate minutes", async () => {
      const samples: [number, number][] = [];
      for (let m = 0; m < 12; m++) {
        const odd = m % 2 === 1;
        for (let sec = 0; sec < (odd ? 50 : 10); sec++)
          samples.push([UNEVEN + m * MIN + sec * 1000, odd ? 4 : 1]);
      }
      await api.write([{ labels: { __name__: "uneven", job: "t" }, samples }]);
    });

    it("over a downsampled archive: counts add up, bucket means weigh by their counts", async () => {
      const start = UNEVEN + MIN;
      const end = UNEVEN + 10 * MIN;
      const count = await range("count_over_time(uneven[1m])", start, end, MIN);
      expect(count).toHaveLength(10);
      for (const [, v] of count) expect(v).toBe(60);
      const avg = await range("avg_over_time(uneven[1m])", start, end, MIN);
      expect(avg).toHaveLength(10);
      for (const [, v] of avg) expect(v).toBeCloseTo(3.5, 12);
      // The bucket means themselves, unweighted, would average 2.5.
      expect((await range("uneven", start, end, MIN)).map((p) => p[1])).toContain(4);
      // Sums compose without weights.
      const sum = await range("sum_over_time(uneven[1m])", start, end, MIN);
      for (const [, v] of sum) expect(v).toBe(210);
    });

    it("over the 1 s archive (a sample per bucket) the samples themselves, as Prometheus", async () => {
      // [t − 10 s, t] at minute 1 + 5 s: the samples at seconds 0…5 of minute 1.
      const t = UNEVEN + MIN + 5000;
      const count = await range("count_over_time(uneven[10s])", t, t + 4000, 1000);
      expect(count.map((p) => p[1])).toEqual([6, 7, 8, 9, 10]);
      const avg = await range("avg_over_time(uneven[10s])", t, t, 1000);
      expect(avg.map((p) => p[1])).toEqual([4]);
      // Across the boundary: 4 ones of minute 0 (seconds 6…9) and one 4 at 60 s.
      const across = await range("avg_over_time(uneven[54s])", UNEVEN + MIN, UNEVEN + MIN, 1000);
      expect(across.map((p) => p[1])).toEqual([(4 * 1 + 4) / 5]);
    });

    /** 10 samples at seconds 0…9 of a minute, then a staleness marker at second 10. */
    const FLAKY = Math.floor(Date.now() / MIN) * MIN - 20 * MIN;
    it("stores a series ended by a staleness marker", async () => {
      const samples: [number, number][] = [];
      for (let k = 0; k < 10; k++) samples.push([FLAKY + k * 1000, k]);
      samples.push([FLAKY + 10_000, Number.NaN]);
      await api.write([{ labels: { __name__: "flaky", job: "t" }, samples }]);
    });

    it("count_over_time does not count the marker, as Prometheus skips it", async () => {
      // 1 s archive: [t − 5 s, t] holds 3, 2, 1 samples and then only the marker (no point).
      const fine = await range("count_over_time(flaky[5s])", FLAKY + 12_000, FLAKY + 16_000, 1000);
      expect(fine).toEqual([
        [FLAKY + 12_000, 3],
        [FLAKY + 13_000, 2],
        [FLAKY + 14_000, 1],
      ]);
      // 1 min archive: the minute's bucket counts 11 measures, the marker's among them.
      const coarse = await range("count_over_time(flaky[1m])", FLAKY + MIN, FLAKY + MIN, MIN);
      expect(coarse).toEqual([[FLAKY + MIN, 10]]);
    });

    it("a query at a fine step over more than the 1 s archive keeps falls back to minutes", async () => {
      const points = await range("saw", BASE + 10 * MIN, BASE + 95 * MIN, 30_000);
      expect(new Set(points.map((p) => p[1]))).toEqual(new Set([-59]));
    });

    /**
     * A counter sampled every 10 minutes for three days (newest sample a few
     * minutes old), growing by a different amount each sample, so every
     * hour's rate differs. Over more than a day only the 1 h archive is
     * retained: its bucket at b holds the last sample of [b, b + 1 h).
     */
    const HOURS = Math.floor(Date.now() / HOUR) * HOUR;
    const COUNTER_END = Math.floor(Date.now() / MIN) * MIN - 2 * MIN;
    const counter: [number, number][] = [];
    for (let t = COUNTER_END - 72 * HOUR, v = 0, k = 0; t <= COUNTER_END; t += 10 * MIN, k++) {
      v += (k % 7) + (k % 5) * 0.25 + 1;
      counter.push([t, v]);
    }
    /** The last sample of the hour bucket starting at b. */
    const lastOfBucket = (b: number) => counter.filter(([t]) => t >= b && t < b + HOUR).at(-1)?.[1];

    it("stores the counter", async () => {
      await api.write([{ labels: { __name__: "hits_total", job: "t" }, samples: counter }]);
    });

    it("over the 1 h archive, rate(x[5m]) is the rate between consecutive buckets", async () => {
      for (const offset of [0, 30 * MIN]) {
        const start = HOURS - 60 * HOUR + offset;
        const end = HOURS - 2 * HOUR + offset;
        const rate = await range("rate(hits_total[5m])", start, end, HOUR);
        expect(rate).toHaveLength(59);
        for (const [t, v] of rate) {
          // The window widened to the start of the bucket before the one holding t.
          const b = Math.floor(t! / HOUR) * HOUR;
          const expected = (lastOfBucket(b)! - lastOfBucket(b - HOUR)!) / 3600;
          expect(v).toBeCloseTo(expected, 9);
        }
        // increase keeps `rate × range`; irate is the same two buckets' rate.
        const increase = await range("increase(hits_total[5m])", start, end, HOUR);
        expect(increase.map(([, v]) => v)).toEqual(
          rate.map(([, v]) => expect.closeTo(v! * 300, 6) as unknown as number),
        );
        const irate = await range("irate(hits_total[5m])", start, end, HOUR);
        expect(irate.map(([, v]) => v)).toEqual(
          rate.map(([, v]) => expect.closeTo(v!, 9) as unknown as number),
        );
      }
    });

    it("over the 1 h archive, windows holding two buckets already are not widened", async () => {
      const start = HOURS - 60 * HOUR;
      const end = HOURS - 2 * HOUR;
      // The same points as plain samples (no bucket width): Prometheus' own arithmetic.
      const plain = new MemorySeriesSource();
      const bucketTimes: number[] = [];
      const bucketValues: number[] = [];
      for (let b = HOURS - 80 * HOUR; b <= HOURS; b += HOUR) {
        const v = lastOfBucket(b);
        if (v === undefined) continue;
        bucketTimes.push(b);
        bucketValues.push(v);
      }
      plain.appendMany(
        { __name__: "hits_total", job: "t" },
        bucketTimes,
        Float64Array.from(bucketValues),
      );
      for (const q of [
        "rate(hits_total[3h])",
        "deriv(hits_total[2h])",
        "changes(hits_total[3h])",
      ]) {
        const want = await rangeQuery(plain, q, start, end, HOUR);
        const expected =
          want.resultType === "matrix"
            ? want.result.flatMap((r) => [...r.timestamps].map((t, i) => [t, r.values[i]!]))
            : [];
        expect(expected.length).toBeGreaterThan(50);
        expect(await range(q, start, end, HOUR)).toEqual(expected);
      }
    });

    it("over the finest archive nothing is widened: the results of the samples themselves", async () => {
      const start = COUNTER_END - 40 * MIN;
      const end = COUNTER_END;
      // A 5 min window never holds two samples 10 minutes apart.
      expect(await range("rate(hits_total[5m])", start, end, 1000)).toEqual([]);
      const plain = new MemorySeriesSource();
      plain.appendMany(
        { __name__: "hits_total", job: "t" },
        counter.map(([t]) => t),
        Float64Array.from(counter.map(([, v]) => v)),
      );
      const want = await rangeQuery(plain, "rate(hits_total[25m])", start, end, 1000);
      const expected =
        want.resultType === "matrix"
          ? want.result.flatMap((r) => [...r.timestamps].map((t, i) => [t, r.values[i]!]))
          : [];
      expect(expected.length).toBeGreaterThan(1000);
      expect(await range("rate(hits_total[25m])", start, end, 1000)).toEqual(expected);
    });

    it("a metric created or deleted between two queries is seen by the second", async () => {
      const start = COUNTER_END - 40 * MIN;
      const count = async () =>
        (await range('count(hits_total{job=~"t|u"})', start, COUNTER_END, MIN)).at(-1)?.[1];
      const ids = async () =>
        new Set(
          (
            await ctx
              .db()
              .query<{ id: string }>("SELECT id::text AS id FROM metric WHERE status = 'active'")
          ).rows.map((r) => r.id),
        );
      expect(await count()).toBe(1);
      const before = await ids();
      await api.write([
        {
          labels: { __name__: "hits_total", job: "u" },
          samples: counter.filter(([t]) => t >= start),
        },
      ]);
      expect(await count()).toBe(2);
      const created = [...(await ids())].filter((id) => !before.has(id));
      expect(created).toHaveLength(1);

      await deleteMetric(ctx.db(), created[0]!);
      expect(await count()).toBe(1);
    });

    it("samples written between two queries are seen by the second (cached times follow)", async () => {
      const q = 'last_over_time(hits_total{job="t"}[1h])';
      const last = async () => (await range(q, COUNTER_END + MIN, COUNTER_END + MIN, MIN)).at(-1);
      expect(await last()).toEqual([COUNTER_END + MIN, counter.at(-1)![1]]);
      await api.write([
        { labels: { __name__: "hits_total", job: "t" }, samples: [[COUNTER_END + MIN, 1e6]] },
      ]);
      expect(await last()).toEqual([COUNTER_END + MIN, 1e6]);
    });
  },
  { upgrade: { createDefaultPolicies: false } },
);
