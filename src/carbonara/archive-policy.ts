/**
 * Archive policies as values (spec rest §3, carbonara §2): how each
 * definition item is completed from two of granularity/points/timespan, what
 * a policy change may touch, and the JSON Gnocchi prints for them.
 */
import { DEFAULT_AGGREGATION_METHODS, resolveAggregationMethods } from "./aggregation-methods.js";
import { InvalidArchivePolicyError, UnsupportedArchivePolicyChangeError } from "./errors.js";
import {
  MICROS_PER_DAY,
  MICROS_PER_HOUR,
  MICROS_PER_MINUTE,
  MICROS_PER_SECOND,
  type Micros,
} from "./time.js";
import { formatSeconds, formatTimedelta, parsePositiveTimespan } from "./timespan.js";

export interface ArchivePolicyItem {
  readonly granularity: Micros;
  /** null with `timespan`: keep forever. */
  readonly points: number | null;
  readonly timespan: Micros | null;
}

export interface ArchivePolicy {
  readonly name: string;
  readonly backWindow: number;
  /** Resolved stored methods (spec rest §3.2); order not significant. */
  readonly aggregationMethods: readonly string[];
  /** In the order given at creation (or at the last change). */
  readonly definition: readonly ArchivePolicyItem[];
}

/** A definition item with its durations already parsed; absent and null mean "not given". */
export interface ArchivePolicyItemSpec {
  readonly granularity?: Micros | null;
  readonly points?: number | null;
  readonly timespan?: Micros | null;
}

/** A definition item as the REST body carries it: durations as timespans (seconds or expressions). */
export interface ArchivePolicyItemInput {
  readonly granularity?: string | number | null;
  readonly points?: number | null;
  readonly timespan?: string | number | null;
}

/** `POST /v1/archive_policy` body, its JSON shape already validated. */
export interface ArchivePolicyInput {
  readonly name: string;
  readonly back_window?: number;
  readonly aggregation_methods?: readonly string[];
  readonly definition: readonly ArchivePolicyItemInput[];
}

export interface ArchivePolicyItemJSON {
  granularity: string;
  points: number | null;
  timespan: string | null;
}

export interface ArchivePolicyJSON {
  name: string;
  back_window: number;
  aggregation_methods: string[];
  definition: ArchivePolicyItemJSON[];
}

const given = <T>(value: T | null | undefined): value is T => value !== null && value !== undefined;

/** ⌊timespan / granularity⌋ in integers, immune to the float quotient rounding up. */
function pointsWithin(timespan: Micros, granularity: Micros): number {
  const points = Math.floor(timespan / granularity);
  return points * granularity > timespan ? points - 1 : points;
}

/**
 * Completes a definition item from what was given (spec rest §3.2), checking
 * in Gnocchi's order:
 * - all three: timespan must equal granularity × points;
 * - granularity + points: timespan = granularity × points;
 * - granularity + timespan: points = ⌊timespan / granularity⌋ (≥ 1), and the
 *   timespan is recomputed from it (1 h at 7 s → 514 points, 0:59:58);
 * - points + timespan: granularity = timespan / points, truncated to the
 *   microsecond (1 h / 1000 → 3.6 s);
 * - granularity alone: points and timespan null (keep forever).
 */
export function resolveArchivePolicyItem(spec: ArchivePolicyItemSpec): ArchivePolicyItem {
  const { granularity, points, timespan } = spec;
  if (given(granularity) && given(points) && given(timespan) && timespan !== granularity * points) {
    throw new InvalidArchivePolicyError("timespan ≠ granularity × points");
  }
  if (given(granularity) && granularity <= 0) {
    throw new InvalidArchivePolicyError("Granularity should be > 0");
  }
  if (given(points) && points <= 0) {
    throw new InvalidArchivePolicyError("Number of points should be > 0");
  }
  if (given(granularity)) {
    if (given(points)) {
      const wholePoints = Math.trunc(points);
      return { granularity, points: wholePoints, timespan: granularity * wholePoints };
    }
    if (!given(timespan)) return { granularity, points: null, timespan: null };
    const computedPoints = pointsWithin(timespan, granularity);
    if (computedPoints <= 0) {
      throw new InvalidArchivePolicyError("Calculated number of points is < 0");
    }
    return { granularity, points: computedPoints, timespan: granularity * computedPoints };
  }
  if (!given(points) || !given(timespan)) {
    throw new InvalidArchivePolicyError(
      "At least two of granularity/points/timespan must be provided",
    );
  }
  const wholePoints = Math.trunc(points);
  const derivedGranularity = Math.trunc(timespan / wholePoints);
  if (derivedGranularity <= 0) throw new InvalidArchivePolicyError("Granularity should be > 0");
  return {
    granularity: derivedGranularity,
    points: wholePoints,
    timespan: derivedGranularity * wholePoints,
  };
}

/**
 * Parses and completes a definition item from the REST body. Durations must
 * be positive timespans (InvalidTimespanError otherwise, which the API
 * reports as invalid input); then `resolveArchivePolicyItem` applies.
 */
export function parseArchivePolicyItem(input: ArchivePolicyItemInput): ArchivePolicyItem {
  return resolveArchivePolicyItem({
    granularity: given(input.granularity) ? parsePositiveTimespan(input.granularity) : null,
    points: input.points ?? null,
    timespan: given(input.timespan) ? parsePositiveTimespan(input.timespan) : null,
  });
}

/** The first granularity used twice, in definition order, as Gnocchi reports it. */
function firstDuplicateGranularity(definition: readonly ArchivePolicyItem[]): Micros | undefined {
  const counts = new Map<Micros, number>();
  for (const { granularity } of definition)
    counts.set(granularity, (counts.get(granularity) ?? 0) + 1);
  for (const [granularity, count] of counts) if (count > 1) return granularity;
  return undefined;
}

function assertUniqueGranularities(definition: readonly ArchivePolicyItem[]): void {
  const duplicate = firstDuplicateGranularity(definition);
  if (duplicate !== undefined) {
    throw new InvalidArchivePolicyError(
      `More than one archive policy uses granularity \`${formatSeconds(duplicate)}'`,
    );
  }
}

/**
 * Builds a policy from a `POST /v1/archive_policy` body: methods resolved
 * against `defaultMethods` (UnknownAggregationMethodError), items completed,
 * granularities unique. `back_window` defaults to 0.
 */
export function createArchivePolicy(
  input: ArchivePolicyInput,
  defaultMethods?: readonly string[],
): ArchivePolicy {
  const backWindow = input.back_window ?? 0;
  if (!Number.isInteger(backWindow) || backWindow < 0) {
    throw new InvalidArchivePolicyError("Value must be positive");
  }
  const aggregationMethods = resolveAggregationMethods(
    input.aggregation_methods ?? [],
    defaultMethods,
  );
  if (input.definition.length === 0) {
    throw new InvalidArchivePolicyError("length of value must be at least 1");
  }
  const definition = input.definition.map(parseArchivePolicyItem);
  assertUniqueGranularities(definition);
  return { name: input.name, backWindow, aggregationMethods, definition };
}

const byGranularity = (a: ArchivePolicyItem, b: ArchivePolicyItem) => a.granularity - b.granularity;

/**
 * Applies `PATCH /v1/archive_policy/{name}` (spec rest §3.4): only points and
 * timespans may change. Both definitions are compared sorted by granularity;
 * the new one is kept in the order given.
 */
export function updateArchivePolicyDefinition(
  policy: ArchivePolicy,
  definitionInput: readonly ArchivePolicyItemInput[],
): ArchivePolicy {
  const definition = definitionInput.map(parseArchivePolicyItem);
  const current = [...policy.definition].sort(byGranularity);
  const proposed = [...definition].sort(byGranularity);
  if (current.length !== proposed.length) {
    throw new UnsupportedArchivePolicyChangeError(policy.name, "Cannot add or drop granularities");
  }
  current.forEach((item, i) => {
    if (item.granularity !== proposed[i]!.granularity) {
      throw new UnsupportedArchivePolicyChangeError(
        policy.name,
        `${formatSeconds(item.granularity)} granularity interval was changed`,
      );
    }
  });
  return { ...policy, definition };
}

export function archivePolicyItemToJSON(item: ArchivePolicyItem): ArchivePolicyItemJSON {
  return {
    granularity: formatTimedelta(item.granularity),
    points: item.points,
    timespan: item.timespan === null ? null : formatTimedelta(item.timespan),
  };
}

/** The REST representation (spec rest §3.1). */
export function archivePolicyToJSON(policy: ArchivePolicy): ArchivePolicyJSON {
  return {
    name: policy.name,
    back_window: policy.backWindow,
    aggregation_methods: [...policy.aggregationMethods],
    definition: policy.definition.map(archivePolicyItemToJSON),
  };
}

/** The largest granularity: the unit of `back_window` and of the raw buffer (spec carbonara §4.2). */
export function archivePolicyBlockSize(policy: ArchivePolicy): Micros {
  return Math.max(...policy.definition.map((item) => item.granularity));
}

/**
 * How many blocks before the newest one stay writable: `back_window`, plus
 * one when a `rate:` method needs the previous bucket (spec carbonara §5.1).
 */
export function archivePolicyMutableBlocks(policy: ArchivePolicy): number {
  const needsPreviousBucket = policy.aggregationMethods.some((m) => m.startsWith("rate:"));
  return policy.backWindow + (needsPreviousBucket ? 1 : 0);
}

const DEFAULT_METHODS = DEFAULT_AGGREGATION_METHODS;

function defaultPolicy(
  name: string,
  backWindow: number,
  aggregationMethods: readonly string[],
  items: readonly (readonly [granularity: Micros, timespan: Micros])[],
): ArchivePolicy {
  return Object.freeze({
    name,
    backWindow,
    aggregationMethods: Object.freeze([...aggregationMethods]),
    definition: Object.freeze(
      items.map(([granularity, timespan]) =>
        Object.freeze(resolveArchivePolicyItem({ granularity, timespan })),
      ),
    ),
  });
}

/** Created by the bootstrap command only on an empty indexer (spec carbonara §2.5). */
export const DEFAULT_ARCHIVE_POLICIES: Readonly<
  Record<"bool" | "low" | "medium" | "high", ArchivePolicy>
> = Object.freeze({
  bool: defaultPolicy("bool", 3600, ["last"], [[MICROS_PER_SECOND, 365 * MICROS_PER_DAY]]),
  low: defaultPolicy("low", 0, DEFAULT_METHODS, [[5 * MICROS_PER_MINUTE, 30 * MICROS_PER_DAY]]),
  medium: defaultPolicy("medium", 0, DEFAULT_METHODS, [
    [MICROS_PER_MINUTE, 7 * MICROS_PER_DAY],
    [MICROS_PER_HOUR, 365 * MICROS_PER_DAY],
  ]),
  high: defaultPolicy("high", 0, DEFAULT_METHODS, [
    [MICROS_PER_SECOND, MICROS_PER_HOUR],
    [MICROS_PER_MINUTE, 7 * MICROS_PER_DAY],
    [MICROS_PER_HOUR, 365 * MICROS_PER_DAY],
  ]),
});
