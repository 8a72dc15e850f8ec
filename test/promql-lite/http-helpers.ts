/**
 * The API as src/server.ts wires it, for the Prometheus API and Grafana
 * tests: the Hono app (upstream fixture options, prefix `/gnocchi`) over a
 * real storage engine with metricd running, the real remote-write ingester
 * (samples go in through `POST /api/v1/write`), and the PromQL limits.
 * Closed after the file.
 */
import type { Hono } from "hono";
import { resolveArchivePolicyItem } from "../../src/carbonara/archive-policy.js";
import type { AppEnv } from "../../src/gnocchi-api/context.js";
import { createArchivePolicy } from "../../src/indexer/archive-policy-store.js";
import type { SqlDriver } from "../../src/indexer/driver.js";
import type { PromQLLimits } from "../../src/promql-lite/http/service.js";
import type { StorageEngine } from "../../src/storage/storage-engine.js";
import { ADMIN, BASE, FOOBAR } from "../gnocchi-api/helpers.js";
import { encodeWriteRequest, series, snappy } from "../remote-write/proto.js";
import { lazyRemoteWriteApp } from "../support/remote-write-app.js";

export { ADMIN, FOOBAR };
/** Basic auth of a third user, `other`. */
export const OTHER = `basic ${Buffer.from("other:").toString("base64")}`;

export const PROM_POLICY = "prom";
const S = 1_000_000;

/** The policy remote-written series get: 1 s for an hour, 1 min for a day, 1 h for a year. */
export async function createPromPolicy(db: SqlDriver): Promise<void> {
  await createArchivePolicy(db, {
    name: PROM_POLICY,
    backWindow: 0,
    aggregationMethods: ["last", "mean", "max", "min", "sum", "count"],
    definition: [
      resolveArchivePolicyItem({ granularity: S, points: 3600 }),
      resolveArchivePolicyItem({ granularity: 60 * S, points: 1440 }),
      resolveArchivePolicyItem({ granularity: 3600 * S, points: 8760 }),
    ],
  });
}

export interface PromHarness {
  app(): Promise<Hono<AppEnv>>;
  storage(): Promise<StorageEngine>;
  /** Remote-writes series (labels, [ms, value] samples) as `user`; throws unless 204. */
  write(
    data: readonly {
      labels: Record<string, string>;
      samples: readonly (readonly [number, number])[];
    }[],
    user?: string,
  ): Promise<void>;
  get(
    path: string,
    params?: Record<string, string | string[]>,
    user?: string | undefined,
  ): Promise<Response>;
  /** POST `path` with `params` as a form body. */
  postForm(
    path: string,
    params: Record<string, string | string[]>,
    user?: string,
  ): Promise<Response>;
  /** POST `path` with a JSON body. */
  postJson(path: string, body: unknown, user?: string): Promise<Response>;
}

/**
 * The encoder computes with the staleness marker and x86 sets its quiet bit
 * (0x7ff8000000000002): put Prometheus' exact bits back, as it sends them.
 */
function staleBits(bytes: Uint8Array): Uint8Array {
  const quiet = [2, 0, 0, 0, 0, 0, 0xf8, 0x7f];
  for (let i = 0; i + 8 <= bytes.length; i++) {
    if (quiet.every((b, k) => bytes[i + k] === b)) bytes[i + 6] = 0xf0;
  }
  return bytes;
}

function search(params: Record<string, string | string[]>): URLSearchParams {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params))
    for (const x of Array.isArray(v) ? v : [v]) q.append(k, x);
  return q;
}

export function promHarness(db: () => SqlDriver, limits?: PromQLLimits): PromHarness {
  const open = lazyRemoteWriteApp(
    db,
    (storage) => ({
      db: db(),
      incoming: storage.incoming,
      archivePolicy: PROM_POLICY,
      sightingsIntervalMs: 0,
    }),
    limits === undefined ? {} : { promqlLimits: limits },
  );
  const request = async (path: string, init: RequestInit, user: string | undefined) => {
    const headers = new Headers(init.headers);
    if (user !== undefined && user !== "") headers.set("authorization", user);
    return (await open()).app.request(`${BASE}${path}`, { ...init, headers });
  };
  return {
    app: async () => (await open()).app,
    storage: async () => (await open()).storage,
    async write(data, user = ADMIN) {
      const body = snappy(
        staleBits(encodeWriteRequest({ series: data.map((d) => series(d.labels, d.samples)) })),
      );
      const r = await request(
        "/api/v1/write",
        {
          method: "POST",
          headers: { "content-type": "application/x-protobuf", "content-encoding": "snappy" },
          body,
        },
        user,
      );
      if (r.status !== 204) throw new Error(`remote write: ${r.status} ${await r.text()}`);
    },
    get: (path, params = {}, user = ADMIN) =>
      request(`${path}?${search(params)}`, { method: "GET" }, user),
    postForm: (path, params, user = ADMIN) =>
      request(
        path,
        {
          method: "POST",
          headers: { "content-type": "application/x-www-form-urlencoded" },
          body: search(params).toString(),
        },
        user,
      ),
    postJson: (path, body, user = ADMIN) =>
      request(
        path,
        {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify(body),
        },
        user,
      ),
  };
}
