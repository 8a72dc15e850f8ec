import type { TimeSerie } from "../../src/carbonara/timeserie.js";

/** ISO 8601 UTC (no offset) to microseconds, for writing test data readably. */
export function at(iso: string): number {
  const ms = Date.parse(`${iso}Z`);
  if (Number.isNaN(ms)) throw new Error(`bad test timestamp ${iso}`);
  const fraction = /\.(\d+)$/.exec(iso)?.[1] ?? "";
  // Date keeps milliseconds only; add the remaining microsecond digits back.
  const extraMicros = Number(fraction.padEnd(6, "0").slice(3, 6));
  return ms * 1000 + extraMicros;
}

export function serie(points: readonly (readonly [string, number])[]): TimeSerie {
  return {
    timestamps: Float64Array.from(points, ([t]) => at(t)),
    values: Float64Array.from(points, ([, v]) => v),
  };
}

export function points(s: TimeSerie): [string, number][] {
  return Array.from(s.timestamps, (t, i) => [
    new Date(Math.floor(t / 1000)).toISOString().replace("Z", "") +
      (t % 1000 === 0 ? "" : String(t % 1000).padStart(3, "0")),
    s.values[i]!,
  ]);
}
