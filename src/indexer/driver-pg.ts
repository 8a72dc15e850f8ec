/**
 * {@link SqlDriver} over a real PostgreSQL server through `pg.Pool`.
 * Sessions are pinned to UTC and ISO dates; results are decoded as described
 * in `driver.ts`, identically to the PGlite driver.
 */
import pg from "pg";
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

export interface PgDriverOptions {
  /** `postgresql://user:password@host:port/database` (or libpq-style keywords). */
  readonly connectionString: string;
  /** Pool size (default 10). */
  readonly maxConnections?: number;
  /** Application name shown in `pg_stat_activity` (default `gnocchi-ts`). */
  readonly applicationName?: string;
}

const defaultParser = pg.types.getTypeParser.bind(pg.types) as (
  oid: number,
  format?: string,
) => (value: string) => unknown;

function getTypeParser(oid: number, format?: string): (value: string) => unknown {
  if (format === "binary") return defaultParser(oid, format);
  switch (oid) {
    case OID.TIMESTAMPTZ:
    case OID.TIMESTAMP:
      return parseTimestampText;
    case OID.INT8:
      return parseInt8;
    case OID.BYTEA: {
      const parse = defaultParser(oid, "text");
      return (value) => {
        const buf = parse(value) as Buffer;
        return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
      };
    }
    default:
      return defaultParser(oid, "text");
  }
}

const types = { getTypeParser } as unknown as pg.CustomTypesConfig;

function toPgValues(params: readonly SqlParam[] | undefined): unknown[] {
  return params ? [...params] : [];
}

function executor(run: pg.Pool | pg.PoolClient): SqlExecutor {
  return {
    async query<T extends object = Row>(sql: string, params?: readonly SqlParam[]) {
      const r = await run.query({ text: sql, values: toPgValues(params), types });
      return { rows: r.rows as T[], rowCount: r.rowCount ?? 0 } satisfies QueryResult<T>;
    },
  };
}

export class PgDriver implements SqlDriver {
  readonly kind = "postgresql" as const;
  readonly #pool: pg.Pool;
  readonly #executor: SqlExecutor;

  constructor(options: PgDriverOptions) {
    this.#pool = new pg.Pool({
      connectionString: options.connectionString,
      max: options.maxConnections ?? 10,
      application_name: options.applicationName ?? "gnocchi-ts",
      options: "-c TimeZone=UTC -c DateStyle=ISO",
      types,
    });
    // An idle client losing its server connection must not crash the process.
    this.#pool.on("error", () => {});
    this.#executor = executor(this.#pool);
  }

  query<T extends object = Row>(
    sql: string,
    params?: readonly SqlParam[],
  ): Promise<QueryResult<T>> {
    return this.#executor.query<T>(sql, params);
  }

  async transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    const client = await this.#pool.connect();
    let broken = false;
    try {
      await client.query("BEGIN");
      try {
        const result = await fn(executor(client));
        await client.query("COMMIT");
        return result;
      } catch (error) {
        try {
          await client.query("ROLLBACK");
        } catch {
          broken = true;
        }
        throw error;
      }
    } finally {
      client.release(broken);
    }
  }

  async close(): Promise<void> {
    await this.#pool.end();
  }
}

export function openPgDriver(options: PgDriverOptions): PgDriver {
  return new PgDriver(options);
}
