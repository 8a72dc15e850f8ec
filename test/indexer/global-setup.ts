/**
 * Vitest globalSetup: one PostgreSQL server for the whole run, handed to the
 * test workers through `provide("indexerPostgres")`. Each test file then
 * creates its own database on it (see drivers.ts), so parallel workers never
 * share tables. Register it in vitest.config.ts:
 *   test: { globalSetup: ["test/indexer/global-setup.ts"] }
 * Without it, each indexer test file starts its own server (slower, same result).
 */
import type { TestProject } from "vitest/node";
import { type PostgresServer, startPostgres } from "./postgres-server.js";

export type ProvidedPostgres =
  | { readonly url: string; readonly version: string }
  | { readonly error: string };

declare module "vitest" {
  export interface ProvidedContext {
    indexerPostgres: ProvidedPostgres;
  }
}

let server: PostgresServer | undefined;

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  try {
    server = await startPostgres();
    project.provide("indexerPostgres", { url: server.url, version: server.version });
  } catch (error) {
    project.provide("indexerPostgres", {
      error: error instanceof Error ? error.message : String(error),
    });
  }
  return async () => {
    await server?.stop();
  };
}
