/**
 * Function signatures the parser checks calls against (Prometheus'
 * promql/parser/functions.go as of 2.42). `variadic`: 0 = exactly the listed
 * arguments; n > 0 = the last listed argument may be omitted and up to n
 * more of its type given; -1 = any number more.
 */
import type { ValueType } from "./ast.js";

export interface FunctionSignature {
  readonly name: string;
  readonly argTypes: readonly ValueType[];
  readonly variadic: number;
  readonly returnType: ValueType;
}

const v: ValueType = "vector";
const m: ValueType = "matrix";
const s: ValueType = "scalar";
const str: ValueType = "string";

const table: Array<[string, ValueType[], number, ValueType]> = [
  ["abs", [v], 0, v],
  ["absent", [v], 0, v],
  ["absent_over_time", [m], 0, v],
  ["acos", [v], 0, v],
  ["acosh", [v], 0, v],
  ["asin", [v], 0, v],
  ["asinh", [v], 0, v],
  ["atan", [v], 0, v],
  ["atanh", [v], 0, v],
  ["avg_over_time", [m], 0, v],
  ["ceil", [v], 0, v],
  ["changes", [m], 0, v],
  ["clamp", [v, s, s], 0, v],
  ["clamp_max", [v, s], 0, v],
  ["clamp_min", [v, s], 0, v],
  ["cos", [v], 0, v],
  ["cosh", [v], 0, v],
  ["count_over_time", [m], 0, v],
  ["days_in_month", [v], 1, v],
  ["day_of_month", [v], 1, v],
  ["day_of_week", [v], 1, v],
  ["day_of_year", [v], 1, v],
  ["deg", [v], 0, v],
  ["delta", [m], 0, v],
  ["deriv", [m], 0, v],
  ["exp", [v], 0, v],
  ["floor", [v], 0, v],
  ["histogram_quantile", [s, v], 0, v],
  ["holt_winters", [m, s, s], 0, v],
  ["hour", [v], 1, v],
  ["idelta", [m], 0, v],
  ["increase", [m], 0, v],
  ["irate", [m], 0, v],
  ["label_replace", [v, str, str, str, str], 0, v],
  ["label_join", [v, str, str, str], -1, v],
  ["last_over_time", [m], 0, v],
  ["ln", [v], 0, v],
  ["log10", [v], 0, v],
  ["log2", [v], 0, v],
  ["max_over_time", [m], 0, v],
  ["min_over_time", [m], 0, v],
  ["minute", [v], 1, v],
  ["month", [v], 1, v],
  ["pi", [], 0, s],
  ["predict_linear", [m, s], 0, v],
  ["present_over_time", [m], 0, v],
  ["quantile_over_time", [s, m], 0, v],
  ["rad", [v], 0, v],
  ["rate", [m], 0, v],
  ["resets", [m], 0, v],
  ["round", [v, s], 1, v],
  ["scalar", [v], 0, s],
  ["sgn", [v], 0, v],
  ["sin", [v], 0, v],
  ["sinh", [v], 0, v],
  ["sort", [v], 0, v],
  ["sort_desc", [v], 0, v],
  ["sqrt", [v], 0, v],
  ["stddev_over_time", [m], 0, v],
  ["stdvar_over_time", [m], 0, v],
  ["sum_over_time", [m], 0, v],
  ["tan", [v], 0, v],
  ["tanh", [v], 0, v],
  ["time", [], 0, s],
  ["timestamp", [v], 0, v],
  ["vector", [s], 0, v],
  ["year", [v], 1, v],
];

export const FUNCTIONS: ReadonlyMap<string, FunctionSignature> = new Map(
  table.map(([name, argTypes, variadic, returnType]) => [
    name,
    { name, argTypes, variadic, returnType },
  ]),
);

/**
 * Functions of later Prometheus versions (or native histograms) that this
 * engine does not implement: named in the error instead of "unknown function".
 */
export const UNSUPPORTED_FUNCTIONS: ReadonlySet<string> = new Set([
  "histogram_count",
  "histogram_sum",
  "histogram_fraction",
  "histogram_avg",
  "histogram_stddev",
  "histogram_stdvar",
  "histogram_quantiles",
  "double_exponential_smoothing",
  "sort_by_label",
  "sort_by_label_desc",
  "mad_over_time",
  "first_over_time",
  "ts_of_min_over_time",
  "ts_of_max_over_time",
  "ts_of_last_over_time",
  "limitk",
  "limit_ratio",
  "info",
  "start_timestamp",
]);
