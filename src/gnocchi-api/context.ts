/**
 * The Hono environment every route shares: the injected services
 * ({@link ApiDeps}) and what the request middlewares worked out (the public
 * base URL, the caller's credentials).
 */
import type { Logger } from "pino";
import type { SqlDriver } from "../indexer/driver.js";
import type { LabelStore } from "../indexer/label-store.js";
import type { PromQLLimits } from "../promql-lite/http/service.js";
import type { StorageEngine } from "../storage/storage-engine.js";
import type { ApiMetrics } from "./metrics.js";
import type { ApiOptions } from "./options.js";
import type { RemoteWriteService } from "./remote-write-service.js";
import type { MeasuresBodyCache } from "./services/measures-body-cache.js";
import type { StatusSource } from "./status.js";

export interface ApiDeps {
  readonly options: ApiOptions;
  /** The indexer. */
  readonly db: SqlDriver;
  /** Incoming measures, aggregate reads and `refresh` (metricd runs on it in `serve`). */
  readonly storage: StorageEngine;
  readonly status: StatusSource;
  readonly metrics: ApiMetrics;
  readonly logger: Logger;
  /** `build` of the versions document. */
  readonly version: string;
  /** Prometheus remote write (src/remote-write); absent: its routes answer 404. */
  readonly remoteWrite?: RemoteWriteService;
  /** The process's label index (PromQL, /api/v1 metadata); absent: loaded on first use. */
  readonly labelStore?: LabelStore;
  /** PromQL query limits (/api/v1/query*, /grafana); absent: Prometheus' defaults. */
  readonly promqlLimits?: PromQLLimits;
  /** Reused `GET .../measures` bodies; createApp makes one (`options.measuresCacheBytes`) when absent. */
  readonly measuresBodies?: MeasuresBodyCache;
}

/** Scheme, host and mount path the client sees (after proxy headers, spec rest §2.7). */
export interface PublicBase {
  readonly scheme: string;
  readonly host: string;
  /** The mount prefix, with any `X-Forwarded-Prefix` in front. */
  readonly prefix: string;
}

export type AppEnv = {
  Variables: {
    deps: ApiDeps;
    base: PublicBase;
    /** The client address (after proxy headers), for logs. */
    remoteAddress: string | undefined;
  };
};
