/**
 * statsd figures (issue 6): lines per second received over UDP on loopback
 * without loss, from a sender thread pacing datagrams of about 1,400 bytes
 * (~30 lines, as statsd clients batch them) over 2,000 series (counters,
 * gauges, timers; half of them tagged); then the flush of those series into
 * the indexer (first flush: creating the metrics; next ones: cached) and the
 * incoming store; and the parser alone on one core.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { Worker } from "node:worker_threads";
import { pino } from "pino";
import { Registry } from "prom-client";
import { openPgliteDriver } from "../src/indexer/driver-pglite.js";
import { IndexerMetricCatalog } from "../src/indexer/metric-catalog.js";
import { upgrade } from "../src/indexer/upgrade.js";
import { Accumulator } from "../src/statsd/accumulator.js";
import { type RunningStatsd, startStatsd } from "../src/statsd/index.js";
import { StorageEngine } from "../src/storage/storage-engine.js";
import { rate, report, section } from "./harness.js";
import { prng } from "./workload.js";

const SERIES = 2_000;

/** Datagrams of whole lines, each at most 1,400 bytes, cycling over the series. */
function datagrams(): { texts: string[]; lines: number[] } {
  const random = prng(6);
  const lines: string[] = [];
  for (let i = 0; i < SERIES; i++) {
    const tags = i % 2 === 0 ? `|#host:web-${i % 20},env:prod` : "";
    const value = Math.round(random() * 100_000) / 100;
    const kind = i % 3;
    lines.push(
      kind === 0
        ? `app.requests.${i}:1|c${tags}`
        : kind === 1
          ? `app.queue.depth.${i}:${value}|g${tags}`
          : `app.latency.${i}:${value}|ms${tags}`,
    );
  }
  const texts: string[] = [];
  const counts: number[] = [];
  let current: string[] = [];
  let bytes = 0;
  for (const line of [...lines, ...lines]) {
    if (bytes + line.length + 1 > 1_400) {
      texts.push(current.join("\n"));
      counts.push(current.length);
      current = [];
      bytes = 0;
    }
    current.push(line);
    bytes += line.length + 1;
  }
  texts.push(current.join("\n"));
  counts.push(current.length);
  return { texts, lines: counts };
}

/** Plain JS run in a worker thread: paces datagrams at `rate` lines/s for `seconds`. */
const SENDER = `
const { parentPort, workerData } = require("node:worker_threads");
const dgram = require("node:dgram");
const { port, rate, seconds, texts, lines } = workerData;
const socket = dgram.createSocket("udp4");
const buffers = texts.map((t) => Buffer.from(t));
const total = rate * seconds;
let sentLines = 0, sentDatagrams = 0, pending = 0, i = 0, done = false;
const start = performance.now();
const finish = () => {
  if (done && pending === 0) {
    socket.close();
    parentPort.postMessage({ lines: sentLines, datagrams: sentDatagrams, seconds: (performance.now() - start) / 1000 });
  }
};
function tick() {
  const due = Math.min(total, (rate * (performance.now() - start)) / 1000);
  while (sentLines < due) {
    const k = i++ % buffers.length;
    pending++;
    socket.send(buffers[k], port, "127.0.0.1", () => { pending--; finish(); });
    sentLines += lines[k];
    sentDatagrams++;
  }
  if (sentLines < total) setTimeout(tick, 1);
  else { done = true; finish(); }
}
tick();
`;

function sendPaced(
  port: number,
  ratePerSecond: number,
  seconds: number,
  data: { texts: string[]; lines: number[] },
): Promise<{ lines: number; datagrams: number; seconds: number }> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(SENDER, {
      eval: true,
      workerData: { port, rate: ratePerSecond, seconds, ...data },
    });
    worker.once("message", resolve);
    worker.once("error", reject);
  });
}

async function settle(daemon: RunningStatsd, lines: number): Promise<void> {
  // Lets the last datagrams in the socket buffer arrive (loss shows as a shortfall).
  const deadline = Date.now() + 2_000;
  while (daemon.stats.lines < lines && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 20));
  }
}

export async function run(): Promise<void> {
  section("statsd: UDP on loopback (sender thread, ~1,400-byte datagrams, 2,000 series)");
  const dir = await mkdtemp(join(tmpdir(), "gnocchi-ts-bench-statsd-"));
  const db = await openPgliteDriver({ memory: true });
  await upgrade(db, {});
  const storage = await StorageEngine.open({
    dataDir: dir,
    sacks: 16,
    catalog: new IndexerMetricCatalog(db),
  });
  const daemon = await startStatsd(
    {
      host: "127.0.0.1",
      port: 0,
      resourceId: "bench",
      creator: "admin",
      archivePolicyName: null,
      flushDelayMs: 3_600_000, // flushed by hand below
      resourceTag: "host",
      resourceType: "generic",
    },
    { db, storage, logger: pino({ level: "silent" }), registry: new Registry() },
  );
  const data = datagrams();
  try {
    let t0 = performance.now();
    await sendPaced(daemon.port, 50_000, 0.5, data);
    await settle(daemon, 25_000);
    const first = await daemon.flush();
    report({
      name: `first flush: create ${first.metrics.toLocaleString("en-US")} metrics, append`,
      value: (performance.now() - t0) / 1000 - 0.5,
      unit: "s",
    });

    for (const target of [200_000, 300_000, 400_000]) {
      const before = daemon.stats.lines;
      const sent = await sendPaced(daemon.port, target, 3, data);
      await settle(daemon, before + sent.lines);
      const got = daemon.stats.lines - before;
      const lost = sent.lines - got;
      report({
        name: `paced at ${target.toLocaleString("en-US")} lines/s: received`,
        value: got / sent.seconds,
        unit: `lines/s, ${lost === 0 ? "no loss" : `${((100 * lost) / sent.lines).toFixed(2)} % lost`}`,
        target: "≥ 200,000 without loss",
      });
      t0 = performance.now();
      const flushed = await daemon.flush();
      report({
        name: `flush of ${flushed.metrics.toLocaleString("en-US")} metrics, ${flushed.measures.toLocaleString("en-US")} measures (cached ids)`,
        value: performance.now() - t0,
        unit: "ms",
      });
    }
  } finally {
    await daemon.close();
    await storage.close();
    await db.close();
    await rm(dir, { recursive: true, force: true });
  }

  section("statsd: parsing and accumulating alone (one core)");
  const accumulator = new Accumulator({
    resourceTag: "host",
    creator: "admin",
    maxSeries: 100_000,
    idleFlushes: 1_000,
  });
  const sink = { bad: () => {} };
  const linesPerPass = data.lines.reduce((a, b) => a + b, 0);
  let at = 1;
  // 50 passes (200,000 lines) per flush interval, as at 20,000 lines/s with a 10 s flush.
  const perSecond = rate(() => {
    for (let pass = 0; pass < 50; pass++) {
      for (const text of data.texts) accumulator.addText(text, at++, sink);
    }
    accumulator.drain();
  }, 50 * linesPerPass);
  report({ name: "lines parsed and accumulated", value: perSecond, unit: "lines/s" });
}
