/**
 * `start` and `end` on /api/v1/series, /api/v1/labels and
 * /api/v1/label/<name>/values, with the app and the remote-write ingester
 * sharing one LabelStore as src/server.ts wires them, on both indexer
 * drivers: a series is listed when first_seen ≤ end and last_seen ≥ start,
 * its last seen time being when its samples arrived (this process widens it
 * at once, no refresh or SQL stamp needed), for an admin (the index's own
 * answer) and for a non-admin (the label sets of their readable metrics).
 */
import { beforeAll, expect, it } from "vitest";
import { LabelStore } from "../../src/indexer/label-store.js";
import { BASE } from "../gnocchi-api/helpers.js";
import { describeDrivers } from "../indexer/drivers.js";
import { series, writeBody } from "../remote-write/proto.js";
import { lazyRemoteWriteApp } from "../support/remote-write-app.js";
import { ADMIN, createPromPolicy, FOOBAR, PROM_POLICY } from "./http-helpers.js";

const MIN = 60_000;
const sec = (ms: number) => String(ms / 1000);

describeDrivers(
  "Prometheus metadata endpoints over a time range",
  (ctx) => {
    let store: LabelStore | undefined;
    const open = lazyRemoteWriteApp(
      ctx.db,
      (storage) => ({
        db: ctx.db(),
        incoming: storage.incoming,
        archivePolicy: PROM_POLICY,
        // Stamped in SQL only on close: what the answers see is the index's own.
        sightingsIntervalMs: 0,
        ...(store !== undefined ? { labelStore: store } : {}),
      }),
      {
        get labelStore() {
          return store;
        },
      },
    );
    beforeAll(async () => {
      await createPromPolicy(ctx.db());
      store = await LabelStore.load(ctx.db());
    });

    const get = async (path: string, params: Record<string, string>, user = ADMIN) => {
      const r = await (await open()).app.request(`${BASE}${path}?${new URLSearchParams(params)}`, {
        headers: { authorization: user },
      });
      expect(r.status).toBe(200);
      return ((await r.json()) as { data: unknown }).data;
    };
    const write = async (labels: Record<string, string>, at: number, user = ADMIN) => {
      const r = await (await open()).app.request(`${BASE}/api/v1/write`, {
        method: "POST",
        headers: {
          authorization: user,
          "content-type": "application/x-protobuf",
          "content-encoding": "snappy",
        },
        body: writeBody({ series: [series(labels, [[at, 1]])] }),
      });
      expect(r.status).toBe(204);
    };

    /** ms: the samples' time (first_seen), and the time before they arrived (last_seen after it). */
    const sampled = Date.now() - 30 * MIN;
    let arrived = 0;

    it("lists a series with a start before its last sighting, not after it", async () => {
      arrived = Date.now();
      await write({ __name__: "meta_up", job: "meta", instance: "a" }, sampled);
      const before = sec(arrived - 5 * MIN);
      const after = sec(Date.now() + 60 * MIN);
      const match = { "match[]": '{job="meta"}' };
      expect(await get("/api/v1/series", { ...match, start: before })).toEqual([
        { __name__: "meta_up", instance: "a", job: "meta" },
      ]);
      // Before the sighting, after the samples: the sighting counts, not the sample time.
      expect(await get("/api/v1/series", { ...match, start: sec(sampled + MIN) })).toHaveLength(1);
      expect(await get("/api/v1/series", { ...match, start: after })).toEqual([]);
      expect(await get("/api/v1/labels", { ...match, start: before })).toEqual([
        "__name__",
        "instance",
        "job",
      ]);
      expect(await get("/api/v1/labels", { ...match, start: after })).toEqual([]);
      expect(await get("/api/v1/label/job/values", { start: before })).toContain("meta");
      expect(await get("/api/v1/label/job/values", { start: after })).not.toContain("meta");
      // An end before its first sample leaves it out too; end after it and no start: listed.
      expect(await get("/api/v1/series", { ...match, end: sec(sampled - MIN) })).toEqual([]);
      expect(await get("/api/v1/series", { ...match, end: sec(sampled + MIN) })).toHaveLength(1);
    });

    it("applies the same range to a non-admin's readable series", async () => {
      await write({ __name__: "meta_mine", job: "meta_foo", instance: "b" }, sampled, FOOBAR);
      const before = sec(arrived - 5 * MIN);
      const after = sec(Date.now() + 60 * MIN);
      const match = { "match[]": '{job=~"meta.*"}' };
      expect(await get("/api/v1/series", { ...match, start: before }, FOOBAR)).toEqual([
        { __name__: "meta_mine", instance: "b", job: "meta_foo" },
      ]);
      expect(await get("/api/v1/series", { ...match, start: after }, FOOBAR)).toEqual([]);
      expect(await get("/api/v1/labels", { start: before }, FOOBAR)).toEqual([
        "__name__",
        "instance",
        "job",
      ]);
      expect(await get("/api/v1/labels", { start: after }, FOOBAR)).toEqual([]);
      expect(await get("/api/v1/label/job/values", { start: before }, FOOBAR)).toEqual([
        "meta_foo",
      ]);
      expect(await get("/api/v1/label/job/values", { start: after }, FOOBAR)).toEqual([]);
      expect(await get("/api/v1/label/job/values", { end: sec(sampled - MIN) }, FOOBAR)).toEqual(
        [],
      );
    });

    it("keeps a series written again in range as its sightings move on", async () => {
      const labels = { __name__: "meta_up", job: "meta", instance: "a" };
      const match = { "match[]": "meta_up" };
      const since = Date.now();
      expect(await get("/api/v1/series", { ...match, start: sec(since) })).toEqual([]);
      // The ingester widens a series' range at most once a second.
      await new Promise((resolve) => setTimeout(resolve, 1100));
      await write(labels, sampled + MIN);
      expect(await get("/api/v1/series", { ...match, start: sec(since) })).toEqual([labels]);
    });
  },
  { upgrade: { createDefaultPolicies: false } },
);
