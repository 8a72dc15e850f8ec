/**
 * The per-process side of the Prometheus API and the Grafana data source:
 * the label index (one per process, loaded once, refreshed at the start of
 * every query so series stored a moment ago by any process are selected),
 * the query limits, and a SeriesSource per caller.
 *
 * Built from the API's dependencies (structurally, so this layer does not
 * import the REST API): the server passes its LabelStore and limits; when it
 * passes none (tests, embedders), the index is loaded on first use.
 */
import type { Credentials } from "../../indexer/acl.js";
import type { SqlExecutor } from "../../indexer/driver.js";
import { LabelStore } from "../../indexer/label-store.js";
import type { AggregateReader } from "../../storage/aggregate-reader.js";
import { MetricRowCache } from "../metric-access.js";
import { StorageSeriesSource } from "../storage-source.js";

/** Query limits (Prometheus' --query.timeout, --query.max-samples, --query.lookback-delta). */
export interface PromQLLimits {
  /** ms; default 2 min. */
  readonly queryTimeoutMs?: number;
  /** Default 50,000,000. */
  readonly maxSamples?: number;
  /** ms; default 5 min. */
  readonly lookbackDeltaMs?: number;
}

/** What the service needs of the API's dependencies. */
export interface PromQLDeps {
  readonly db: SqlExecutor;
  readonly storage: {
    readonly reader: Pick<AggregateReader, "getMeasures" | "getMillis" | "refresh">;
  };
  readonly labelStore?: LabelStore;
  readonly promqlLimits?: PromQLLimits;
  /** `operationTimeout`: seconds the pending-measure processing may wait for a lock. */
  readonly options: { readonly operationTimeout?: number };
  /** gnocchi-ts' version (buildinfo). */
  readonly version: string;
}

const SERVICES = new WeakMap<object, PromQLService>();

export class PromQLService {
  readonly #db: SqlExecutor;
  readonly #reader: Pick<AggregateReader, "getMeasures" | "getMillis" | "refresh">;
  readonly #store: Promise<LabelStore>;
  readonly #refreshTimeoutMs: number | undefined;
  readonly limits: Required<PromQLLimits>;
  readonly version: string;
  /** The refresh running now, and the one queued behind it (shared by every caller arriving meanwhile). */
  #running: Promise<void> | undefined;
  #queued: Promise<void> | undefined;
  /** Metric rows of recent selectors, revalidated by every query. */
  readonly #metricRows = new MetricRowCache();

  constructor(deps: PromQLDeps) {
    this.#db = deps.db;
    this.#reader = deps.storage.reader;
    this.#store =
      deps.labelStore !== undefined ? Promise.resolve(deps.labelStore) : LabelStore.load(deps.db);
    // A failed load is retried by the next request rather than cached.
    this.#store.catch(() => SERVICES.delete(deps));
    const op = deps.options.operationTimeout;
    this.#refreshTimeoutMs = op === undefined ? undefined : op * 1000;
    this.limits = {
      queryTimeoutMs: deps.promqlLimits?.queryTimeoutMs ?? 120_000,
      maxSamples: deps.promqlLimits?.maxSamples ?? 50_000_000,
      lookbackDeltaMs: deps.promqlLimits?.lookbackDeltaMs ?? 300_000,
    };
    this.version = deps.version;
  }

  /** The service of an app's dependencies (one per dependency object). */
  static of(deps: PromQLDeps): PromQLService {
    let s = SERVICES.get(deps);
    if (s === undefined) {
      s = new PromQLService(deps);
      SERVICES.set(deps, s);
    }
    return s;
  }

  get db(): SqlExecutor {
    return this.#db;
  }

  get reader(): Pick<AggregateReader, "getMeasures" | "getMillis" | "refresh"> {
    return this.#reader;
  }

  /** Lock wait of the pending-measure processing before a read, ms (undefined: the reader's default). */
  get refreshTimeoutMs(): number | undefined {
    return this.#refreshTimeoutMs;
  }

  /**
   * The label index, with every label set committed before this call. The
   * removal check is skipped: readers drop deleted metrics themselves, and
   * the periodic refresh of the server does it.
   */
  async labels(): Promise<LabelStore> {
    const store = await this.#store;
    if (this.#queued === undefined) {
      const previous = this.#running ?? Promise.resolve();
      const next: Promise<void> = previous
        .catch(() => undefined)
        .then(async () => {
          this.#queued = undefined;
          this.#running = next;
          try {
            await store.refresh(this.#db, Date.now(), { removals: false });
          } finally {
            if (this.#running === next) this.#running = undefined;
          }
        });
      this.#queued = next;
    }
    await this.#queued;
    return store;
  }

  /** A SeriesSource for one query of `creds`, over the refreshed index. */
  async source(creds: Credentials): Promise<StorageSeriesSource> {
    const labels = await this.labels();
    return new StorageSeriesSource({
      db: this.#db,
      reader: this.#reader,
      labels,
      creds,
      metricRows: this.#metricRows,
      ...(this.#refreshTimeoutMs === undefined ? {} : { refreshTimeoutMs: this.#refreshTimeoutMs }),
    });
  }
}
