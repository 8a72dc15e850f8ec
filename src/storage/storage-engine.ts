/**
 * Wiring of the file drivers, processor, reader, janitor and metricd under one
 * data directory: what the server (and the crash-test fixture and the
 * benchmark) start. The catalog comes from the caller (the indexer in
 * src/server.ts).
 */
import { type FileAggregateOptions, FileAggregateStore } from "./aggregate-file.js";
import { AggregateReader } from "./aggregate-reader.js";
import { type FileIncomingOptions, FileIncomingStore } from "./incoming-file.js";
import { Janitor } from "./janitor.js";
import type { MetricCatalog } from "./metric-catalog.js";
import { MetricProcessor } from "./metric-processor.js";
import { Metricd, type MetricdOptions } from "./metricd.js";
import { InProcessSackLocks, type SackLocks } from "./sack-lock.js";
import { DEFAULT_CACHE_BYTES, SeriesCache } from "./series-cache.js";
import { CorruptionReporter, type SeriesCorruptionListener } from "./series-corruption.js";

export interface StorageEngineOptions {
  readonly dataDir: string;
  readonly catalog: MetricCatalog;
  /** Sack count of a new store (default 128); aggregates use as many partitions. */
  readonly sacks?: number;
  /** Decoded-series cache limit (default 256 MiB). */
  readonly cacheBytes?: number;
  readonly locks?: SackLocks;
  readonly onCorruption?: SeriesCorruptionListener;
  readonly incoming?: Partial<Omit<FileIncomingOptions, "dataDir" | "sacks">>;
  readonly aggregates?: Partial<Omit<FileAggregateOptions, "dataDir" | "partitions">>;
  readonly metricd?: Partial<Omit<MetricdOptions, "incoming" | "processor" | "locks" | "janitor">>;
}

export class StorageEngine {
  private constructor(
    readonly incoming: FileIncomingStore,
    readonly aggregates: FileAggregateStore,
    readonly processor: MetricProcessor,
    readonly reader: AggregateReader,
    readonly janitor: Janitor,
    readonly metricd: Metricd,
    readonly locks: SackLocks,
    readonly cache: SeriesCache,
  ) {}

  static async open(options: StorageEngineOptions): Promise<StorageEngine> {
    const incoming = await FileIncomingStore.open({
      dataDir: options.dataDir,
      ...(options.sacks !== undefined ? { sacks: options.sacks } : {}),
      ...options.incoming,
    });
    const aggregates = await FileAggregateStore.open({
      dataDir: options.dataDir,
      partitions: incoming.sacks,
      ...options.aggregates,
    });
    const locks = options.locks ?? new InProcessSackLocks();
    const cache = new SeriesCache(options.cacheBytes ?? DEFAULT_CACHE_BYTES);
    const corruption = new CorruptionReporter(options.onCorruption);
    const processor = new MetricProcessor({
      incoming,
      aggregates,
      catalog: options.catalog,
      cache,
      corruption,
    });
    const reader = new AggregateReader({ aggregates, incoming, locks, processor });
    const janitor = new Janitor({
      incoming,
      aggregates,
      catalog: options.catalog,
      locks,
      cache,
    });
    const metricd = new Metricd({ incoming, processor, locks, janitor, ...options.metricd });
    return new StorageEngine(
      incoming,
      aggregates,
      processor,
      reader,
      janitor,
      metricd,
      locks,
      cache,
    );
  }

  /** Stops metricd, then closes the stores. */
  async close(): Promise<void> {
    await this.metricd.stop();
    await this.incoming.close();
    await this.aggregates.close();
    await this.locks.close();
  }
}
