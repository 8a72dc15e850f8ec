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

/**
 * Whether two arrays hold the same bits: -0 and 0 differ, a NaN equals only
 * the same NaN. What a cache compares a series with before it gives back
 * something derived from it, since equal numbers may still print differently.
 */
export function sameBits(a: Float64Array, b: Float64Array): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(
    Buffer.from(b.buffer, b.byteOffset, b.byteLength),
  );
}
