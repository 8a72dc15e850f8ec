/**
 * Server configuration: a YAML file, then `GNOCCHI_TS_*` environment
 * variables, then command-line flags, each overriding the one before, over
 * the defaults below. {@link OPTIONS} is the one table of every option (file
 * key, variable, flag, default, meaning) the loader, `--help` and the README
 * are built from.
 */
import { readFileSync } from "node:fs";
import { parse as parseYaml } from "yaml";
import { DEFAULT_AGGREGATION_METHODS } from "./carbonara/aggregation-methods.js";
import { parseTimespan } from "./carbonara/timespan.js";
import { DEFAULT_CORS } from "./gnocchi-api/options.js";

export type LogLevel = "fatal" | "error" | "warn" | "info" | "debug" | "trace" | "silent";

export interface Config {
  readonly host: string;
  readonly port: number;
  readonly urlPrefix: string;
  readonly dataDir: string;
  /** MiB of decoded raw buffers, split tails and read results kept in memory. */
  readonly storageCacheSize: number;
  /** Empty: embedded PGlite under `<dataDir>/indexer`. */
  readonly databaseUrl: string;
  readonly authMode: "basic" | "remoteuser";
  readonly remoteUserHeader: string;
  readonly maxLimit: number;
  readonly maxBodyBytes: number;
  readonly measuresCacheSize: number;
  readonly enableProxyHeadersParsing: boolean;
  readonly corsAllowedOrigins: readonly string[];
  readonly corsAllowCredentials: boolean;
  readonly corsExposeHeaders: readonly string[];
  readonly corsMaxAge: number;
  readonly corsAllowMethods: readonly string[];
  readonly corsAllowHeaders: readonly string[];
  readonly defaultAggregationMethods: readonly string[];
  readonly createDefaultArchivePolicies: boolean;
  readonly sacks: number;
  readonly metricdWorkers: number;
  /** Seconds. */
  readonly metricdProcessingDelay: number;
  /** Seconds. */
  readonly metricdCleanupDelay: number;
  /** Seconds. */
  readonly operationTimeout: number;
  /** Seconds given to in-flight requests on shutdown before connections are cut. */
  readonly shutdownTimeout: number;
  readonly logLevel: LogLevel;
  /** The statsd UDP listener of `serve` and `statsd` (false: not started by `serve`). */
  readonly statsdEnabled: boolean;
  readonly statsdHost: string;
  readonly statsdPort: number;
  /** Resource of series without a resource tag (a UUID, or a name made a UUIDv5 with the creator). */
  readonly statsdResourceId: string;
  /** Creator of what statsd creates; "" = none. */
  readonly statsdCreator: string;
  /** "" = archive-policy rules. */
  readonly statsdArchivePolicyName: string;
  /** Seconds. */
  readonly statsdFlushDelay: number;
  /** "" = none. */
  readonly statsdResourceTag: string;
  readonly statsdResourceType: string;
  /** Archive policy of metrics created by Prometheus remote write; "" = archive-policy rules. */
  readonly remoteWriteArchivePolicy: string;
  /** Seconds a PromQL query may run (/api/v1/query*, then 503 timeout). */
  readonly promqlQueryTimeout: number;
  /** Most samples a PromQL query holds at once (then 422). */
  readonly promqlMaxSamples: number;
  /** Seconds an instant selector looks back for a sample. */
  readonly promqlLookbackDelta: number;
  /** Seconds between reloads of other processes' label-set changes (new and expunged series). */
  readonly promqlLabelRefreshInterval: number;
}

type Kind = "string" | "int" | "bool" | "list" | "duration" | { readonly oneOf: readonly string[] };

export interface OptionSpec {
  readonly key: keyof Config;
  /** Dotted path in the YAML file. */
  readonly file: string;
  readonly env: string;
  readonly flag: string;
  readonly kind: Kind;
  readonly default: Config[keyof Config];
  readonly min?: number;
  readonly max?: number;
  readonly help: string;
}

const opt = <K extends keyof Config>(
  key: K,
  file: string,
  flag: string,
  kind: Kind,
  value: Config[K],
  help: string,
  range: { min?: number; max?: number } = {},
): OptionSpec => ({
  key,
  file,
  env: `GNOCCHI_TS_${flag.toUpperCase().replace(/-/g, "_")}`,
  flag,
  kind,
  default: value,
  help,
  ...range,
});

export const OPTIONS: readonly OptionSpec[] = [
  opt("host", "api.host", "host", "string", "0.0.0.0", "Address to listen on."),
  opt("port", "api.port", "port", "int", 8041, "TCP port to listen on.", { min: 0, max: 65535 }),
  opt(
    "urlPrefix",
    "api.url_prefix",
    "url-prefix",
    "string",
    "",
    "Path the API is mounted under (e.g. /gnocchi); emitted URLs include it.",
  ),
  opt(
    "dataDir",
    "storage.data_dir",
    "data-dir",
    "string",
    "./data",
    "Data directory (measures, aggregates, embedded indexer).",
  ),
  opt(
    "storageCacheSize",
    "storage.cache_size",
    "storage-cache-size",
    "int",
    256,
    "MiB of hot raw buffers, newest splits and read results kept in memory (0: none).",
    { min: 0 },
  ),
  opt(
    "databaseUrl",
    "indexer.url",
    "database-url",
    "string",
    "",
    "PostgreSQL URL of the indexer; empty = embedded PGlite under <data-dir>/indexer.",
  ),
  opt(
    "authMode",
    "api.auth_mode",
    "auth-mode",
    { oneOf: ["basic", "remoteuser"] },
    "basic",
    "basic (user name of HTTP Basic auth; `admin` is admin) or remoteuser.",
  ),
  opt(
    "remoteUserHeader",
    "api.remote_user_header",
    "remote-user-header",
    "string",
    "X-Remote-User",
    "Trusted header carrying the user name in remoteuser mode.",
  ),
  opt(
    "maxLimit",
    "api.max_limit",
    "max-limit",
    "int",
    1000,
    "Default and maximum page size of lists.",
    { min: 1 },
  ),
  opt(
    "maxBodyBytes",
    "api.max_body_size",
    "max-body-size",
    "int",
    64 * 1024 * 1024,
    "Largest request body in bytes (larger: 413).",
    { min: 1 },
  ),
  opt(
    "measuresCacheSize",
    "api.measures_cache_size",
    "measures-cache-size",
    "int",
    64,
    "MiB of GET measures JSON bodies kept for series that did not change (0: none); apart from storage.cache_size.",
    { min: 0 },
  ),
  opt(
    "enableProxyHeadersParsing",
    "api.enable_proxy_headers_parsing",
    "enable-proxy-headers-parsing",
    "bool",
    false,
    "Honour Forwarded / X-Forwarded-Proto, -Host, -For, -Prefix.",
  ),
  opt(
    "corsAllowedOrigins",
    "cors.allowed_origin",
    "cors-allowed-origin",
    "list",
    [],
    "Origins allowed to make CORS requests (empty: CORS off).",
  ),
  opt(
    "corsAllowCredentials",
    "cors.allow_credentials",
    "cors-allow-credentials",
    "bool",
    DEFAULT_CORS.allowCredentials,
    "Send Access-Control-Allow-Credentials: true.",
  ),
  opt(
    "corsExposeHeaders",
    "cors.expose_headers",
    "cors-expose-headers",
    "list",
    DEFAULT_CORS.exposeHeaders,
    "Headers listed in Access-Control-Expose-Headers.",
  ),
  opt(
    "corsMaxAge",
    "cors.max_age",
    "cors-max-age",
    "int",
    DEFAULT_CORS.maxAge,
    "Pre-flight cache lifetime in seconds.",
    { min: 0 },
  ),
  opt(
    "corsAllowMethods",
    "cors.allow_methods",
    "cors-allow-methods",
    "list",
    DEFAULT_CORS.allowMethods,
    "Methods a pre-flight may ask for.",
  ),
  opt(
    "corsAllowHeaders",
    "cors.allow_headers",
    "cors-allow-headers",
    "list",
    DEFAULT_CORS.allowHeaders,
    "Non-simple headers a pre-flight may ask for.",
  ),
  opt(
    "defaultAggregationMethods",
    "archive_policy.default_aggregation_methods",
    "default-aggregation-methods",
    "list",
    DEFAULT_AGGREGATION_METHODS,
    "Methods of a policy created without aggregation_methods.",
  ),
  opt(
    "createDefaultArchivePolicies",
    "upgrade.create_default_archive_policies",
    "create-default-archive-policies",
    "bool",
    true,
    "Let upgrade (and the first start of serve) create bool/low/medium/high and the rule * → low on an empty indexer.",
  ),
  opt(
    "sacks",
    "incoming.sacks",
    "sacks",
    "int",
    128,
    "Incoming sacks, fixed when the data directory is created.",
    { min: 1, max: 65535 },
  ),
  opt(
    "metricdWorkers",
    "metricd.workers",
    "metricd-workers",
    "int",
    1,
    "Measure processing workers of serve / metricd.",
    { min: 1 },
  ),
  opt(
    "metricdProcessingDelay",
    "metricd.processing_delay",
    "metricd-processing-delay",
    "duration",
    30,
    "Seconds between full scans of the sacks (new measures also wake metricd at once).",
  ),
  opt(
    "metricdCleanupDelay",
    "metricd.cleanup_delay",
    "metricd-cleanup-delay",
    "duration",
    300,
    "Seconds between janitor runs (expunging deleted metrics).",
  ),
  opt(
    "operationTimeout",
    "api.operation_timeout",
    "operation-timeout",
    "duration",
    10,
    "Seconds an API operation (e.g. refresh=true) may wait for a lock (then 503).",
  ),
  opt(
    "shutdownTimeout",
    "api.shutdown_timeout",
    "shutdown-timeout",
    "duration",
    30,
    "Seconds in-flight requests get to finish on SIGTERM/SIGINT.",
  ),
  opt(
    "logLevel",
    "log.level",
    "log-level",
    { oneOf: ["fatal", "error", "warn", "info", "debug", "trace", "silent"] },
    "info",
    "Log level (debug: one line per request).",
  ),
  opt(
    "remoteWriteArchivePolicy",
    "remote_write.archive_policy",
    "remote-write-archive-policy",
    "string",
    "prometheus",
    "Archive policy of metrics created by Prometheus remote write; empty, or a policy that does not exist, = archive-policy rules.",
  ),
  opt(
    "statsdEnabled",
    "statsd.enabled",
    "statsd-enabled",
    "bool",
    true,
    "Start the statsd UDP listener with serve (the statsd command always does).",
  ),
  opt("statsdHost", "statsd.host", "statsd-host", "string", "0.0.0.0", "statsd listen address."),
  opt("statsdPort", "statsd.port", "statsd-port", "int", 8125, "statsd UDP port.", {
    min: 0,
    max: 65535,
  }),
  opt(
    "statsdResourceId",
    "statsd.resource_id",
    "statsd-resource-id",
    "string",
    "statsd",
    "Resource of statsd series without a resource tag: a UUID, or a name (UUIDv5 with the creator); created as generic.",
  ),
  opt(
    "statsdCreator",
    "statsd.creator",
    "statsd-creator",
    "string",
    "admin",
    "Creator of the resources and metrics statsd creates (empty: none).",
  ),
  opt(
    "statsdArchivePolicyName",
    "statsd.archive_policy_name",
    "statsd-archive-policy-name",
    "string",
    "",
    "Archive policy of metrics statsd creates (empty: archive-policy rules).",
  ),
  opt(
    "statsdFlushDelay",
    "statsd.flush_delay",
    "statsd-flush-delay",
    "duration",
    10,
    "Seconds between statsd flushes (counters are per-flush deltas).",
  ),
  opt(
    "statsdResourceTag",
    "statsd.resource_tag",
    "statsd-resource-tag",
    "string",
    "",
    "DogStatsD tag whose value names the series' resource, e.g. host (empty: none).",
  ),
  opt(
    "statsdResourceType",
    "statsd.resource_type",
    "statsd-resource-type",
    "string",
    "generic",
    "Type of the resources created for resource-tag values.",
  ),
  opt(
    "promqlQueryTimeout",
    "promql.query_timeout",
    "promql-query-timeout",
    "duration",
    120,
    "Seconds a PromQL query may run before it fails with 503 (Prometheus' --query.timeout).",
  ),
  opt(
    "promqlMaxSamples",
    "promql.max_samples",
    "promql-max-samples",
    "int",
    50_000_000,
    "Most samples a PromQL query may hold at once, else 422 (Prometheus' --query.max-samples).",
    { min: 1 },
  ),
  opt(
    "promqlLookbackDelta",
    "promql.lookback_delta",
    "promql-lookback-delta",
    "duration",
    300,
    "Seconds an instant selector looks back for a sample (Prometheus' --query.lookback-delta).",
  ),
  opt(
    "promqlLabelRefreshInterval",
    "promql.label_refresh_interval",
    "promql-label-refresh-interval",
    "duration",
    10,
    "Seconds between full refreshes of the label index (series expunged by other processes); new series are seen at every query.",
  ),
];

export const DEFAULT_CONFIG: Config = Object.freeze(
  Object.fromEntries(OPTIONS.map((o) => [o.key, o.default])) as unknown as Config,
);

export class ConfigError extends Error {
  override name = "ConfigError";
}

const TRUE = new Set(["1", "true", "yes", "on", "y", "t"]);
const FALSE = new Set(["0", "false", "no", "off", "n", "f", ""]);

/** Converts a raw value (YAML value, env or flag string) to the option's type. */
function convert(spec: OptionSpec, raw: unknown, source: string): Config[keyof Config] {
  const fail = (why: string): never => {
    throw new ConfigError(`${source}: ${why} (got ${JSON.stringify(raw)})`);
  };
  const kind = spec.kind;
  if (typeof kind === "object") {
    if (typeof raw !== "string" || !kind.oneOf.includes(raw)) {
      fail(`must be one of ${kind.oneOf.join(", ")}`);
    }
    return raw as string;
  }
  switch (kind) {
    case "string":
      if (typeof raw === "number") return String(raw);
      if (typeof raw !== "string") fail("must be a string");
      return raw as string;
    case "bool":
      if (typeof raw === "boolean") return raw;
      if (typeof raw === "string" && TRUE.has(raw.toLowerCase())) return true;
      if (typeof raw === "string" && FALSE.has(raw.toLowerCase())) return false;
      return fail("must be a boolean");
    case "list":
      if (Array.isArray(raw)) return raw.map(String);
      if (typeof raw === "string") {
        return raw
          .split(",")
          .map((s) => s.trim())
          .filter((s) => s !== "");
      }
      return fail("must be a list or a comma-separated string");
    case "int": {
      const n = typeof raw === "number" ? raw : typeof raw === "string" ? Number(raw.trim()) : NaN;
      if (!Number.isInteger(n) || (typeof raw === "string" && raw.trim() === "")) {
        fail("must be an integer");
      }
      if (spec.min !== undefined && n < spec.min) fail(`must be at least ${spec.min}`);
      if (spec.max !== undefined && n > spec.max) fail(`must be at most ${spec.max}`);
      return n;
    }
    case "duration": {
      let micros: number;
      try {
        micros = parseTimespan(raw);
      } catch {
        return fail("must be a duration (seconds or e.g. 30s, 5min)");
      }
      if (micros < 0) fail("must not be negative");
      return micros / 1e6;
    }
  }
}

function fileValue(tree: unknown, path: string): unknown {
  let value = tree;
  for (const key of path.split(".")) {
    if (typeof value !== "object" || value === null || !(key in value)) return undefined;
    value = (value as Record<string, unknown>)[key];
  }
  return value;
}

/** Dotted keys of a YAML tree that no option uses (typos). */
function unknownFileKeys(tree: unknown): string[] {
  const known = new Set(OPTIONS.map((o) => o.file));
  const sections = new Set(OPTIONS.map((o) => o.file.split(".")[0]!));
  const unknown: string[] = [];
  if (typeof tree !== "object" || tree === null) return unknown;
  for (const [section, body] of Object.entries(tree)) {
    if (!sections.has(section) || typeof body !== "object" || body === null) {
      unknown.push(section);
      continue;
    }
    for (const key of Object.keys(body)) {
      if (!known.has(`${section}.${key}`)) unknown.push(`${section}.${key}`);
    }
  }
  return unknown;
}

export interface ConfigSources {
  /** Path of a YAML file (`--config` / `GNOCCHI_TS_CONFIG`). */
  readonly file?: string | undefined;
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Flag values by flag name (`port`, `url-prefix`, ...), as util.parseArgs returns them. */
  readonly flags?: Readonly<Record<string, unknown>>;
}

/** Defaults ← file ← environment ← flags. @throws ConfigError */
export function loadConfig(sources: ConfigSources = {}): Config {
  const result: Record<string, unknown> = { ...DEFAULT_CONFIG };
  if (sources.file !== undefined) {
    let tree: unknown;
    try {
      tree = parseYaml(readFileSync(sources.file, "utf8")) ?? {};
    } catch (error) {
      throw new ConfigError(
        `cannot read config file ${sources.file}: ${error instanceof Error ? error.message : error}`,
      );
    }
    const unknown = unknownFileKeys(tree);
    if (unknown.length > 0) {
      throw new ConfigError(`${sources.file}: unknown option(s) ${unknown.join(", ")}`);
    }
    for (const spec of OPTIONS) {
      const raw = fileValue(tree, spec.file);
      if (raw !== undefined && raw !== null) {
        result[spec.key] = convert(spec, raw, `${sources.file}: ${spec.file}`);
      }
    }
  }
  for (const spec of OPTIONS) {
    const raw = sources.env?.[spec.env];
    if (raw !== undefined) result[spec.key] = convert(spec, raw, spec.env);
  }
  for (const spec of OPTIONS) {
    const raw = sources.flags?.[spec.flag];
    if (raw === undefined) continue;
    // Repeated list flags arrive as arrays of strings, each possibly comma-separated.
    const value = Array.isArray(raw) ? raw.flatMap((r) => String(r).split(",")) : raw;
    result[spec.key] = convert(spec, value, `--${spec.flag}`);
  }
  return Object.freeze(result) as unknown as Config;
}

/** The `util.parseArgs` option table of every config flag. */
export function configFlags(): Record<string, { type: "string" | "boolean"; multiple?: boolean }> {
  return Object.fromEntries(
    OPTIONS.map((o) => [
      o.flag,
      o.kind === "bool"
        ? { type: "boolean" as const }
        : o.kind === "list"
          ? { type: "string" as const, multiple: true }
          : { type: "string" as const },
    ]),
  );
}

function formatDefault(value: unknown): string {
  if (Array.isArray(value)) return value.length === 0 ? "(none)" : value.join(",");
  if (value === "") return '""';
  return String(value);
}

/** The options as a Markdown table (README) . */
export function optionsMarkdown(): string {
  const rows = OPTIONS.map(
    (o) =>
      `| \`${o.file}\` | \`${o.env}\` | \`--${o.flag}\` | \`${formatDefault(o.default)}\` | ${o.help} |`,
  );
  return [
    "| File key | Environment | Flag | Default | Meaning |",
    "|---|---|---|---|---|",
    ...rows,
  ].join("\n");
}

/** The options for `--help`. */
export function optionsHelp(): string {
  return OPTIONS.map(
    (o) =>
      `  --${o.flag}${o.kind === "bool" ? "" : " VALUE"}\n      ${o.help} [${o.env}; default ${formatDefault(o.default)}]`,
  ).join("\n");
}
