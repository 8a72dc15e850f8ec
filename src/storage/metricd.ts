/**
 * metricd in-process (spec carbonara §10.4): processing workers over the sacks
 * and the janitor.
 *
 * - Greedy wake-up: the incoming store calls back when an append became
 *   durable; that sack is queued at once (after `wakeDelayMs`, which lets a
 *   burst of appends coalesce into one processing).
 * - A periodic scan every `processingDelayMs` (and one at start, which picks
 *   up what a crash left pending) queues every sack with pending batches.
 * - Up to `workers` sacks are processed concurrently (async: I/O and fsyncs
 *   overlap; the CPU work runs on the event loop). A sack is never queued
 *   twice; one notified while being processed runs again right after.
 * - Workers take the sack lock with `tryAcquire`: a sack held by API
 *   `refresh` (or the janitor) is retried shortly instead of waited for.
 * - A failed sack (storage error) is retried with a back-off; nothing of it
 *   was released, so no measure is lost or applied twice.
 * - While measures wait, the backlog (metrics, batches, measures) is reported
 *   every `backlogIntervalMs` through `onBacklog` (the server logs it at info).
 * - `stop()` ends the timers and waits for the sacks being processed.
 */
import { availableParallelism } from "node:os";
import { performance } from "node:perf_hooks";
import type { IncomingStore } from "./incoming.js";
import type { Janitor } from "./janitor.js";
import type { MetricProcessor } from "./metric-processor.js";
import type { SackLocks } from "./sack-lock.js";

export interface MetricdOptions {
  readonly incoming: IncomingStore;
  readonly processor: MetricProcessor;
  readonly locks: SackLocks;
  readonly janitor?: Janitor;
  /** Sacks processed concurrently (default: CPU count). */
  readonly workers?: number;
  /** Full scan period (default 60 s, spec `metric_processing_delay`). */
  readonly processingDelayMs?: number;
  /** Janitor period (default 300 s, spec `metric_cleanup_delay`). */
  readonly cleanupDelayMs?: number;
  /** Process sacks as soon as measures land in them (default true). */
  readonly greedy?: boolean;
  /** Delay between a notification and the processing it triggers (default 5 ms). */
  readonly wakeDelayMs?: number;
  /** Retry delay for a sack whose lock was busy (default 20 ms). */
  readonly busyRetryMs?: number;
  readonly onError?: (error: unknown, context: string) => void;
  /** Called every `backlogIntervalMs` while measures wait (the server logs it at info). */
  readonly onBacklog?: (backlog: BacklogFigures) => void;
  /** Backlog report period (default 60 s). */
  readonly backlogIntervalMs?: number;
  /** Called after each processed sack with its duration in seconds (self-monitoring). */
  readonly onSackProcessed?: (seconds: number) => void;
}

/** What `onBacklog` reports: metrics with pending measures, their batches and measures. */
export interface BacklogFigures {
  readonly metrics: number;
  readonly batches: number;
  readonly measures: number;
}

export interface MetricdStats {
  sacksProcessed: number;
  busySkips: number;
  errors: number;
  scans: number;
  janitorRuns: number;
}

export class Metricd {
  readonly stats: MetricdStats = {
    sacksProcessed: 0,
    busySkips: 0,
    errors: 0,
    scans: 0,
    janitorRuns: 0,
  };
  private readonly workers: number;
  private readonly queue: number[] = [];
  private readonly queued = new Set<number>();
  private readonly running = new Set<number>();
  private readonly again = new Set<number>();
  private readonly failures = new Map<number, number>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly tasks = new Set<Promise<void>>();
  private unsubscribe: (() => void) | undefined;
  private scanTimer: NodeJS.Timeout | undefined;
  private cleanupTimer: NodeJS.Timeout | undefined;
  private backlogTimer: NodeJS.Timeout | undefined;
  private janitorRun: Promise<void> | undefined;
  private started = false;
  private stopped = false;
  private idleWaiters: (() => void)[] = [];

  constructor(private readonly options: MetricdOptions) {
    this.workers = Math.max(1, options.workers ?? availableParallelism());
  }

  start(): void {
    if (this.started) return;
    this.started = true;
    const { incoming } = this.options;
    if (this.options.greedy ?? true) {
      this.unsubscribe = incoming.subscribe((sack) => this.notify(sack));
    }
    const delay = this.options.processingDelayMs ?? 60_000;
    this.scanTimer = setInterval(() => void this.scan(), delay);
    this.scanTimer.unref();
    if (this.options.janitor) {
      const cleanup = this.options.cleanupDelayMs ?? 300_000;
      this.cleanupTimer = setInterval(() => void this.cleanup(), cleanup);
      this.cleanupTimer.unref();
    }
    if (this.options.onBacklog) {
      this.backlogTimer = setInterval(
        () => void this.reportBacklog(),
        this.options.backlogIntervalMs ?? 60_000,
      );
      this.backlogTimer.unref();
    }
    void this.scan();
  }

  /** Reports the backlog through `onBacklog` when measures are waiting. */
  async reportBacklog(): Promise<void> {
    const onBacklog = this.options.onBacklog;
    if (!onBacklog || this.stopped) return;
    try {
      const { metrics, batches, measures } = await this.options.incoming.backlog();
      if (batches > 0) onBacklog({ metrics, batches, measures });
    } catch (error) {
      this.fail(error, "backlog report");
    }
  }

  /** Queues every sack with pending measures now. */
  async scan(): Promise<void> {
    if (this.stopped) return;
    this.stats.scans++;
    try {
      for (const sack of await this.options.incoming.sacksWithPending()) this.enqueue(sack);
    } catch (error) {
      this.fail(error, "scan");
    }
  }

  /** Runs the janitor now (one pass at a time). */
  cleanup(): Promise<void> {
    const janitor = this.options.janitor;
    if (!janitor || this.stopped) return Promise.resolve();
    this.janitorRun ??= janitor
      .run()
      .then(
        () => {
          this.stats.janitorRuns++;
        },
        (error: unknown) => this.fail(error, "janitor"),
      )
      .finally(() => {
        this.janitorRun = undefined;
      });
    return this.janitorRun;
  }

  /** Greedy wake-up for one sack. */
  notify(sack: number): void {
    if (this.stopped) return;
    if (this.running.has(sack)) {
      this.again.add(sack);
      return;
    }
    const wait = this.options.wakeDelayMs ?? 5;
    if (wait <= 0) this.enqueue(sack);
    else this.later(wait, () => this.enqueue(sack));
  }

  /** Resolves once nothing is queued or running (tests, benchmarks, shutdown). */
  idle(): Promise<void> {
    if (this.isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Stops scheduling and waits for the sacks being processed. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.unsubscribe?.();
    if (this.scanTimer) clearInterval(this.scanTimer);
    if (this.cleanupTimer) clearInterval(this.cleanupTimer);
    if (this.backlogTimer) clearInterval(this.backlogTimer);
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    this.queue.length = 0;
    this.queued.clear();
    this.again.clear();
    while (this.tasks.size > 0) await Promise.all([...this.tasks]);
    if (this.janitorRun) await this.janitorRun;
    this.wakeIdle();
  }

  private isIdle(): boolean {
    return this.queue.length === 0 && this.running.size === 0 && this.timers.size === 0;
  }

  private wakeIdle(): void {
    if (!this.isIdle() && !this.stopped) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }

  private later(ms: number, fn: () => void): void {
    const t = setTimeout(() => {
      this.timers.delete(t);
      fn();
      this.wakeIdle();
    }, ms);
    this.timers.add(t);
  }

  private enqueue(sack: number): void {
    if (this.stopped) return;
    if (this.running.has(sack)) {
      this.again.add(sack);
      return;
    }
    if (this.queued.has(sack)) return;
    this.queued.add(sack);
    this.queue.push(sack);
    this.pump();
  }

  private pump(): void {
    while (!this.stopped && this.running.size < this.workers && this.queue.length > 0) {
      const sack = this.queue.shift()!;
      this.queued.delete(sack);
      this.running.add(sack);
      const task = this.processOne(sack).finally(() => {
        this.running.delete(sack);
        this.tasks.delete(task);
        if (this.again.delete(sack)) this.enqueue(sack);
        this.pump();
        this.wakeIdle();
      });
      this.tasks.add(task);
    }
  }

  private async processOne(sack: number): Promise<void> {
    const { locks, processor, incoming } = this.options;
    let lease: Awaited<ReturnType<SackLocks["tryAcquire"]>>;
    try {
      lease = await locks.tryAcquire(sack);
    } catch (error) {
      this.fail(error, `lock of sack ${sack}`);
      return;
    }
    if (lease === null) {
      this.stats.busySkips++;
      this.later(this.options.busyRetryMs ?? 20, () => this.enqueue(sack));
      return;
    }
    try {
      const started = performance.now();
      await processor.processSack(sack);
      this.options.onSackProcessed?.((performance.now() - started) / 1000);
      this.stats.sacksProcessed++;
      this.failures.delete(sack);
      // A capped read, or appends that landed during processing: go again.
      if ((await incoming.sacksWithPending()).includes(sack)) this.again.add(sack);
    } catch (error) {
      const n = (this.failures.get(sack) ?? 0) + 1;
      this.failures.set(sack, n);
      this.fail(error, `processing of sack ${sack}`);
      this.later(Math.min(30_000, 100 * 2 ** Math.min(n, 9)), () => this.enqueue(sack));
    } finally {
      await lease.release();
    }
  }

  private fail(error: unknown, context: string): void {
    this.stats.errors++;
    if (this.options.onError) this.options.onError(error, context);
    else console.error(`gnocchi-ts metricd: ${context} failed:`, error);
  }
}
