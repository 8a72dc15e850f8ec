/**
 * What the API needs to know about its configuration (a slice of the
 * server's config, src/config.ts, with the same defaults).
 */
import { DEFAULT_AGGREGATION_METHODS } from "../carbonara/aggregation-methods.js";

export type AuthMode = "basic" | "remoteuser";

export interface CorsOptions {
  /** Origins allowed to make cross-origin requests (empty: CORS off). */
  readonly allowedOrigins: readonly string[];
  readonly allowCredentials: boolean;
  /** Headers listed in `Access-Control-Expose-Headers` (none by default). */
  readonly exposeHeaders: readonly string[];
  /** Pre-flight cache lifetime in seconds. */
  readonly maxAge: number;
  readonly allowMethods: readonly string[];
  /** Non-simple request headers a pre-flight may ask for. */
  readonly allowHeaders: readonly string[];
}

export interface ApiOptions {
  /** Path the application is mounted under (`""` or `/gnocchi`), no trailing slash. */
  readonly prefix: string;
  readonly authMode: AuthMode;
  /** The trusted header carrying the user name in `remoteuser` mode. */
  readonly remoteUserHeader: string;
  /** Default and maximum page size (spec rest §11). */
  readonly maxLimit: number;
  /** Honour `Forwarded` / `X-Forwarded-*` (spec rest §2.7). */
  readonly enableProxyHeadersParsing: boolean;
  /** Request bodies larger than this get 413. */
  readonly maxBodyBytes: number;
  /** Bytes of `GET .../measures` bodies kept for reuse (services/measures-body-cache.ts; 0: none). */
  readonly measuresCacheBytes?: number;
  /** `[archive_policy] default_aggregation_methods`. */
  readonly defaultAggregationMethods: readonly string[];
  readonly cors: CorsOptions;
  /** `[api] operation_timeout` in seconds: how long `refresh=true` waits for a sack lock (then 503). */
  readonly operationTimeout?: number;
}

/** Gnocchi's `[cors]` defaults (oslo.middleware with Gnocchi's `set_defaults`). */
export const DEFAULT_CORS: CorsOptions = {
  allowedOrigins: [],
  allowCredentials: true,
  exposeHeaders: [],
  maxAge: 3600,
  allowMethods: ["GET", "PUT", "POST", "DELETE", "PATCH"],
  allowHeaders: [
    "Authorization",
    "X-Auth-Token",
    "X-Subject-Token",
    "X-User-Id",
    "X-Domain-Id",
    "X-Project-Id",
    "X-Roles",
  ],
};

export const DEFAULT_API_OPTIONS: ApiOptions = {
  prefix: "",
  authMode: "basic",
  remoteUserHeader: "X-Remote-User",
  maxLimit: 1000,
  enableProxyHeadersParsing: false,
  maxBodyBytes: 64 * 1024 * 1024,
  defaultAggregationMethods: DEFAULT_AGGREGATION_METHODS,
  cors: DEFAULT_CORS,
};

/** Normalizes a mount prefix: `gnocchi/` → `/gnocchi`, `/` → `""`. */
export function normalizePrefix(prefix: string): string {
  const trimmed = prefix.trim().replace(/\/+$/, "");
  if (trimmed === "") return "";
  return trimmed.startsWith("/") ? trimmed : `/${trimmed}`;
}
