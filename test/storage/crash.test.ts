/**
 * Exactly-once under kill -9 (issue 4): a real child process ingests 100
 * metrics × 10,000 measures through the storage API while its metricd
 * aggregates; it is killed with SIGKILL at random moments (several kill
 * points), restarted from the first unacknowledged batch each time, and
 * finally let finish. Every acknowledged measure must then be aggregated
 * exactly once: per-second values, and sums and counts at every granularity.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { dirname, join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { MICROS_PER_HOUR, MICROS_PER_MINUTE, MICROS_PER_SECOND } from "../../src/carbonara/time.js";
import { InMemoryMetricCatalog } from "../../src/storage/metric-catalog.js";
import { StorageEngine } from "../../src/storage/storage-engine.js";
import {
  BATCHES,
  expectedPoints,
  METRICS,
  metricId,
  PER_BATCH,
  POLICY,
  SACKS,
  T0,
} from "./fixtures/crash-workload.js";
import { prng, tempDir } from "./helpers.js";

const here = dirname(fileURLToPath(import.meta.url));
const CHILD = join(here, "fixtures", "metricd-child.ts");

interface Run {
  acked: number;
  killedAt: string;
  exit: number | null;
  signal: NodeJS.Signals | null;
  done: boolean;
  /** Measures this run found already applied (a commit whose release a crash lost). */
  alreadyApplied: number;
}

interface Kill {
  /** `ready`: while ingesting with metricd running; `sent`: metricd held until all is sent. */
  readonly after: "ready" | "sent";
  readonly ms: number;
}

function runChild(dataDir: string, from: number, kill: Kill | undefined): Promise<Run> {
  return new Promise((resolve, reject) => {
    const args = ["--import", "tsx", CHILD, dataDir, String(from)];
    if (kill?.after === "sent") args.push("hold");
    const child: ChildProcess = spawn(process.execPath, args, {
      stdio: ["ignore", "pipe", "pipe"],
    });
    const arm = () => {
      setTimeout(() => {
        run.killedAt = stage;
        child.kill("SIGKILL");
      }, kill!.ms);
    };
    const run: Run = {
      acked: from - 1,
      killedAt: "",
      exit: null,
      signal: null,
      done: false,
      alreadyApplied: 0,
    };
    let stage = "starting";
    let stderr = "";
    child.stderr!.on("data", (d: Buffer) => {
      stderr += d.toString();
    });
    createInterface({ input: child.stdout! }).on("line", (line) => {
      if (line.startsWith("ack ")) {
        run.acked = Number(line.slice(4));
        stage = `ingesting (acked ${run.acked})`;
      } else if (line.startsWith("already-applied ")) {
        run.alreadyApplied = Number(line.slice(16));
      } else if (line === "ready") {
        stage = "ready";
        if (kill?.after === "ready") arm();
      } else if (line === "sent") {
        stage = "aggregating (all sent)";
        if (kill?.after === "sent") arm();
      } else if (line === "done") {
        stage = "done";
        run.done = true;
      }
    });
    child.on("error", reject);
    child.on("exit", (code, signal) => {
      run.exit = code;
      run.signal = signal;
      if (signal === null && code !== 0) reject(new Error(`child failed (${code}): ${stderr}`));
      else resolve(run);
    });
  });
}

describe("kill -9 during ingest and aggregation", () => {
  it("aggregates every acknowledged measure exactly once across crashes", async () => {
    const dataDir = await tempDir();
    const rand = prng(Date.now() & 0xffff);
    let next = 0;
    const kills: string[] = [];
    // Three kills while ingesting with metricd aggregating alongside, then four
    // while metricd works through a backlog.
    const plan: Kill[] = [
      ...Array.from({ length: 3 }, (): Kill => ({ after: "ready", ms: 50 + rand() * 600 })),
      ...Array.from({ length: 4 }, (): Kill => ({ after: "sent", ms: rand() * 400 })),
    ];
    for (const kill of plan) {
      const run = await runChild(dataDir, next, kill);
      kills.push(
        `${kill.after}+${Math.round(kill.ms)} ms: ${run.killedAt || (run.done ? "finished first" : "?")}` +
          (run.alreadyApplied > 0 ? ` [skipped ${run.alreadyApplied} already applied]` : ""),
      );
      next = run.acked + 1;
    }
    const final = await runChild(dataDir, next, undefined);
    expect(final.done, kills.join("; ")).toBe(true);

    const catalog = new InMemoryMetricCatalog();
    for (let m = 0; m < METRICS; m++) catalog.add(metricId(m), POLICY);
    const engine = await StorageEngine.open({ dataDir, catalog, sacks: SACKS });
    try {
      expect((await engine.reader.backlog()).batches).toBe(0);
      const n = BATCHES * PER_BATCH;
      for (let m = 0; m < METRICS; m++) {
        const id = metricId(m);
        const points = expectedPoints(m);
        let total = 0;
        for (const v of points) total += v;
        const read = (method: string, granularity: number) =>
          engine.reader.getMeasures({ metricId: id, method, granularity, timespan: null });
        const perSecond = (await read("last", MICROS_PER_SECOND))!;
        expect(perSecond.timestamps.length).toBe(n);
        expect(perSecond.timestamps[0]).toBe(T0);
        expect(Array.from(perSecond.values)).toEqual(Array.from(points));
        for (const g of [MICROS_PER_SECOND, MICROS_PER_MINUTE, MICROS_PER_HOUR]) {
          const sums = (await read("sum", g))!.values;
          const counts = (await read("count", g))!.values;
          expect(
            sums.reduce((a, b) => a + b, 0),
            `sum of ${id} at ${g}`,
          ).toBe(total);
          expect(
            counts.reduce((a, b) => a + b, 0),
            `count of ${id} at ${g}`,
          ).toBe(n);
        }
      }
    } finally {
      await engine.close();
    }
    console.log(`crash test kill points: ${kills.join("; ")}`);
  }, 120_000);
});
