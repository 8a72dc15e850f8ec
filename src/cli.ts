#!/usr/bin/env node
/**
 * The `gnocchi-ts` command:
 *   serve    API + in-process metricd and janitor, embedded defaults (the default command)
 *   api      the API alone, against an indexer prepared by `upgrade`
 *   metricd  measure processing and the janitor alone, against an indexer prepared by `upgrade`
 *   statsd   the statsd UDP listener alone, against an indexer prepared by `upgrade`
 *   upgrade  create or migrate the indexer schema and storage, default policies on an empty indexer
 *   version  print the version
 * Options come from `--config FILE` (YAML), `GNOCCHI_TS_*` variables and flags (src/config.ts).
 */
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { type Config, ConfigError, configFlags, loadConfig, optionsHelp } from "./config.js";
import { createLogger } from "./gnocchi-api/logging.js";
import { openIndexer, startServer, upgradeIndexer } from "./server.js";
import { FileIncomingStore } from "./storage/incoming-file.js";

const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as {
  name: string;
  version: string;
};

const usage = `usage: gnocchi-ts [command] [options]

commands:
  serve      start the server: the REST API with embedded defaults (PGlite and file
             storage under the data directory, created on first start) [default]
  api        start the REST API alone (the indexer must have been upgraded)
  metricd    start measure processing and the janitor alone, no HTTP (the indexer
             must have been upgraded)
  statsd     start the statsd UDP listener alone (the indexer must have been upgraded;
             the data directory must not be used by another running process)
  upgrade    create or migrate the indexer and storage; creates the default archive
             policies and rule on an empty indexer
  version    print the version

options:
  --config FILE
      YAML configuration file [GNOCCHI_TS_CONFIG]
  -h, --help, -v, --version
${optionsHelp()}`;

async function runUpgrade(config: Config): Promise<void> {
  const logger = createLogger(config.logLevel);
  const driver = await openIndexer(config);
  try {
    const result = await upgradeIndexer(driver, config);
    const incoming = await FileIncomingStore.open({ dataDir: config.dataDir, sacks: result.sacks });
    await incoming.close();
    logger.info(
      {
        migrations: result.migrations,
        sacks: result.sacks,
        createdDefaultPolicies: result.createdDefaults,
      },
      "upgrade done",
    );
  } finally {
    await driver.close();
  }
}

async function runServer(
  config: Config,
  role: "serve" | "api" | "metricd" | "statsd",
): Promise<void> {
  const logger = createLogger(config.logLevel);
  const server = await startServer(config, { role, logger, version: pkg.version });
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, "shutting down");
    server.close().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, "shutdown failed");
        process.exit(1);
      },
    );
  };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
}

async function main(argv: readonly string[]): Promise<number> {
  const { positionals, values } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    options: {
      version: { type: "boolean", short: "v" },
      help: { type: "boolean", short: "h" },
      config: { type: "string" },
      ...configFlags(),
    },
  });
  const command = positionals[0] ?? "serve";
  if (values.help) {
    console.log(usage);
    return 0;
  }
  if (values.version || command === "version") {
    console.log(`${pkg.name} ${pkg.version}`);
    return 0;
  }
  if (!["serve", "api", "metricd", "statsd", "upgrade"].includes(command)) {
    console.error(`gnocchi-ts: unknown command '${command}'\n\n${usage}`);
    return 2;
  }
  const config = loadConfig({
    file: (values.config as string | undefined) ?? process.env.GNOCCHI_TS_CONFIG,
    env: process.env,
    flags: values,
  });
  if (command === "upgrade") {
    await runUpgrade(config);
    return 0;
  }
  await runServer(config, command as "serve" | "api" | "metricd" | "statsd");
  return -1; // keeps running until a signal
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) process.exitCode = code;
  },
  (error: unknown) => {
    const message =
      error instanceof ConfigError || (error instanceof Error && error.name === "TypeError")
        ? error.message
        : error instanceof Error
          ? (error.stack ?? error.message)
          : String(error);
    console.error(`gnocchi-ts: ${message}`);
    process.exit(error instanceof ConfigError ? 2 : 1);
  },
);
