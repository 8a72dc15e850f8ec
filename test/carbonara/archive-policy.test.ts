import { describe, expect, it } from "vitest";
import { DEFAULT_AGGREGATION_METHODS } from "../../src/carbonara/aggregation-methods.js";
import {
  type ArchivePolicy,
  archivePolicyBlockSize,
  archivePolicyMutableBlocks,
  archivePolicyToJSON,
  createArchivePolicy,
  DEFAULT_ARCHIVE_POLICIES,
  parseArchivePolicyItem,
  resolveArchivePolicyItem,
  updateArchivePolicyDefinition,
} from "../../src/carbonara/archive-policy.js";
import {
  InvalidArchivePolicyError,
  InvalidTimespanError,
  UnknownAggregationMethodError,
  UnsupportedArchivePolicyChangeError,
} from "../../src/carbonara/errors.js";

const S = 1_000_000;
const MIN = 60 * S;
const H = 60 * MIN;
const DAY = 24 * H;

const sorted = (xs: readonly string[]) => [...xs].sort();

describe("resolveArchivePolicyItem", () => {
  it("keeps a consistent granularity × points = timespan", () => {
    expect(resolveArchivePolicyItem({ granularity: S, points: 60, timespan: MIN })).toEqual({
      granularity: S,
      points: 60,
      timespan: MIN,
    });
  });

  it("refuses an inconsistent triple", () => {
    expect(() => resolveArchivePolicyItem({ granularity: S, points: 60, timespan: H })).toThrow(
      new InvalidArchivePolicyError("timespan ≠ granularity × points"),
    );
  });

  it("computes timespan from granularity and points", () => {
    expect(resolveArchivePolicyItem({ granularity: MIN, points: 10080 })).toEqual({
      granularity: MIN,
      points: 10080,
      timespan: 7 * DAY,
    });
  });

  it("floors points from granularity and timespan, then recomputes the timespan (1 h / 7 s)", () => {
    const item = resolveArchivePolicyItem({ granularity: 7 * S, timespan: H });
    expect(item).toEqual({ granularity: 7 * S, points: 514, timespan: 3598 * S });
  });

  it("refuses a timespan shorter than the granularity", () => {
    expect(() => resolveArchivePolicyItem({ granularity: H, timespan: MIN })).toThrow(
      new InvalidArchivePolicyError("Calculated number of points is < 0"),
    );
  });

  it("derives a possibly fractional granularity from points and timespan (1 h / 1000)", () => {
    expect(resolveArchivePolicyItem({ points: 1000, timespan: H })).toEqual({
      granularity: 3_600_000,
      points: 1000,
      timespan: H,
    });
  });

  it("keeps forever when only the granularity is given", () => {
    expect(resolveArchivePolicyItem({ granularity: S })).toEqual({
      granularity: S,
      points: null,
      timespan: null,
    });
    expect(
      resolveArchivePolicyItem({ granularity: S, points: null, timespan: null }).points,
    ).toBeNull();
  });

  it.each([{}, { points: 10 }, { timespan: H }, { points: null, timespan: H }])(
    "needs two of the three: %j",
    (spec) => {
      expect(() => resolveArchivePolicyItem(spec)).toThrow(
        new InvalidArchivePolicyError(
          "At least two of granularity/points/timespan must be provided",
        ),
      );
    },
  );

  it("refuses non-positive granularity and points", () => {
    expect(() => resolveArchivePolicyItem({ granularity: 0, points: 5 })).toThrow(
      "Granularity should be > 0",
    );
    expect(() => resolveArchivePolicyItem({ granularity: S, points: 0 })).toThrow(
      "Number of points should be > 0",
    );
  });
});

describe("parseArchivePolicyItem", () => {
  it("reads durations as timespans", () => {
    expect(parseArchivePolicyItem({ granularity: "1 minute", timespan: "7 days" })).toEqual({
      granularity: MIN,
      points: 10080,
      timespan: 7 * DAY,
    });
    expect(parseArchivePolicyItem({ granularity: 0.5, points: 4 })).toEqual({
      granularity: 500_000,
      points: 4,
      timespan: 2 * S,
    });
  });

  it("refuses unparseable and non-positive durations with the timespan errors", () => {
    expect(() => parseArchivePolicyItem({ granularity: "foo", points: 1 })).toThrow(
      new InvalidTimespanError("Unable to parse timespan"),
    );
    expect(() => parseArchivePolicyItem({ granularity: "-1", points: 1 })).toThrow(
      new InvalidTimespanError("Timespan must be positive"),
    );
    expect(() => parseArchivePolicyItem({ granularity: 1, timespan: 0 })).toThrow(
      new InvalidTimespanError("Timespan must be positive"),
    );
  });
});

describe("createArchivePolicy", () => {
  it("applies defaults for back_window and aggregation_methods", () => {
    const policy = createArchivePolicy({ name: "p", definition: [{ granularity: 1, points: 60 }] });
    expect(policy.backWindow).toBe(0);
    expect(sorted(policy.aggregationMethods)).toEqual(sorted(DEFAULT_AGGREGATION_METHODS));
    expect(policy.definition).toEqual([{ granularity: S, points: 60, timespan: MIN }]);
  });

  it("resolves methods against the configured defaults", () => {
    const policy = createArchivePolicy(
      { name: "p", aggregation_methods: ["-max", "+median"], definition: [{ granularity: 1 }] },
      ["mean", "max"],
    );
    expect(sorted(policy.aggregationMethods)).toEqual(["mean", "median"]);
    expect(
      createArchivePolicy({
        name: "p",
        aggregation_methods: ["*"],
        definition: [{ granularity: 1 }],
      }).aggregationMethods,
    ).toHaveLength(216);
  });

  it("refuses unknown methods", () => {
    expect(() =>
      createArchivePolicy({
        name: "p",
        aggregation_methods: ["foo"],
        definition: [{ granularity: 1 }],
      }),
    ).toThrow(UnknownAggregationMethodError);
  });

  it("keeps the definition order", () => {
    const policy = createArchivePolicy({
      name: "p",
      definition: [
        { granularity: "1 hour", points: 2 },
        { granularity: "1 second", points: 3 },
      ],
    });
    expect(policy.definition.map((d) => d.granularity)).toEqual([H, S]);
  });

  it("refuses duplicate granularities, naming the first one in seconds", () => {
    expect(() =>
      createArchivePolicy({
        name: "p",
        definition: [
          { granularity: 1, points: 60 },
          { granularity: 60, points: 5 },
          { granularity: "1 second", timespan: "1 hour" },
          { granularity: 60, points: 6 },
        ],
      }),
    ).toThrow(new InvalidArchivePolicyError("More than one archive policy uses granularity `1.0'"));
    expect(() =>
      createArchivePolicy({
        name: "p",
        definition: [
          { granularity: 0.5, points: 60 },
          { points: 60, timespan: 30 },
        ],
      }),
    ).toThrow("More than one archive policy uses granularity `0.5'");
  });

  it("reports the item rules", () => {
    expect(() =>
      createArchivePolicy({
        name: "p",
        definition: [{ granularity: 1, points: 60, timespan: 3600 }],
      }),
    ).toThrow("timespan ≠ granularity × points");
  });

  it("refuses an empty definition and a negative back_window", () => {
    expect(() => createArchivePolicy({ name: "p", definition: [] })).toThrow(
      InvalidArchivePolicyError,
    );
    expect(() =>
      createArchivePolicy({ name: "p", back_window: -1, definition: [{ granularity: 1 }] }),
    ).toThrow(InvalidArchivePolicyError);
  });
});

describe("archivePolicyToJSON", () => {
  it("prints durations as Python timedelta strings", () => {
    const policy = createArchivePolicy({
      name: "medium",
      aggregation_methods: ["mean"],
      definition: [
        { granularity: 60, points: 10080 },
        { granularity: "1 hour", timespan: "365 days" },
      ],
    });
    expect(archivePolicyToJSON(policy)).toEqual({
      name: "medium",
      back_window: 0,
      aggregation_methods: ["mean"],
      definition: [
        { granularity: "0:01:00", points: 10080, timespan: "7 days, 0:00:00" },
        { granularity: "1:00:00", points: 8760, timespan: "365 days, 0:00:00" },
      ],
    });
  });

  it("prints the spec's examples", () => {
    const json = archivePolicyToJSON(
      createArchivePolicy({
        name: "p",
        definition: [
          { granularity: "7s", timespan: "1 hour" },
          { points: 1000, timespan: "1 hour" },
          { granularity: 1, points: 86400 },
          { granularity: 86400 },
        ],
      }),
    );
    expect(json.definition).toEqual([
      { granularity: "0:00:07", points: 514, timespan: "0:59:58" },
      { granularity: "0:00:03.600000", points: 1000, timespan: "1:00:00" },
      { granularity: "0:00:01", points: 86400, timespan: "1 day, 0:00:00" },
      { granularity: "1 day, 0:00:00", points: null, timespan: null },
    ]);
  });
});

describe("updateArchivePolicyDefinition", () => {
  const policy = createArchivePolicy({
    name: "p",
    definition: [
      { granularity: 60, points: 10 },
      { granularity: 1, points: 60 },
    ],
  });

  it("changes points and timespans, keeping the new order", () => {
    const updated = updateArchivePolicyDefinition(policy, [
      { granularity: 1, points: 120 },
      { granularity: "1 minute", timespan: "1 day" },
    ]);
    expect(updated.definition).toEqual([
      { granularity: S, points: 120, timespan: 2 * MIN },
      { granularity: MIN, points: 1440, timespan: DAY },
    ]);
    expect(updated.name).toBe("p");
    expect(updated.aggregationMethods).toEqual(policy.aggregationMethods);
  });

  it("refuses adding or dropping a granularity", () => {
    expect(() => updateArchivePolicyDefinition(policy, [{ granularity: 1, points: 60 }])).toThrow(
      new UnsupportedArchivePolicyChangeError("p", "Cannot add or drop granularities"),
    );
    expect(() => updateArchivePolicyDefinition(policy, [{ granularity: 1, points: 60 }])).toThrow(
      "Archive policy p does not support change: Cannot add or drop granularities",
    );
  });

  it("names the first changed granularity of the old definition", () => {
    expect(() =>
      updateArchivePolicyDefinition(policy, [
        { granularity: 2, points: 60 },
        { granularity: 60, points: 10 },
      ]),
    ).toThrow("Archive policy p does not support change: 1.0 granularity interval was changed");
    expect(() =>
      updateArchivePolicyDefinition(policy, [
        { granularity: 1, points: 60 },
        { granularity: 1, points: 10 },
      ]),
    ).toThrow("Archive policy p does not support change: 60.0 granularity interval was changed");
  });

  it("validates the new items first", () => {
    expect(() => updateArchivePolicyDefinition(policy, [{ points: 5 }])).toThrow(
      "At least two of granularity/points/timespan must be provided",
    );
  });
});

describe("block size and mutable blocks", () => {
  const withMethods = (methods: string[], backWindow = 0): ArchivePolicy =>
    createArchivePolicy({
      name: "p",
      back_window: backWindow,
      aggregation_methods: methods,
      definition: [
        { granularity: 1, points: 60 },
        { granularity: 3600, points: 24 },
        { granularity: 60, points: 60 },
      ],
    });

  it("uses the largest granularity as the block", () => {
    expect(archivePolicyBlockSize(withMethods(["mean"]))).toBe(H);
  });

  it("adds one block for rate methods", () => {
    expect(archivePolicyMutableBlocks(withMethods(["mean"]))).toBe(0);
    expect(archivePolicyMutableBlocks(withMethods(["mean"], 2))).toBe(2);
    expect(archivePolicyMutableBlocks(withMethods(["mean", "rate:last"], 2))).toBe(3);
    expect(archivePolicyMutableBlocks(withMethods(["rate:95pct"]))).toBe(1);
  });
});

describe("DEFAULT_ARCHIVE_POLICIES", () => {
  it("matches carbonara §2.5", () => {
    const json = Object.values(DEFAULT_ARCHIVE_POLICIES).map(archivePolicyToJSON);
    const methods = sorted(DEFAULT_AGGREGATION_METHODS);
    expect(json.map((p) => ({ ...p, aggregation_methods: sorted(p.aggregation_methods) }))).toEqual(
      [
        {
          name: "bool",
          back_window: 3600,
          aggregation_methods: ["last"],
          definition: [
            { granularity: "0:00:01", points: 31_536_000, timespan: "365 days, 0:00:00" },
          ],
        },
        {
          name: "low",
          back_window: 0,
          aggregation_methods: methods,
          definition: [{ granularity: "0:05:00", points: 8640, timespan: "30 days, 0:00:00" }],
        },
        {
          name: "medium",
          back_window: 0,
          aggregation_methods: methods,
          definition: [
            { granularity: "0:01:00", points: 10080, timespan: "7 days, 0:00:00" },
            { granularity: "1:00:00", points: 8760, timespan: "365 days, 0:00:00" },
          ],
        },
        {
          name: "high",
          back_window: 0,
          aggregation_methods: methods,
          definition: [
            { granularity: "0:00:01", points: 3600, timespan: "1:00:00" },
            { granularity: "0:01:00", points: 10080, timespan: "7 days, 0:00:00" },
            { granularity: "1:00:00", points: 8760, timespan: "365 days, 0:00:00" },
          ],
        },
      ],
    );
  });

  it("is frozen", () => {
    expect(Object.isFrozen(DEFAULT_ARCHIVE_POLICIES.low)).toBe(true);
    expect(Object.isFrozen(DEFAULT_ARCHIVE_POLICIES.low.definition[0])).toBe(true);
  });
});
