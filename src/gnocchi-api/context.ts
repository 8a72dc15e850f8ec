/**
 * The Hono environment every route shares: the injected services
 * ({@link ApiDeps}) and what the request middlewares worked out (the public
 * base URL, the caller's credentials).
 */
import type { Logger } from "pino";
import type { SqlDriver } from "../indexer/driver.js";
import type { StorageEngine } from "../storage/storage-engine.js";
import type { ApiMetrics } from "./metrics.js";
import type { ApiOptions } from "./options.js";
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
