/**
 * The one SQL interface the indexer talks to. Two implementations exist, with
 * the same SQL dialect and the same result shapes: `driver-pg.ts` (a real
 * PostgreSQL server through `pg.Pool`) and `driver-pglite.ts` (embedded
 * PostgreSQL compiled to WASM, on disk in the data directory or in memory).
 *
 * Rules every caller follows:
 * - Values always travel as parameters (`$1`, `$2`, ...), never spliced into
 *   the SQL text. The only identifiers ever built at run time are the
 *   indexer's own generated names, checked by {@link ident}.
 * - One statement per `query` call (both drivers use the extended protocol).
 *
 * Both drivers decode results identically:
 * - `timestamptz`/`timestamp` → integer microseconds since the epoch (UTC),
 *   exact (a JS Date would drop the microseconds);
 * - `int8` → number (an error if it exceeds 2^53), `int2/int4/float4/float8`
 *   → number, `numeric` → string, `bool` → boolean, `uuid`/`text` → string,
 *   `json/jsonb` → parsed JSON, `bytea` → Uint8Array, arrays of those → arrays.
 *
 * Parameters: pass timestamps with {@link timestampParam} (an ISO string with
 * microseconds), uuids and text as strings, JSON for `jsonb` with
 * {@link jsonParam}, and plain JS arrays for `int4[]`, `text[]` and `uuid[]`
 * (cast them in SQL: `$1::uuid[]`).
 */
import type { Micros } from "../carbonara/time.js";

/** A value bound to a `$n` placeholder. */
export type SqlParam = string | number | boolean | null | Uint8Array | readonly SqlParam[];

/** A row as it comes back, before the caller narrows it. */
export type Row = Record<string, unknown>;

export interface QueryResult<T> {
  readonly rows: T[];
  /** Rows inserted, updated, deleted or returned by the statement. */
  readonly rowCount: number;
}

/** Anything that runs statements: a driver, or the handle of an open transaction. */
export interface SqlExecutor {
  query<T extends object = Row>(sql: string, params?: readonly SqlParam[]): Promise<QueryResult<T>>;
}

export type DriverKind = "postgresql" | "pglite";

export interface SqlDriver extends SqlExecutor {
  readonly kind: DriverKind;
  /**
   * Runs `fn` inside BEGIN/COMMIT on one connection; rolls back and rethrows
   * if `fn` throws. Statements inside must go through the `tx` handle (on
   * PGlite, using the driver itself from inside `fn` would wait forever).
   * Transactions do not nest.
   */
  transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

// ---------------------------------------------------------------------------
// Type decoding shared by both drivers.

/** PostgreSQL type OIDs the drivers decode themselves. */
export const OID = {
  BOOL: 16,
  BYTEA: 17,
  INT8: 20,
  INT2: 21,
  INT4: 23,
  TEXT: 25,
  JSON: 114,
  FLOAT4: 700,
  FLOAT8: 701,
  INT8_ARRAY: 1016,
  TIMESTAMP: 1114,
  TIMESTAMPTZ: 1184,
  TIMESTAMPTZ_ARRAY: 1185,
  NUMERIC: 1700,
  UUID: 2950,
  JSONB: 3802,
} as const;

const TIMESTAMP_TEXT =
  /^(\d{4,})-(\d\d)-(\d\d)[ T](\d\d):(\d\d):(\d\d)(?:\.(\d{1,9}))?(?:([+-])(\d\d)(?::?(\d\d))?(?::?(\d\d))?|Z)?( BC)?$/;

/**
 * Decodes PostgreSQL's text output of a timestamp (any DateStyle ISO offset
 * form) to microseconds since the epoch. Without an offset the value is UTC.
 */
export function parseTimestampText(text: string): Micros {
  if (text === "infinity") return Number.POSITIVE_INFINITY;
  if (text === "-infinity") return Number.NEGATIVE_INFINITY;
  const m = TIMESTAMP_TEXT.exec(text);
  if (!m || m[12] !== undefined) throw new RangeError(`unsupported timestamp value ${text}`);
  const [, y, mo, d, h, mi, s, frac, sign, oh, om, os] = m;
  const date = new Date(0);
  date.setUTCFullYear(Number(y), Number(mo) - 1, Number(d));
  date.setUTCHours(Number(h), Number(mi), Number(s), 0);
  let us = date.getTime() * 1000 + Number((frac ?? "").padEnd(6, "0").slice(0, 6));
  if (sign !== undefined) {
    const offset = (Number(oh) * 3600 + Number(om ?? 0) * 60 + Number(os ?? 0)) * 1_000_000;
    us += sign === "+" ? -offset : offset;
  }
  return us;
}

/** Microseconds since the epoch → a timestamptz parameter (ISO 8601, UTC, exact). */
export function timestampParam(us: Micros): string {
  if (!Number.isSafeInteger(us))
    throw new RangeError(`timestamp must be integer microseconds: ${us}`);
  const ms = Math.floor(us / 1000);
  const rest = us - ms * 1000;
  const iso = new Date(ms).toISOString(); // YYYY-MM-DDTHH:MM:SS.mmmZ
  return `${iso.slice(0, -1)}${String(rest).padStart(3, "0")}Z`;
}

/** A JSON value for a `jsonb`/`json` parameter (cast it in SQL: `$1::jsonb`). */
export function jsonParam(value: unknown): string {
  return JSON.stringify(value);
}

export function parseInt8(text: string): number {
  const n = Number(text);
  if (!Number.isSafeInteger(n)) throw new RangeError(`int8 value ${text} does not fit a JS number`);
  return n;
}

// ---------------------------------------------------------------------------
// Errors and identifiers.

/** SQLSTATE codes the indexer reacts to. */
export const SQLSTATE = {
  UNIQUE_VIOLATION: "23505",
  FOREIGN_KEY_VIOLATION: "23503",
  EXCLUSION_VIOLATION: "23P01",
  CHECK_VIOLATION: "23514",
  SERIALIZATION_FAILURE: "40001",
  DEADLOCK_DETECTED: "40P01",
} as const;

/** The SQLSTATE of a database error raised by either driver, if it is one. */
export function sqlState(error: unknown): string | undefined {
  if (typeof error === "object" && error !== null && "code" in error) {
    const code = (error as { code: unknown }).code;
    if (typeof code === "string" && /^[0-9A-Z]{5}$/.test(code)) return code;
  }
  return undefined;
}

/** The constraint a database error names, if any. */
export function sqlConstraint(error: unknown): string | undefined {
  if (typeof error === "object" && error !== null && "constraint" in error) {
    const c = (error as { constraint: unknown }).constraint;
    if (typeof c === "string") return c;
  }
  return undefined;
}

const SAFE_IDENTIFIER = /^[a-z_][a-z0-9_]{0,62}$/;

/**
 * Quotes an identifier the indexer generated itself (a per-type table name
 * such as `rt_<hex>`, a column such as `a3`, a test database name). Anything
 * outside `[a-z_][a-z0-9_]*` is refused: user-supplied names never become
 * identifiers.
 */
export function ident(name: string): string {
  if (!SAFE_IDENTIFIER.test(name))
    throw new Error(`refusing unsafe SQL identifier ${JSON.stringify(name)}`);
  return `"${name}"`;
}
