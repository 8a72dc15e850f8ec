/**
 * The API harness of test/gnocchi-api/helpers.ts (upstream fixture: prefix
 * `/gnocchi`, no default policies, a real storage engine with metricd) with
 * the remote-write service wired in as src/server.ts does. Its storage is
 * closed when the describe block that created the harness ends (before the
 * block's indexer goes), so metricd does not outlive the database. Plus two
 * recorders that forward to the real parts: every `incoming.append` call and
 * the number of indexer statements, so tests can assert "nothing stored" and
 * "a known series costs no indexer round trip".
 */
import type { SqlDriver, SqlExecutor } from "../../src/indexer/driver.js";
import type { RemoteWriteOptions } from "../../src/remote-write/ingester.js";
import type { IncomingStore, MeasureBatch, MeasureColumns } from "../../src/storage/incoming.js";
import type { StorageEngine } from "../../src/storage/storage-engine.js";
import { BASE } from "../gnocchi-api/helpers.js";
import { lazyRemoteWriteApp } from "../support/remote-write-app.js";

export interface RemoteWriteHarness {
  /** POST `body` to `BASE + path` with Prometheus' headers; `user` is a Basic header value or undefined. */
  post(
    path: string,
    body: Uint8Array,
    user?: string,
    extra?: Record<string, string>,
  ): Promise<Response>;
  storage(): Promise<StorageEngine>;
  /** Every append call that reached the store (copies of its batches' metric ids and data). */
  readonly appends: MeasureBatch[][];
  /** Indexer statements run by the remote-write service so far. */
  statements(): number;
}

function counting(db: SqlDriver, count: () => void): SqlDriver {
  const wrap = (executor: SqlExecutor): SqlExecutor => ({
    query(sql, params) {
      count();
      return executor.query(sql, params);
    },
  });
  return {
    kind: db.kind,
    query: wrap(db).query,
    transaction: (fn) => db.transaction((tx) => fn(wrap(tx))),
    close: () => db.close(),
  };
}

/** One batch (copied) per non-empty run, for assertions. */
function batchesOf(columns: MeasureColumns): MeasureBatch[] {
  const out: MeasureBatch[] = [];
  let from = 0;
  columns.metricIds.forEach((metricId, r) => {
    const end = columns.runEnds[r]!;
    if (end > from) {
      out.push({
        metricId,
        timestamps: columns.timestamps.slice(from, end),
        values: columns.values.slice(from, end),
      });
    }
    from = end;
  });
  return out;
}

export function remoteWriteHarness(
  db: () => SqlDriver,
  options: Partial<Omit<RemoteWriteOptions, "db" | "incoming">> & {
    /** Replaces the storage's incoming store (e.g. a closed one). */
    incoming?: (storage: StorageEngine) => Pick<IncomingStore, "appendColumns">;
  } = {},
): RemoteWriteHarness {
  const appends: MeasureBatch[][] = [];
  let statements = 0;
  const open = lazyRemoteWriteApp(db, (storage) => {
    const target = options.incoming?.(storage) ?? storage.incoming;
    return {
      sightingsIntervalMs: 0,
      ...options,
      db: counting(db(), () => statements++),
      incoming: {
        appendColumns(columns) {
          appends.push(batchesOf(columns));
          return target.appendColumns(columns);
        },
      },
    };
  });
  return {
    appends,
    statements: () => statements,
    storage: async () => (await open()).storage,
    async post(path, body, user, extra = {}) {
      const headers: Record<string, string> = {
        "content-type": "application/x-protobuf",
        "content-encoding": "snappy",
        "x-prometheus-remote-write-version": "0.1.0",
      };
      if (user !== undefined) headers.authorization = user;
      Object.assign(headers, extra);
      const { app } = await open();
      return app.request(`${BASE}${path}`, { method: "POST", headers, body });
    },
  };
}
