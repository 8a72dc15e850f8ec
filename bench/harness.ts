/**
 * The figures `npm run bench` prints. A benchmark times a body over enough
 * repetitions to run for at least `minMillis`, after a warm-up, and reports a
 * rate in its own unit. Figures are printed, never asserted.
 */
import { performance } from "node:perf_hooks";

export interface Figure {
  readonly name: string;
  readonly value: number;
  readonly unit: string;
  readonly target?: string;
}

const figures: Figure[] = [];

export function report(figure: Figure): void {
  figures.push(figure);
  const value =
    figure.value >= 100
      ? Math.round(figure.value).toLocaleString("en-US")
      : figure.value.toFixed(3);
  const target = figure.target ? `   (target ${figure.target})` : "";
  console.log(`  ${figure.name.padEnd(60)} ${value.padStart(14)} ${figure.unit}${target}`);
}

/** Runs `body` repeatedly; returns its rate as `workPerCall` units per second. */
export function rate(body: () => void, workPerCall: number, minMillis = 1_000): number {
  for (let i = 0; i < 3; i++) body();
  let calls = 0;
  const start = performance.now();
  let elapsed = 0;
  do {
    body();
    calls++;
    elapsed = performance.now() - start;
  } while (elapsed < minMillis);
  return (calls * workPerCall) / (elapsed / 1_000);
}

export function section(title: string): void {
  console.log(`\n${title}`);
}

export function allFigures(): readonly Figure[] {
  return figures;
}

/** The p-th percentile (nearest rank) of `samples`, sorted or not. */
export function percentile(samples: readonly number[], p: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}
