/**
 * Cross-series operations of `/v1/aggregates` (spec carbonara §9, rest §10):
 * parse the operation tree, build the per-granularity grid, evaluate.
 */
export {
  type AggregatesReference,
  type AggregatesResult,
  evaluateAggregates,
  type ResultBlock,
} from "./aggregates.js";
export { type Evaluated, evaluateOperation } from "./evaluate.js";
export { buildGrid, type Fill, type Grid, type GridOptions } from "./grid.js";
export {
  BINARY_OPERATORS,
  type BinaryOperator,
  extractReferences,
  isAggregatedTree,
  isSeriesValued,
  type MetricRef,
  type OperationNode,
  toOperationJson,
  UNARY_OPERATORS,
  type UnaryOperator,
} from "./operations.js";
export { parseOperations, pythonFloat } from "./parse.js";
export {
  CROSS_AGGREGATION_METHODS,
  type CrossMethod,
  nanReducer,
  parseCrossMethod,
} from "./reducers.js";
export { parseSExpression, type SExpression } from "./sexpr.js";
