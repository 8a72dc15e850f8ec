import type { Micros } from "./time.js";

/**
 * A time series held as two parallel typed arrays, timestamps ascending and
 * unique. Every series the engine passes around has this shape so hot loops
 * touch only typed arrays and never allocate an object per point.
 */
export interface TimeSerie {
  readonly timestamps: Float64Array;
  readonly values: Float64Array;
}

/** A series of aggregates: one value per bucket of `granularity` for one method. */
export interface AggregatedTimeSerie extends TimeSerie {
  readonly method: string;
  readonly granularity: Micros;
}

export const EMPTY_SERIE: TimeSerie = Object.freeze({
  timestamps: new Float64Array(0),
  values: new Float64Array(0),
});
