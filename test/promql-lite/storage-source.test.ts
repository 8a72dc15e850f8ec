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
import {
  chooseArchive,
  chooseMethod,
  windowsTooShort,
} from "../../src/promql-lite/archive-choice.js";
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

  it("a two-sample function's window shorter than a bucket cannot give a value", () => {
    const h = (func: string, range: number) => hints({ start: NOW - DAY, step: HOUR, range, func });
    expect(windowsTooShort(h("rate", 5 * MIN), 3600 * S)).toBe(true);
    expect(windowsTooShort(h("deriv", 5 * MIN), 3600 * S)).toBe(true);
    // Two hourly buckets fit an inclusive window of an hour.
    expect(windowsTooShort(h("rate", HOUR), 3600 * S)).toBe(false);
    // changes and resets give 0 for a single sample; *_over_time need one.
    expect(windowsTooShort(h("changes", 5 * MIN), 3600 * S)).toBe(false);
    expect(windowsTooShort(h("max_over_time", 5 * MIN), 3600 * S)).toBe(false);
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
  },
  { upgrade: { createDefaultPolicies: false } },
);
