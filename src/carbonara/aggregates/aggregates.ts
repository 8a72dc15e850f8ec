import type { Micros } from "../time.js";
import type { AggregatedTimeSerie } from "../timeserie.js";
import { evaluateOperation } from "./evaluate.js";
import { buildGrid, type GridOptions } from "./grid.js";
import { isAggregatedTree, type MetricRef, type OperationNode } from "./operations.js";

/**
 * `/v1/aggregates` over already-fetched series (spec carbonara §9, rest
 * §10.6): per granularity, descending, build the grid, evaluate the tree,
 * then shape the result. The caller (the API layer) resolves metrics, checks
 * policies and granularities, reads each reference's aggregates (§7, with the
 * request's start/stop) and renders the blocks as `[ts, gran, value]` rows.
 */

/** One series the tree can select: what `metric` nodes name, and its aggregates per granularity. */
export interface AggregatesReference extends MetricRef {
  /**
   * The fetched aggregates of (metric, method), one per granularity to
   * compute (the granularity is each serie's own field).
   */
  readonly series: readonly AggregatedTimeSerie[];
}

/** The points of one granularity of a result series, timestamps ascending. */
export interface ResultBlock {
  readonly granularity: Micros;
  readonly timestamps: Float64Array;
  readonly values: Float64Array;
}

/** Blocks are ordered by granularity, descending (the REST row order). */
export type AggregatesResult<R extends AggregatesReference> =
  | { readonly aggregated: true; readonly blocks: ResultBlock[] }
  | {
      readonly aggregated: false;
      /** Every reference, in input order, even when it has no point (`[]` in REST). */
      readonly series: { readonly reference: R; readonly blocks: ResultBlock[] }[];
    };

/** `fill=dropna` output filter: drops NaN and ±inf points. */
function dropNonFinite(block: ResultBlock): ResultBlock {
  const { timestamps, values } = block;
  let n = 0;
  for (let i = 0; i < values.length; i++) if (Number.isFinite(values[i]!)) n++;
  if (n === values.length) return block;
  const t = new Float64Array(n);
  const v = new Float64Array(n);
  let k = 0;
  for (let i = 0; i < values.length; i++) {
    const value = values[i]!;
    if (Number.isFinite(value)) {
      t[k] = timestamps[i]!;
      v[k++] = value;
    }
  }
  return { granularity: block.granularity, timestamps: t, values: v };
}

/**
 * Computes `operations` (parsed by `parseOperations`) over `references`.
 * Throws UnaggregableTimeseriesError (overlap, rolling window, operands with
 * different times) with the `[ref, method]` pairs of the granularity as detail.
 */
export function evaluateAggregates<R extends AggregatesReference>(
  operations: OperationNode,
  references: readonly R[],
  options: GridOptions = {},
): AggregatesResult<R> {
  // Columns of each granularity: the references having a series of it, in input order.
  const byGranularity = new Map<Micros, { index: number; serie: AggregatedTimeSerie }[]>();
  references.forEach((reference, index) => {
    for (const serie of reference.series) {
      const entries = byGranularity.get(serie.granularity);
      if (entries) entries.push({ index, serie });
      else byGranularity.set(serie.granularity, [{ index, serie }]);
    }
  });
  const granularities = [...byGranularity.keys()].sort((a, b) => b - a);
  const aggregated = isAggregatedTree(operations);
  const aggregatedBlocks: ResultBlock[] = [];
  const perReference: ResultBlock[][] = references.map(() => []);
  const finish = (block: ResultBlock) => (options.fill === "dropna" ? dropNonFinite(block) : block);

  for (const granularity of granularities) {
    const entries = byGranularity.get(granularity)!;
    const refs: MetricRef[] = entries.map(({ index }) => ({
      ref: references[index]!.ref,
      method: references[index]!.method,
    }));
    const detail = refs.map((r) => [r.ref, r.method]);
    const grid = buildGrid(
      entries.map((e) => e.serie),
      granularity,
      options,
      detail,
    );
    const result = evaluateOperation(operations, grid, refs);
    const columns = typeof result.columns === "number" ? [] : result.columns;
    const block = (values: Float64Array | undefined): ResultBlock =>
      finish({
        granularity: result.granularity,
        timestamps: result.timestamps,
        values: values ?? new Float64Array(result.timestamps.length).fill(Number.NaN),
      });
    if (aggregated) {
      // A series ⊕ series of several columns still shows only the first (as the original).
      aggregatedBlocks.push(block(columns[0]));
    } else {
      entries.forEach(({ index }, c) => {
        perReference[index]!.push(block(columns[c]));
      });
    }
  }

  if (aggregated) return { aggregated: true, blocks: aggregatedBlocks };
  return {
    aggregated: false,
    series: references.map((reference, i) => ({ reference, blocks: perReference[i]! })),
  };
}
