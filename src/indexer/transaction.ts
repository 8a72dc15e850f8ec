/**
 * Running a store operation atomically whether the caller hands a driver
 * (a transaction is opened here) or the handle of a transaction it already
 * opened (the operation joins it; transactions do not nest).
 */
import type { SqlDriver, SqlExecutor } from "./driver.js";

/** A driver, or an open transaction's handle. */
export type Db = SqlExecutor | SqlDriver;

export function isDriver(db: Db): db is SqlDriver {
  return typeof (db as Partial<SqlDriver>).transaction === "function";
}

/** Runs `fn` in a transaction: a new one on a driver, the caller's own on a handle. */
export function inTransaction<T>(db: Db, fn: (tx: SqlExecutor) => Promise<T>): Promise<T> {
  return isDriver(db) ? db.transaction(fn) : fn(db);
}
