/**
 * Storage and metricd self-monitoring on `/metrics`: incoming backlog,
 * metricd sack latency and throughput, splits read, cache size and hits,
 * janitor runs. Counters mirror the storage layer's own cumulative stats at
 * scrape time (the storage layer stays free of prom-client); only the sack
 * latency histogram is fed as sacks complete.
 */
import { Counter, Gauge, Histogram, type Registry } from "prom-client";
import type { StorageEngine } from "../storage/storage-engine.js";

export class StorageMetrics {
  /** Pass to metricd's `onSackProcessed`. */
  readonly sackDuration: Histogram;

  constructor(private readonly registry: Registry) {
    this.sackDuration = new Histogram({
      name: "gnocchi_metricd_processing_duration_seconds",
      help: "Time metricd took to process one sack (read, aggregate, commit, release).",
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    });
  }

  /** Registers the collectors that read `storage`'s figures at scrape time. */
  attach(storage: StorageEngine): void {
    const registers = [this.registry];
    const mirror = (name: string, help: string, read: () => number) =>
      new Counter({
        name,
        help,
        registers,
        collect() {
          this.reset();
          this.inc(read());
        },
      });
    const backlog = (name: string, help: string, pick: "metrics" | "batches" | "measures") =>
      new Gauge({
        name,
        help,
        registers,
        async collect() {
          const figures = await storage.incoming.backlog();
          this.set(figures[pick]);
        },
      });
    backlog(
      "gnocchi_storage_backlog_metrics",
      "Metrics with measures waiting for metricd.",
      "metrics",
    );
    backlog(
      "gnocchi_storage_backlog_batches",
      "Batches of measures waiting for metricd.",
      "batches",
    );
    backlog("gnocchi_storage_backlog_measures", "Measures waiting for metricd.", "measures");
    const { processor, reader, metricd, cache } = storage;
    mirror(
      "gnocchi_metricd_measures_processed_total",
      "Measures metricd read from incoming.",
      () => processor.stats.measures,
    );
    mirror(
      "gnocchi_metricd_late_measures_total",
      "Measures dropped as older than the back window.",
      () => processor.stats.late,
    );
    mirror(
      "gnocchi_metricd_commits_total",
      "Per-metric aggregate commits.",
      () => processor.stats.commits,
    );
    mirror(
      "gnocchi_metricd_sacks_processed_total",
      "Sacks processed.",
      () => metricd.stats.sacksProcessed,
    );
    mirror(
      "gnocchi_metricd_errors_total",
      "Failed sack processings (retried).",
      () => metricd.stats.errors,
    );
    mirror("gnocchi_janitor_runs_total", "Janitor runs.", () => metricd.stats.janitorRuns);
    mirror("gnocchi_storage_reads_total", "Aggregate reads.", () => reader.stats.reads);
    mirror(
      "gnocchi_storage_splits_read_total",
      "Splits read from the store (cache misses).",
      () => reader.stats.splitsFromStore,
    );
    mirror(
      "gnocchi_storage_corrupt_splits_total",
      "Splits skipped because their checksum failed.",
      () => reader.stats.corruptSplits,
    );
    mirror("gnocchi_storage_cache_hits_total", "Series cache hits.", () => cache.stats.hits);
    mirror("gnocchi_storage_cache_misses_total", "Series cache misses.", () => cache.stats.misses);
    new Gauge({
      name: "gnocchi_storage_cache_limit_bytes",
      help: "Size limit of the series cache (storage.cache_size).",
      registers,
      collect() {
        this.set(cache.maxBytes);
      },
    });
    new Gauge({
      name: "gnocchi_storage_cache_bytes",
      help: "Bytes held by the series cache.",
      registers,
      collect() {
        this.set(cache.bytes);
      },
    });
  }
}
