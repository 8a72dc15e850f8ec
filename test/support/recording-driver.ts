/**
 * A real SqlDriver whose statements are also recorded (text only, in order,
 * transactions included): tests assert which statements a path runs, e.g.
 * "a label set the index holds costs no label-set SQL".
 */
import type { SqlDriver, SqlExecutor } from "../../src/indexer/driver.js";

export interface RecordingDriver {
  readonly driver: SqlDriver;
  /** Every statement run so far. */
  readonly statements: string[];
}

export function recordingDriver(db: SqlDriver): RecordingDriver {
  const statements: string[] = [];
  const wrap = (executor: SqlExecutor): SqlExecutor => ({
    query(sql, params) {
      statements.push(sql);
      return executor.query(sql, params);
    },
  });
  return {
    statements,
    driver: {
      kind: db.kind,
      query: wrap(db).query,
      transaction: (fn) => db.transaction((tx) => fn(wrap(tx))),
      close: () => db.close(),
    },
  };
}

/** The recorded statements that read or write label sets or label pairs. */
export function labelStatements(statements: readonly string[]): string[] {
  return statements.filter((sql) => /metric_label_set|label_pair/.test(sql));
}
