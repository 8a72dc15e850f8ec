/**
 * The group folds `sum by (…)` and the like write series into: a step's
 * value is that of Prometheus' aggregation, whose first sample sets the sum
 * (so a lone -0 stays -0) and NaN or infinities propagate.
 */
import { describe, expect, it } from "vitest";
import { GroupFolder } from "../../src/promql-lite/aggregations.js";

function sumOf(...columns: (number | undefined)[][]): { present: number[]; values: number[] } {
  const steps = columns[0]!.length;
  const folder = new GroupFolder("sum", steps, [], false, 1);
  for (const column of columns) {
    const present = Uint8Array.from(column, (v) => (v === undefined ? 0 : 1));
    const values = Float64Array.from(column, (v) => v ?? 12345);
    folder.add({}, present, values);
  }
  const [out] = folder.result();
  return { present: Array.from(out!.present), values: Array.from(out!.values) };
}

describe("sum fold", () => {
  it("adds the present values of each step, and marks steps no series had", () => {
    const r = sumOf([1, undefined, 2, undefined], [10, undefined, undefined, 0.5]);
    expect(r.present).toEqual([1, 0, 1, 1]);
    expect([r.values[0], r.values[2], r.values[3]]).toEqual([11, 2, 0.5]);
  });

  it("keeps the sign of zero as Prometheus does, and propagates NaN and infinities", () => {
    const r = sumOf([-0, -0, 0, Number.NaN, Infinity], [undefined, -0, -0, 1, -Infinity]);
    expect(Object.is(r.values[0], -0)).toBe(true);
    expect(Object.is(r.values[1], -0)).toBe(true);
    expect(Object.is(r.values[2], 0)).toBe(true);
    expect(r.values[3]).toBeNaN();
    expect(r.values[4]).toBeNaN();
  });
});
