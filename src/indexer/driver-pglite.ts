/**
 * {@link SqlDriver} over embedded PostgreSQL (`@electric-sql/pglite`): the
 * default indexer, needing no server. On disk under `<dataDir>/indexer`, or in
 * memory for tests. PGlite is single-connection: statements and transactions
 * are serialized by PGlite itself, so the SQL is the same as on a server but
 * there is never any concurrency to handle. Only one process may open a given
 * data directory at a time.
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { PGlite, type Transaction } from "@electric-sql/pglite";
import {
  OID,
  parseInt8,
  parseTimestampText,
  type QueryResult,
  type Row,
  type SqlDriver,
  type SqlExecutor,
  type SqlParam,
} from "./driver.js";

export type PgliteDriverOptions =
  /** On disk: the database lives in `<dataDir>/indexer` (created if missing). */
  | { readonly dataDir: string; readonly memory?: false }
  /**
   * In memory, gone on close (tests). `template` is a `dumpDataDir()` tarball
   * to start from, which skips initdb (≈0.5 s instead of ≈2-3 s).
   */
  | { readonly memory: true; readonly template?: Blob };

const parsers = {
  [OID.TIMESTAMPTZ]: parseTimestampText,
  [OID.TIMESTAMP]: parseTimestampText,
  [OID.INT8]: parseInt8,
};

type PgliteRunner = Pick<PGlite | Transaction, "query">;

function executor(run: PgliteRunner): SqlExecutor {
  return {
    async query<T extends object = Row>(sql: string, params?: readonly SqlParam[]) {
      const r = await run.query<T>(sql, params ? [...params] : []);
      // PGlite counts only INSERT/UPDATE/DELETE/COPY/MERGE rows; pg counts SELECTed ones too.
      return {
        rows: r.rows,
        rowCount: Math.max(r.affectedRows ?? 0, r.rows.length),
      } satisfies QueryResult<T>;
    },
  };
}

export class PgliteDriver implements SqlDriver {
  readonly kind = "pglite" as const;
  readonly #db: PGlite;
  readonly #executor: SqlExecutor;

  private constructor(db: PGlite) {
    this.#db = db;
    this.#executor = executor(db);
  }

  static async open(options: PgliteDriverOptions): Promise<PgliteDriver> {
    let db: PGlite;
    if (options.memory) {
      db = await PGlite.create({
        ...(options.template ? { loadDataDir: options.template } : {}),
        parsers,
      });
    } else {
      const dataDir = join(options.dataDir, "indexer");
      mkdirSync(dataDir, { recursive: true });
      db = await PGlite.create({ dataDir, parsers });
    }
    // PGlite already starts in UTC with ISO dates; pin them like the pg driver does.
    await db.query("SET TimeZone = 'UTC'");
    await db.query("SET DateStyle = 'ISO'");
    return new PgliteDriver(db);
  }

  query<T extends object = Row>(
    sql: string,
    params?: readonly SqlParam[],
  ): Promise<QueryResult<T>> {
    return this.#executor.query<T>(sql, params);
  }

  transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    return this.#db.transaction((tx) => fn(executor(tx)));
  }

  async close(): Promise<void> {
    if (!this.#db.closed) await this.#db.close();
  }
}

export function openPgliteDriver(options: PgliteDriverOptions): Promise<PgliteDriver> {
  return PgliteDriver.open(options);
}
