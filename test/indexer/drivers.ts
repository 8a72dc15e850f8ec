/**
 * Runs one `describe` body against both indexer drivers: embedded PGlite (in
 * memory) and a real PostgreSQL server (a database of its own per describe
 * block, on the run's server from global-setup.ts, or on a server this file
 * starts itself when that globalSetup is not registered).
 *
 * When PostgreSQL cannot start: under CI=true the PostgreSQL tests FAIL; else
 * they are skipped with a message saying why.
 */
import { randomBytes } from "node:crypto";
import { PGlite } from "@electric-sql/pglite";
import pg from "pg";
import { afterAll, beforeAll, beforeEach, describe, inject } from "vitest";
import type { DriverKind, SqlDriver } from "../../src/indexer/driver.js";
import { ident } from "../../src/indexer/driver.js";
import { openPgDriver } from "../../src/indexer/driver-pg.js";
import { openPgliteDriver } from "../../src/indexer/driver-pglite.js";
import { type UpgradeOptions, upgrade } from "../../src/indexer/upgrade.js";
import type { ProvidedPostgres } from "./global-setup.js";
import { type PostgresServer, startPostgres } from "./postgres-server.js";

export const DRIVER_KINDS: readonly DriverKind[] = ["pglite", "postgresql"];

const inCI = /^(1|true|yes)$/i.test(process.env.CI ?? "");

// --- the PostgreSQL server of this test file ----------------------------------

let ownServer: Promise<PostgresServer> | undefined;

function providedPostgres(): ProvidedPostgres | undefined {
  try {
    return inject("indexerPostgres");
  } catch {
    return undefined;
  }
}

/** Admin URL of the run's server, starting one for this file if no globalSetup provided it. */
async function adminUrl(): Promise<string> {
  const provided = providedPostgres();
  if (provided !== undefined) {
    if ("error" in provided) throw new Error(provided.error);
    return provided.url;
  }
  ownServer ??= startPostgres();
  return (await ownServer).url;
}

afterAll(async () => {
  if (ownServer) await (await ownServer.catch(() => undefined))?.stop();
});

function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

async function adminQuery(url: string, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

// --- opening drivers -------------------------------------------------------------

/** An initialized empty PGlite cluster, dumped once per worker: new instances load it instead of running initdb. */
let pgliteTemplate: Promise<Blob> | undefined;

function emptyPgliteTemplate(): Promise<Blob> {
  pgliteTemplate ??= (async () => {
    const db = await PGlite.create();
    try {
      return (await db.dumpDataDir("none")) as Blob;
    } finally {
      await db.close();
    }
  })();
  return pgliteTemplate;
}

export interface OpenedDriver {
  readonly driver: SqlDriver;
  /** Closes the driver and drops its database. */
  dispose(): Promise<void>;
}

/** A driver on a brand-new empty database (no schema). */
export async function openFreshDriver(kind: DriverKind): Promise<OpenedDriver> {
  if (kind === "pglite") {
    const driver = await openPgliteDriver({ memory: true, template: await emptyPgliteTemplate() });
    return { driver, dispose: () => driver.close() };
  }
  const admin = await adminUrl();
  const database = `gnocchi_test_${process.pid}_${randomBytes(6).toString("hex")}`;
  await adminQuery(admin, `CREATE DATABASE ${ident(database)} TEMPLATE template0 ENCODING 'UTF8'`);
  const driver = openPgDriver({ connectionString: withDatabase(admin, database) });
  return {
    driver,
    async dispose() {
      await driver.close();
      await adminQuery(admin, `DROP DATABASE IF EXISTS ${ident(database)} WITH (FORCE)`);
    },
  };
}

export interface DriverContext {
  readonly kind: DriverKind;
  /** The block's driver (valid inside tests and hooks). */
  readonly db: () => SqlDriver;
  /** Another brand-new empty database, disposed after the block. */
  readonly fresh: () => Promise<SqlDriver>;
}

export interface DescribeDriversOptions {
  /** Run `upgrade()` with these options on the block's database first (default: no schema). */
  readonly upgrade?: UpgradeOptions | boolean;
}

/**
 * `describe(title [kind])` once per driver, each with its own database.
 * `body` declares tests with `it` as usual and reaches the driver via `ctx.db()`.
 */
export function describeDrivers(
  title: string,
  body: (ctx: DriverContext) => void,
  options: DescribeDriversOptions = {},
): void {
  for (const kind of DRIVER_KINDS) {
    describe(`${title} [${kind}]`, () => {
      let current: SqlDriver | undefined;
      let unavailable: string | undefined;
      const opened: OpenedDriver[] = [];

      const open = async (): Promise<SqlDriver> => {
        const o = await openFreshDriver(kind);
        opened.push(o);
        return o.driver;
      };

      beforeAll(async () => {
        try {
          current = await open();
        } catch (error) {
          if (kind !== "postgresql" || inCI) throw error;
          unavailable = error instanceof Error ? error.message : String(error);
          console.warn(`[indexer tests] skipping PostgreSQL tests of "${title}": ${unavailable}`);
          return;
        }
        if (options.upgrade)
          await upgrade(current, options.upgrade === true ? {} : options.upgrade);
      }, 120_000);

      beforeEach((ctx) => {
        if (unavailable !== undefined) ctx.skip(`PostgreSQL unavailable: ${unavailable}`);
      });

      afterAll(async () => {
        for (const o of opened.splice(0).reverse()) await o.dispose();
      }, 60_000);

      body({
        kind,
        db: () => {
          if (current === undefined) throw new Error("driver not open");
          return current;
        },
        fresh: open,
      });
    });
  }
}
