/**
 * The fast measures writer against the general serializer: whatever the
 * series, `measuresToJson` must give the bytes `pythonJson` gives over
 * `formatTimestamp` and Python floats (the conformance suite compares them
 * with Gnocchi's answers byte for byte).
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { CalendarLetter } from "../../src/carbonara/resample.js";
import { formatTimestamp } from "../../src/carbonara/timestamp.js";
import { pythonFloat, pythonJson } from "../../src/gnocchi-api/json.js";
import {
  type MeasuresSeries,
  measuresToJson,
} from "../../src/gnocchi-api/services/measures-json.js";

const DAY = 86_400_000_000;

/** What the general serializer writes for the same series. */
function reference(series: readonly MeasuresSeries[]): string {
  return pythonJson(
    series.flatMap((s) =>
      [...s.timestamps].map((t, i) => [
        formatTimestamp(t),
        typeof s.granularity === "string" ? s.granularity : pythonFloat(s.granularity / 1e6),
        pythonFloat(s.values[i]!),
      ]),
    ),
  );
}

const value = fc.oneof(
  fc.double(), // NaN, ±Infinity, -0, subnormals, huge and tiny
  fc.integer({ min: -1e9, max: 1e9 }).map((n) => n / 100),
  fc.integer({ min: -1e12, max: 1e12 }).map((n) => n / 10_000),
  fc.integer({ min: -(2 ** 53), max: 2 ** 53 }),
  fc.constantFrom(
    0,
    -0,
    Number.NaN,
    Number.POSITIVE_INFINITY,
    Number.NEGATIVE_INFINITY,
    1e11,
    99_999_999_999.9999,
    1e16,
    1e-4,
    0.00015,
    5e-324,
    Number.MAX_VALUE,
  ),
);

/** Epoch microseconds: whole seconds, with micros, day edges, and far years (general path). */
const timestamp = fc.oneof(
  fc.integer({ min: 0, max: 2 ** 52 }),
  fc.integer({ min: 0, max: 400_000 }).map((d) => d * DAY),
  fc.integer({ min: 1, max: 400_000 }).map((d) => d * DAY - 1),
  fc.constantFrom(
    -1,
    -DAY,
    -62_135_596_800_000_000, // 0001-01-01
    253_402_300_799_000_000, // 9999-12-31T23:59:59
    253_402_300_800_000_000, // 10000-01-01
    8.6e18, // +274493-02-24: six-digit years, the general formatter
    -8.6e18,
    951_782_400_000_000, // 2000-02-29
    4_107_542_400_000_000, // 2100-02-28 (not a leap year)
  ),
);

const granularity = fc.oneof(
  fc.constantFrom(1_000_000, 60_000_000, 3_600_000_000, DAY, 500_000, 1),
  fc.constantFrom<CalendarLetter>("Y", "H", "Q", "M", "W"),
);

const series = fc.tuple(granularity, fc.array(fc.tuple(timestamp, value), { maxLength: 30 })).map(
  ([g, points]): MeasuresSeries => ({
    granularity: g,
    timestamps: Float64Array.from(points, (p) => p[0]),
    values: Float64Array.from(points, (p) => p[1]),
  }),
);

/** A regular series from `start`, `step` apart, as the reader returns one. */
function regular(start: number, step: number, values: readonly number[]): MeasuresSeries {
  return {
    granularity: step,
    timestamps: Float64Array.from(values, (_, i) => start + i * step),
    values: Float64Array.from(values),
  };
}

describe("measuresToJson", () => {
  it("writes what pythonJson writes, for any values and timestamps", () => {
    fc.assert(
      fc.property(fc.array(series, { maxLength: 3 }), (all) => {
        expect(measuresToJson(all).toString("latin1")).toBe(reference(all));
      }),
      { numRuns: 2_000 },
    );
  });

  it("writes regular series across days, months and leap years as pythonJson does", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 4_000_000_000 }).map((s) => s * 1_000_000),
        fc.constantFrom(1_000_000, 60_000_000, 3_600_000_000, 1_500_000, 250_000),
        fc.array(value, { minLength: 1, maxLength: 200 }),
        (start, step, values) => {
          const s = [regular(start, step, values)];
          expect(measuresToJson(s).toString("latin1")).toBe(reference(s));
        },
      ),
      { numRuns: 300 },
    );
  });

  it("spells a known year at one hour exactly", () => {
    const hours = Array.from({ length: 8760 }, (_, h) => (h % 7) * 1.25 - 3);
    const s = [regular(1_672_531_200_000_000, 3_600_000_000, hours)];
    const out = measuresToJson(s).toString("latin1");
    expect(out).toBe(reference(s));
    expect(out.startsWith('[["2023-01-01T00:00:00+00:00", 3600.0, -3.0], ')).toBe(true);
    expect(out.endsWith('["2023-12-31T23:00:00+00:00", 3600.0, -0.5]]')).toBe(true);
  });

  it("writes [] for no series and for empty ones", () => {
    expect(measuresToJson([]).toString()).toBe("[]");
    expect(measuresToJson([regular(0, 60_000_000, [])]).toString()).toBe("[]");
  });
});
