/**
 * PromQL-lite: a PromQL engine with Prometheus 2.42 semantics over any
 * SeriesSource. Entry points: `instantQuery` and `rangeQuery` (times in ms),
 * `parseExpr` / `exprToString` for the syntax, `toPrometheusData` for the
 * HTTP API's JSON, and `PromQLError` (with Prometheus' `errorType`) for failures.
 */
export { instantQuery, MAX_POINTS_PER_SERIES, type QueryOptions, rangeQuery } from "./engine.js";
export {
  ExecutionError,
  ParseError,
  PromQLError,
  type PromQLErrorType,
  QueryCanceledError,
  QueryTimeoutError,
} from "./errors.js";
export { MemorySeriesSource } from "./memory-source.js";
export type { Expr } from "./parser/ast.js";
export { formatDuration, parseDuration } from "./parser/duration.js";
export { parseExpr, typeOf } from "./parser/parse.js";
export { exprToString } from "./parser/printer.js";
export {
  formatSampleValue,
  formatTimestamp,
  type PrometheusData,
  type QueryResult,
  toPrometheusData,
} from "./result.js";
export {
  isStaleAt,
  type SelectHints,
  type SeriesData,
  type SeriesSource,
  STALE_NAN,
  STALE_NAN_BITS,
} from "./series-source.js";
