/**
 * Carbonara write path: raw measures folded into a 3-granularity × 6-method
 * policy (1 s, 1 min, 1 h × mean, min, max, sum, count, last), measures 1 s
 * apart, batches of 3,600 per metric, steady state (each metric's raw buffer
 * carried from batch to batch as metricd does).
 */
import { planOf, processMeasures } from "../src/carbonara/bound-timeserie.js";
import { MICROS_PER_HOUR, MICROS_PER_MINUTE, MICROS_PER_SECOND } from "../src/carbonara/time.js";
import type { TimeSerie } from "../src/carbonara/timeserie.js";
import { rate, report, section } from "./harness.js";

export function run(): void {
  section("Carbonara aggregation (single thread)");
  const plan = planOf({
    blockSize: MICROS_PER_HOUR,
    mutableBlocks: 0,
    granularities: [MICROS_PER_SECOND, MICROS_PER_MINUTE, MICROS_PER_HOUR],
    methods: ["mean", "min", "max", "sum", "count", "last"],
  });
  const batch = 3_600;
  const metrics = 100;
  const buffers: (TimeSerie | undefined)[] = new Array(metrics).fill(undefined);
  const clocks = new Float64Array(metrics).fill(Date.UTC(2026, 0, 1) * 1000);
  let walk = 100;
  // Pre-built value batches so the loop times Carbonara, not the data generator.
  const valueBatches = Array.from({ length: 16 }, () =>
    Float64Array.from(
      { length: batch },
      () => (walk += Math.round((Math.random() - 0.5) * 100) / 100),
    ),
  );
  let m = 0;
  let b = 0;
  const measuresPerSecond = rate(() => {
    const timestamps = new Float64Array(batch);
    let t = clocks[m]!;
    for (let i = 0; i < batch; i++) timestamps[i] = t += MICROS_PER_SECOND;
    clocks[m] = t;
    const result = processMeasures(plan, buffers[m], {
      timestamps,
      values: valueBatches[b++ % 16]!,
    });
    buffers[m] = result.buffer;
    m = (m + 1) % metrics;
  }, batch);
  report({
    name: "raw measures folded into 3 granularities × 6 methods",
    value: measuresPerSecond,
    unit: "measures/s",
    target: "≥ 3,000,000",
  });
}
