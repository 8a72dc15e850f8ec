#!/usr/bin/env node
/**
 * The `gnocchi-ts` command. Until the server lands (REST API issue), `serve`
 * reports the version and the engine's capabilities and exits.
 */
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { VALID_AGGREGATION_METHODS } from "./carbonara/aggregation-methods.js";

const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as {
  name: string;
  version: string;
};

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: { version: { type: "boolean", short: "v" }, help: { type: "boolean", short: "h" } },
});

const usage = `usage: gnocchi-ts <command>

commands:
  serve      start the server (not yet available: prints the version and exits)
  version    print the version`;

const command = positionals[0] ?? "serve";
if (values.help) {
  console.log(usage);
} else if (values.version || command === "version") {
  console.log(`${pkg.name} ${pkg.version}`);
} else if (command === "serve") {
  console.log(`${pkg.name} ${pkg.version}`);
  console.log(`Carbonara engine ready: ${VALID_AGGREGATION_METHODS.length} aggregation methods.`);
  console.log("The server is not part of this version yet; see README.md for what is.");
} else {
  console.error(`gnocchi-ts: unknown command '${command}'\n\n${usage}`);
  process.exit(2);
}
