/**
 * What the aggregation tests need beside the HTTP harness: the app over a
 * real storage engine they can also reach, to create metrics and resources
 * in the indexer and to store measures (a durable append, then the same
 * synchronous processing `refresh=true` runs) without depending on the
 * metric and resource routes.
 */
import type { Hono } from "hono";
import { createApp } from "../../src/gnocchi-api/app.js";
import type { AppEnv } from "../../src/gnocchi-api/context.js";
import { createLogger, type LogLevel } from "../../src/gnocchi-api/logging.js";
import { ApiMetrics } from "../../src/gnocchi-api/metrics.js";
import { EMPTY_STATUS_SOURCE } from "../../src/gnocchi-api/status.js";
import type { SqlDriver } from "../../src/indexer/driver.js";
import { createMetric } from "../../src/indexer/metric-store.js";
import { createResource } from "../../src/indexer/resource-store.js";
import type { StorageEngine } from "../../src/storage/storage-engine.js";
import { ADMIN, BASE, FIXTURE_OPTIONS, openTestStorage, requestInit } from "./helpers.js";

/** A parsed reply, checked by value in the tests. */
// biome-ignore lint/suspicious/noExplicitAny: replies are asserted with toEqual, not typed.
export type Json = any;

export interface AggregationFixture {
  request(
    method: string,
    path: string,
    init?: { headers?: Record<string, string | undefined>; body?: unknown },
  ): Promise<Response>;
  /** POST + JSON of a 200 reply (fails the test otherwise). */
  json(
    method: string,
    path: string,
    body?: unknown,
    headers?: Record<string, string>,
  ): Promise<Json>;
  storage(): Promise<StorageEngine>;
  createPolicy(name: string, granularities: readonly (string | number)[]): Promise<void>;
  createMetric(policy: string, name?: string, creator?: string): Promise<string>;
  /** A generic resource with named metrics of one policy; returns the metric ids by name. */
  createResource(
    id: string,
    attributes: { userId?: string; projectId?: string },
    metrics: Readonly<Record<string, string>>,
    creator?: string,
  ): Promise<Record<string, string>>;
  /** Stores `[ISO timestamp, value]` measures and processes them now. */
  measures(metricId: string, points: readonly (readonly [string, number])[]): Promise<void>;
}

export function aggregationFixture(db: () => SqlDriver): AggregationFixture {
  let state: Promise<{ app: Hono<AppEnv>; storage: StorageEngine }> | undefined;
  const open = () => {
    state ??= openTestStorage(db()).then((storage) => ({
      storage,
      app: createApp({
        options: FIXTURE_OPTIONS,
        db: db(),
        storage,
        status: EMPTY_STATUS_SOURCE,
        metrics: new ApiMetrics({ defaultMetrics: false }),
        logger: createLogger((process.env.TEST_LOG as LogLevel | undefined) ?? "silent"),
        version: "4.4.2",
      }),
    }));
    return state;
  };
  const request: AggregationFixture["request"] = async (method, path, init = {}) =>
    (await open()).app.request(`${BASE}${path}`, requestInit(method, init));
  return {
    request,
    async json(method, path, body, headers = {}) {
      const res = await request(method, path, { body, headers });
      const text = await res.text();
      if (res.status !== 200) throw new Error(`${method} ${path}: ${res.status} ${text}`);
      // Python's NaN/Infinity tokens are not JSON: map them for the assertions.
      return JSON.parse(text.replace(/\bNaN\b/g, '"NaN"').replace(/-?\bInfinity\b/g, '"$&"'));
    },
    storage: async () => (await open()).storage,
    async createPolicy(name, granularities) {
      const res = await request("POST", "/v1/archive_policy", {
        headers: { authorization: ADMIN },
        body: { name, definition: granularities.map((granularity) => ({ granularity })) },
      });
      if (res.status !== 201) throw new Error(`policy ${name}: ${await res.text()}`);
    },
    async createMetric(policy, name, creator = "foobar") {
      await open();
      const m = await createMetric(
        db(),
        { archivePolicyName: policy, ...(name === undefined ? {} : { name }) },
        creator,
      );
      return m.id;
    },
    async createResource(id, attributes, metrics, creator = "foobar") {
      await open();
      const defs: Record<string, { archivePolicyName: string }> = {};
      for (const [name, policy] of Object.entries(metrics))
        defs[name] = { archivePolicyName: policy };
      const r = await createResource(
        db(),
        "generic",
        {
          id,
          userId: attributes.userId ?? null,
          projectId: attributes.projectId ?? null,
          metrics: defs,
        },
        creator,
      );
      const found = await db().query<{ name: string; id: string }>(
        "SELECT name, id FROM metric WHERE resource_id = $1",
        [r.id],
      );
      return Object.fromEntries(found.rows.map((row) => [row.name, row.id]));
    },
    async measures(metricId, points) {
      const { storage } = await open();
      await storage.incoming.append([
        {
          metricId,
          timestamps: Float64Array.from(points, ([t]) => Date.parse(`${t}Z`) * 1000),
          values: Float64Array.from(points, ([, v]) => v),
        },
      ]);
      await storage.reader.refresh([metricId]);
    },
  };
}
