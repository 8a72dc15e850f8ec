/**
 * The statsd daemon: a UDP socket feeding the {@link Accumulator}, and a
 * flush every `flushDelayMs` through the {@link Flusher}. Flushes never
 * overlap (the next one starts `flushDelayMs` after the previous one began,
 * or when it ends if it ran longer), and lines keep accumulating while one
 * is written. Bad lines are skipped alone, counted by reason and logged at
 * debug level. `close()` stops receiving, then flushes what is left (and
 * the pending `last_seen` stamps).
 */
import { isUtf8 } from "node:buffer";
import { createSocket, type Socket } from "node:dgram";
import type { Logger } from "pino";
import type { Registry } from "prom-client";
import { findArchivePolicy } from "../indexer/archive-policy-store.js";
import type { SqlDriver } from "../indexer/driver.js";
import type { LabelStore } from "../indexer/label-store.js";
import type { IncomingStore } from "../storage/incoming.js";
import { Accumulator, type LineSink } from "./accumulator.js";
import { Flusher, type FlushResult } from "./flusher.js";
import type { BadLineReason } from "./line.js";
import { StatsdMetrics } from "./metrics.js";

export interface StatsdOptions {
  /** Listen address (`0.0.0.0`, `::`, `127.0.0.1`...). */
  readonly host: string;
  /** UDP port; 0 picks a free one. */
  readonly port: number;
  /** The resource of series without a resource tag: a UUID, or any string (UUIDv5 with the creator). */
  readonly resourceId: string;
  /** Creator of the resources and metrics statsd creates. */
  readonly creator: string | null;
  /** Policy of new metrics; null: archive-policy rules. */
  readonly archivePolicyName: string | null;
  readonly flushDelayMs: number;
  /** A tag whose value names the series' resource (e.g. `host`); null: none. */
  readonly resourceTag: string | null;
  /** Type of the resources created for resource-tag values. */
  readonly resourceType: string;
  /** Distinct series held at most (default 100,000); lines of further series are refused. */
  readonly maxSeries?: number;
  /** Flushes without data after which a series is forgotten (default 30). */
  readonly idleFlushes?: number;
  /** Cached metric ids are checked again every this many flushes (default 30). */
  readonly revalidateFlushes?: number;
  /** Socket receive buffer asked for (default 8 MiB; the kernel may cap it). */
  readonly recvBufferBytes?: number;
  /** How often label sets' `last_seen` is updated (default 30 s; 0: only on close). */
  readonly sightingsIntervalMs?: number;
}

export interface StatsdDeps {
  readonly db: SqlDriver;
  readonly storage: { readonly incoming: IncomingStore };
  readonly logger: Logger;
  /** Where the self-monitoring metrics go (e.g. the API's `/metrics` registry). */
  readonly registry?: Registry;
  /** The process's label index (server.ts shares it with PromQL); none: SQL only. */
  readonly labelStore?: LabelStore;
}

export interface StatsdStats {
  datagrams: number;
  lines: number;
  badLines: number;
}

export interface RunningStatsd {
  /** The UDP port bound. */
  readonly port: number;
  /** Counts since start. */
  readonly stats: Readonly<StatsdStats>;
  /** Flushes now (after any flush in progress). */
  flush(): Promise<FlushResult>;
  /** Stops receiving, flushes what is left. */
  close(): Promise<void>;
}

const EMPTY_FLUSH: FlushResult = { metrics: 0, measures: 0, dropped: 0 };

function bindSocket(options: StatsdOptions): Promise<Socket> {
  const socket = createSocket({
    type: options.host.includes(":") ? "udp6" : "udp4",
    recvBufferSize: options.recvBufferBytes ?? 8 * 1024 * 1024,
  });
  return new Promise((resolve, reject) => {
    socket.once("error", reject);
    socket.bind(options.port, options.host, () => {
      socket.off("error", reject);
      resolve(socket);
    });
  });
}

/**
 * Starts the daemon: creates the configured resource if needed, binds the
 * socket, schedules flushes.
 * @throws when the resource cannot be created (indexer not upgraded, invalid
 *   id) or the socket cannot be bound
 */
export async function startStatsd(
  options: StatsdOptions,
  deps: StatsdDeps,
): Promise<RunningStatsd> {
  const logger = deps.logger.child({ component: "statsd" });
  const metrics = new StatsdMetrics(deps.registry);
  const flusher = new Flusher(
    deps.db,
    deps.storage.incoming,
    {
      resourceId: options.resourceId,
      creator: options.creator,
      archivePolicyName: options.archivePolicyName,
      resourceType: options.resourceType,
      revalidateFlushes: options.revalidateFlushes ?? 30,
      ...(options.sightingsIntervalMs !== undefined
        ? { sightingsIntervalMs: options.sightingsIntervalMs }
        : {}),
    },
    logger,
    deps.labelStore,
  );
  await flusher.ensureDefaultResource();
  if (
    options.archivePolicyName !== null &&
    (await findArchivePolicy(deps.db, options.archivePolicyName)) === undefined
  ) {
    logger.warn(
      { archivePolicy: options.archivePolicyName },
      "statsd: the archive policy does not exist (yet): new metrics cannot be created",
    );
  }

  const accumulator = new Accumulator({
    resourceTag: options.resourceTag,
    creator: options.creator,
    maxSeries: options.maxSeries ?? 100_000,
    idleFlushes: options.idleFlushes ?? 30,
  });
  const stats: StatsdStats = { datagrams: 0, lines: 0, badLines: 0 };
  const debug = logger.isLevelEnabled("debug");
  const sink: LineSink = {
    bad(reason, text, start, end) {
      stats.badLines++;
      metrics.badLine(reason);
      if (debug) {
        logger.debug({ reason, line: text.slice(start, Math.min(end, start + 200)) }, "bad line");
      }
    },
  };
  const badBytes = (reason: BadLineReason) => {
    stats.badLines++;
    metrics.badLine(reason);
    if (debug) logger.debug({ reason }, "bad line");
  };

  const socket = await bindSocket(options);
  socket.on("error", (error) => logger.error({ err: error }, "statsd socket error"));
  socket.on("message", (msg) => {
    const at = Date.now() * 1000;
    let lines = 0;
    if (isUtf8(msg)) {
      lines = accumulator.addText(msg.toString("utf8"), at, sink);
    } else {
      // Only the lines that are not UTF-8 are skipped.
      let start = 0;
      while (start < msg.length) {
        let end = msg.indexOf(0x0a, start);
        if (end < 0) end = msg.length;
        const line = msg.subarray(start, end);
        if (isUtf8(line)) {
          lines += accumulator.addText(line.toString("utf8"), at, sink);
        } else {
          lines++;
          badBytes("invalid_utf8");
        }
        start = end + 1;
      }
    }
    stats.datagrams++;
    stats.lines += lines;
    metrics.datagrams.inc();
    metrics.lines.inc(lines);
  });

  async function flushOnce(): Promise<FlushResult> {
    const items = accumulator.drain();
    metrics.series.set(accumulator.size);
    if (items.length === 0) return EMPTY_FLUSH;
    try {
      const result = await flusher.write(items);
      metrics.flushes.inc({ outcome: "ok" });
      metrics.measures.inc(result.measures);
      metrics.dropped.inc(result.dropped);
      return result;
    } catch (error) {
      const dropped = items.reduce((n, i) => n + i.values.length, 0);
      logger.error({ err: error, dropped }, "statsd flush failed, its measures are dropped");
      metrics.flushes.inc({ outcome: "failed" });
      metrics.dropped.inc(dropped);
      return { metrics: 0, measures: 0, dropped };
    }
  }

  let last: Promise<unknown> = Promise.resolve();
  const flush = (): Promise<FlushResult> => {
    const next = last.then(flushOnce);
    last = next;
    return next;
  };

  let closed = false;
  let timer: NodeJS.Timeout | undefined;
  const schedule = (delay: number) => {
    timer = setTimeout(() => {
      const started = Date.now();
      void flush().then(() => {
        if (!closed) schedule(Math.max(0, options.flushDelayMs - (Date.now() - started)));
      });
    }, delay);
    timer.unref();
  };
  schedule(options.flushDelayMs);

  const port = socket.address().port;
  logger.info(
    { host: options.host, port, resourceId: flusher.defaultResourceId },
    "statsd listening",
  );
  let closing: Promise<void> | undefined;
  return {
    port,
    stats,
    flush,
    close() {
      closing ??= (async () => {
        closed = true;
        clearTimeout(timer);
        await new Promise<void>((resolve) => socket.close(() => resolve()));
        await flush();
        await flusher.close();
      })();
      return closing;
    },
  };
}
