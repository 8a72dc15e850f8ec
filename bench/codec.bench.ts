/**
 * Storage codec figures: encode / decode speed on full 3600-point splits and
 * the stored size per point, beside Gnocchi's documented worst case of about
 * 8 B/point (its uncompressed split payload is 10 B/point: uint16 offset +
 * float64 value, spec carbonara §2.6, §6.3).
 */
import { decodeRawBuffer, encodeRawBuffer } from "../src/carbonara/raw-codec.js";
import { decodeSplit, decodeSplitInto, encodeSplit } from "../src/carbonara/split-codec.js";
import { MICROS_PER_SECOND } from "../src/carbonara/time.js";
import type { TimeSerie } from "../src/carbonara/timeserie.js";
import { rate, report, section } from "./harness.js";
import { prng } from "./workload.js";

const POINTS = 3600;

function gaussian(rand: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
}

interface Dataset {
  readonly label: string;
  readonly granularity: number;
  readonly key: number;
  readonly serie: TimeSerie;
  readonly sizeTarget?: string;
}

function fullSplit(
  granularity: number,
  value: (i: number) => number,
): { key: number; serie: TimeSerie } {
  const span = POINTS * granularity;
  const key = Math.floor(1_700_000_000_000_000 / span) * span;
  const timestamps = new Float64Array(POINTS);
  const values = new Float64Array(POINTS);
  for (let i = 0; i < POINTS; i++) {
    timestamps[i] = key + i * granularity;
    values[i] = value(i);
  }
  return { key, serie: { timestamps, values } };
}

function datasets(): Dataset[] {
  const rand = prng(42);
  // (a) node-exporter-like gauge at 60 s: a random walk with 2 decimals
  // (steps ~ N(0, 0.3), e.g. a load average or a temperature).
  let x = 42;
  const gaugeG = 60 * MICROS_PER_SECOND;
  const gauge = fullSplit(gaugeG, () => {
    x = Math.round((x + 0.3 * gaussian(rand)) * 100) / 100;
    return x;
  });
  // (b) monotonically increasing counter at 1 s (bytes or requests: integer
  // increments uniform in [0, 1000) per second).
  let c = 123_456_789;
  const counterG = MICROS_PER_SECOND;
  const counter = fullSplit(counterG, () => {
    c += Math.floor(rand() * 1000);
    return c;
  });
  // (c) random float64 noise (full 52-bit mantissas, mixed signs): the worst case.
  const noiseG = 60 * MICROS_PER_SECOND;
  const noise = fullSplit(noiseG, () => (rand() * 2 - 1) * 1000 + rand() * 1e-9);
  // (d) for information: 60 s means of a 1 s 2-decimal gauge. Means (and
  // float sums) are rarely short decimals, so these take the XOR path.
  let y = 42;
  const mean = fullSplit(gaugeG, () => {
    let sum = 0;
    for (let j = 0; j < 60; j++) {
      y = Math.round((y + 0.05 * gaussian(rand)) * 100) / 100;
      sum += y;
    }
    return sum / 60;
  });
  return [
    {
      label: "split (a) gauge 2-dec walk 60s",
      granularity: gaugeG,
      ...gauge,
      sizeTarget: "<= 1.5",
    },
    {
      label: "split (b) counter 1s",
      granularity: counterG,
      ...counter,
      sizeTarget: "<= 1.5",
    },
    { label: "split (c) float64 noise 60s", granularity: noiseG, ...noise },
    { label: "split (d) 60s means of a 1s gauge", granularity: gaugeG, ...mean },
  ];
}

function check(a: TimeSerie, b: TimeSerie): void {
  if (a.timestamps.length !== b.timestamps.length) throw new Error("codec bench: length mismatch");
  for (let i = 0; i < a.timestamps.length; i++) {
    if (!Object.is(a.timestamps[i], b.timestamps[i]) || !Object.is(a.values[i], b.values[i])) {
      throw new Error(`codec bench: round trip mismatch at ${i}`);
    }
  }
}

export function run(): void {
  section(
    "Storage codecs (split: 3600 points; Gnocchi: ~8 B/point worst case, 10 B/point uncompressed)",
  );
  let sink = 0;
  for (const d of datasets()) {
    const bytes = encodeSplit(d.key, d.granularity, d.serie);
    check(d.serie, decodeSplit(bytes, d.key, d.granularity));
    const enc = rate(() => {
      sink += encodeSplit(d.key, d.granularity, d.serie).length;
    }, POINTS);
    const dec = rate(() => {
      sink += decodeSplit(bytes, d.key, d.granularity).values.length;
    }, POINTS);
    const ts = new Float64Array(POINTS);
    const vs = new Float64Array(POINTS);
    const decInto = rate(() => {
      sink += decodeSplitInto(bytes, d.key, d.granularity, ts, vs);
    }, POINTS);
    report({ name: `${d.label}: encode`, value: enc / 1e6, unit: "M points/s", target: ">= 20" });
    report({ name: `${d.label}: decode`, value: dec / 1e6, unit: "M points/s", target: ">= 50" });
    report({
      name: `${d.label}: decode into reused arrays`,
      value: decInto / 1e6,
      unit: "M points/s",
    });
    report({
      name: `${d.label}: size (Gnocchi: 8 worst, 10 raw)`,
      value: bytes.length / POINTS,
      unit: "B/point",
      ...(d.sizeTarget ? { target: d.sizeTarget } : {}),
    });
  }

  section("Raw buffer codec (3600 points, 10 s ± 50 ms jitter, 2-decimal gauge)");
  const rand = prng(7);
  const timestamps = new Float64Array(POINTS);
  const values = new Float64Array(POINTS);
  let t = 1_700_000_000_000_000;
  let x = 20;
  for (let i = 0; i < POINTS; i++) {
    t += 10 * MICROS_PER_SECOND + Math.round((rand() - 0.5) * 100_000);
    timestamps[i] = t;
    x = Math.round((x + 0.3 * gaussian(rand)) * 100) / 100;
    values[i] = x;
  }
  const raw: TimeSerie = { timestamps, values };
  const rawBytes = encodeRawBuffer(raw);
  check(raw, decodeRawBuffer(rawBytes));
  const enc = rate(() => {
    sink += encodeRawBuffer(raw).length;
  }, POINTS);
  const dec = rate(() => {
    sink += decodeRawBuffer(rawBytes).values.length;
  }, POINTS);
  report({ name: "raw buffer: encode", value: enc / 1e6, unit: "M points/s" });
  report({ name: "raw buffer: decode", value: dec / 1e6, unit: "M points/s" });
  report({
    name: "raw buffer: size (Gnocchi uncompressed 16)",
    value: rawBytes.length / POINTS,
    unit: "B/point",
  });
  if (sink === 0) console.log("(unreachable)");
}
