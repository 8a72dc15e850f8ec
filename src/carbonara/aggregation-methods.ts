import { UnknownAggregationMethodError } from "./errors.js";

/** The methods an archive policy can store, before `Npct` and `rate:` variants (spec carbonara §2.3). */
export const BASIC_AGGREGATION_METHODS = [
  "mean",
  "sum",
  "last",
  "max",
  "min",
  "std",
  "median",
  "first",
  "count",
] as const;

export type BasicAggregationMethod = (typeof BASIC_AGGREGATION_METHODS)[number];

/** `[archive_policy] default_aggregation_methods` of Gnocchi. */
export const DEFAULT_AGGREGATION_METHODS: readonly string[] = Object.freeze([
  "mean",
  "min",
  "max",
  "sum",
  "std",
  "count",
]);

/** A stored method taken apart: `rate:95pct` is {rate: true, base: "pct", percentile: 95}. */
export interface AggregationMethod {
  readonly name: string;
  readonly rate: boolean;
  readonly base: BasicAggregationMethod | "pct";
  /** 1..99 when `base` is "pct", else 0. */
  readonly percentile: number;
}

const PERCENTILE = /^([1-9][0-9]?)pct$/;
const BASIC: ReadonlySet<string> = new Set(BASIC_AGGREGATION_METHODS);

function parseNonRate(
  name: string,
): { base: BasicAggregationMethod | "pct"; percentile: number } | undefined {
  if (BASIC.has(name)) return { base: name as BasicAggregationMethod, percentile: 0 };
  const pct = PERCENTILE.exec(name);
  if (pct) return { base: "pct", percentile: Number(pct[1]) };
  return undefined;
}

/** Takes a stored method name apart, or returns undefined when it is not a valid method. */
export function parseAggregationMethod(name: string): AggregationMethod | undefined {
  const rate = name.startsWith("rate:");
  const parsed = parseNonRate(rate ? name.slice(5) : name);
  return parsed && { name, rate, ...parsed };
}

export function isValidAggregationMethod(name: string): boolean {
  return parseAggregationMethod(name) !== undefined;
}

function buildValidMethods(): readonly string[] {
  const plain: string[] = [...BASIC_AGGREGATION_METHODS];
  for (let n = 1; n <= 99; n++) plain.push(`${n}pct`);
  return Object.freeze([...plain, ...plain.map((m) => `rate:${m}`)]);
}

/** Every valid stored method, 216 names, as `/v1/capabilities` lists them. */
export const VALID_AGGREGATION_METHODS: readonly string[] = buildValidMethods();

/**
 * Resolves a policy's `aggregation_methods` input (spec rest §3.2): `*` starts
 * from every method, a list made only of `+m`/`-m` modifiers (the empty list
 * included) starts from the defaults, otherwise from the plain names given;
 * then each `-m` removes and each `+m` adds, in that order.
 */
export function resolveAggregationMethods(
  input: readonly string[],
  defaults: readonly string[] = DEFAULT_AGGREGATION_METHODS,
): string[] {
  const isModifier = (m: string) => m.startsWith("+") || m.startsWith("-");
  for (const entry of input) {
    const name = isModifier(entry) ? entry.slice(1) : entry;
    if (name !== "*" || isModifier(entry)) {
      if (!isValidAggregationMethod(name)) throw new UnknownAggregationMethodError(entry);
    }
  }
  let start: readonly string[];
  if (input.includes("*")) start = VALID_AGGREGATION_METHODS;
  else if (input.every(isModifier)) start = defaults;
  else start = input.filter((m) => !isModifier(m));
  const methods = new Set(start);
  for (const entry of input) if (entry.startsWith("-")) methods.delete(entry.slice(1));
  for (const entry of input) if (entry.startsWith("+")) methods.add(entry.slice(1));
  return [...methods];
}
