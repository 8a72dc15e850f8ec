/**
 * Root, index, health, capabilities, status, CORS, proxy headers, error
 * bodies and /metrics (spec rest §0–§2; base.yaml, cors.yaml,
 * healthcheck.yaml, http-proxy-to-wsgi.yaml).
 */
import { expect, it } from "vitest";
import { ReportGenerationError, type StatusSource } from "../../src/gnocchi-api/status.js";
import { describeDrivers } from "../indexer/drivers.js";
import { ADMIN, BASE, harness } from "./helpers.js";

const admin = { authorization: ADMIN };

describeDrivers(
  "API root, status and cross-cutting behaviour",
  (ctx) => {
    const api = harness(ctx.db);

    it("serves the versions document with and without trailing slash", async () => {
      for (const path of ["", "/"]) {
        const res = await api.request("GET", path);
        expect(res.status).toBe(200);
        expect(res.headers.get("content-type")).toMatch(/^application\/json/);
        expect(await res.json()).toEqual({
          build: "4.4.2",
          versions: [
            {
              status: "CURRENT",
              links: [{ rel: "self", href: `${BASE}/v1/` }],
              id: "v1.0",
              updated: "2015-03-19",
            },
          ],
        });
      }
    });

    it("routes paths with doubled slashes as gnocchiclient sends them, bodies included", async () => {
      const created = await api.request("POST", "/v1/archive_policy", {
        headers: admin,
        body: { name: "doubled", definition: [{ granularity: "1s", points: 10 }] },
      });
      expect(created.status).toBe(201);
      const res = await api.request("PATCH", "//v1/archive_policy//doubled", {
        headers: admin,
        body: { definition: [{ granularity: "1s", points: 20 }] },
      });
      expect(res.status).toBe(200);
      expect(
        ((await res.json()) as { definition: { points: number }[] }).definition[0]?.points,
      ).toBe(20);
    });

    it("rewrites URLs from Forwarded and X-Forwarded-* headers", async () => {
      const fwd = await api.request("GET", "/", {
        headers: { forwarded: "for=192.0.2.60;proto=http;host=foobar" },
      });
      const json = (await fwd.json()) as { versions: { links: { href: string }[] }[] };
      expect(json.versions[0]?.links[0]?.href).toBe("http://foobar/gnocchi/v1/");
      const x = await api.request("GET", "/v1", {
        headers: {
          "x-forwarded-proto": "https",
          "x-forwarded-host": "example.org:8443",
          "x-forwarded-prefix": "/metrics-api",
        },
      });
      const index = (await x.json()) as { links: { href: string }[] };
      expect(index.links[0]?.href).toBe("https://example.org:8443/metrics-api/gnocchi/v1");
    });

    it("ignores proxy headers unless enabled", async () => {
      const plain = harness(ctx.db, { enableProxyHeadersParsing: false });
      const res = await plain.request("GET", "/", { headers: { forwarded: "host=foobar" } });
      const json = (await res.json()) as { versions: { links: { href: string }[] }[] };
      expect(json.versions[0]?.links[0]?.href).toBe(`${BASE}/v1/`);
    });

    it("lists the 13 v1 links sorted by name", async () => {
      const res = await api.request("GET", "/v1/");
      const json = (await res.json()) as {
        version: string;
        links: { rel: string; href: string }[];
      };
      expect(json.version).toBe("1.0");
      expect(json.links).toHaveLength(13);
      expect(json.links[0]).toEqual({ rel: "self", href: `${BASE}/v1` });
      expect(json.links.map((l) => l.rel).slice(1)).toEqual([
        "aggregates",
        "aggregation",
        "archive_policy",
        "archive_policy_rule",
        "batch",
        "capabilities",
        "influxdb",
        "metric",
        "resource",
        "resource_type",
        "search",
        "status",
      ]);
      expect(json.links[9]).toEqual({ rel: "resource", href: `${BASE}/v1/resource` });
    });

    it("answers the health check outside /v1 without auth", async () => {
      const res = await api.request("GET", "/healthcheck", {
        headers: { authorization: undefined },
      });
      expect(res.status).toBe(200);
      expect(await res.text()).toBe("OK");
    });

    it("lists the 216 aggregation methods without auth", async () => {
      const res = await api.request("GET", "/v1/capabilities", {
        headers: { authorization: undefined },
      });
      const json = (await res.json()) as { aggregation_methods: string[] };
      expect(json.aggregation_methods).toHaveLength(216);
      expect(json.aggregation_methods).toContain("rate:99pct");
    });

    it("reports status to admins only, with or without details", async () => {
      expect((await api.request("GET", "/v1/status")).status).toBe(403);
      expect(
        (await api.request("GET", "/v1/status", { headers: { authorization: undefined } })).status,
      ).toBe(401);
      const full = (await (await api.request("GET", "/v1/status", { headers: admin })).json()) as {
        storage: object;
        metricd: object;
      };
      expect(Object.keys(full.storage)).toHaveLength(2);
      expect(Object.keys(full.metricd)).toHaveLength(2);
      const brief = (await (
        await api.request("GET", "/v1/status?details=False", { headers: admin })
      ).json()) as { storage: object; metricd: object };
      expect(Object.keys(brief.storage)).toHaveLength(1);
      expect(Object.keys(brief.metricd)).toHaveLength(2);
      const bad = await api.request("GET", "/v1/status?details=maybe", { headers: admin });
      expect(bad.status).toBe(400);
      expect(await bad.text()).toContain("Unable to parse `details': invalid truth value 'maybe'");
    });

    it("takes the backlog from the injected source, 503 when it fails", async () => {
      const source: StatusSource = {
        async measuresReport(details) {
          const summary = { metrics: 1, measures: 3 };
          return details
            ? { summary, details: { "5b7ebe90-4ad2-4c83-ad2c-f6344884ab70": 3 } }
            : { summary };
        },
        async processors() {
          return {
            processors: ["host.0.x"],
            statistics: { "host.0.x": { "processed measures": 3 } },
          };
        },
      };
      const withSource = harness(ctx.db, {}, source);
      const res = await withSource.request("GET", "/v1/status", { headers: admin });
      expect(await res.text()).toBe(
        '{"storage": {"summary": {"metrics": 1, "measures": 3}, "measures_to_process": ' +
          '{"5b7ebe90-4ad2-4c83-ad2c-f6344884ab70": 3}}, "metricd": {"processors": ["host.0.x"], ' +
          '"statistics": {"host.0.x": {"processed measures": 3}}}}',
      );
      const failing = harness(
        ctx.db,
        {},
        {
          ...source,
          measuresReport: () => Promise.reject(new ReportGenerationError("busy")),
        },
      );
      const err = await failing.request("GET", "/v1/status", { headers: admin });
      expect(err.status).toBe(503);
      expect(await err.text()).toContain("Unable to generate status. Please retry.");
    });

    it("answers CORS pre-flights from allowed origins only (cors.yaml)", async () => {
      const denied = await api.request("OPTIONS", "/v1/status", {
        headers: {
          authorization: undefined,
          origin: "http://notallowed.com",
          "access-control-request-method": "GET",
        },
      });
      expect(denied.headers.get("access-control-allow-origin")).toBeNull();
      expect(denied.headers.get("access-control-allow-methods")).toBeNull();
      const allowed = await api.request("OPTIONS", "/v1/status", {
        headers: {
          authorization: undefined,
          origin: "http://foobar.com",
          "access-control-request-method": "GET",
          "access-control-request-headers": "X-Auth-Token",
        },
      });
      expect(allowed.status).toBe(200);
      expect(allowed.headers.get("access-control-allow-origin")).toBe("http://foobar.com");
      expect(allowed.headers.get("access-control-allow-methods")).toBe("GET");
      expect(allowed.headers.get("access-control-allow-credentials")).toBe("true");
      expect(allowed.headers.get("access-control-max-age")).toBe("3600");
      expect(allowed.headers.get("access-control-allow-headers")).toBe("X-Auth-Token");
      const badHeader = await api.request("OPTIONS", "/v1/status", {
        headers: {
          origin: "http://foobar.com",
          "access-control-request-method": "GET",
          "access-control-request-headers": "X-Evil",
        },
      });
      expect(badHeader.headers.get("access-control-allow-origin")).toBeNull();
      const actual = await api.request("GET", "/v1/archive_policy", {
        headers: { origin: "http://foobar.com" },
      });
      expect(actual.headers.get("access-control-allow-origin")).toBe("http://foobar.com");
      expect(actual.headers.get("vary")).toContain("Origin");
    });

    it("answers unknown paths 404 and errors as JSON only when JSON is preferred", async () => {
      const plain = await api.request("GET", "/v1/nothing-here");
      expect(plain.status).toBe(404);
      expect(plain.headers.get("content-type")).toMatch(/^text\/plain/);
      expect(await plain.text()).toContain("The resource could not be found.");
      const json = await api.request("GET", "/v1/archive_policy/nope", {
        headers: { accept: "application/json" },
      });
      expect(await json.json()).toEqual({
        code: 404,
        title: "Not Found",
        description: "Archive policy nope does not exist",
      });
      const tie = await api.request("GET", "/v1/archive_policy/nope", {
        headers: { accept: "*/*" },
      });
      expect(tie.headers.get("content-type")).toMatch(/^text\/plain/);
      const outside = await api.request("GET", "/../elsewhere");
      expect(outside.status).toBe(404);
    });

    it("takes identity from a trusted header in remoteuser mode", async () => {
      const remote = harness(ctx.db, { authMode: "remoteuser", remoteUserHeader: "X-Remote-User" });
      expect((await remote.request("GET", "/v1/archive_policy")).status).toBe(401);
      const user = await remote.request("GET", "/v1/archive_policy", {
        headers: { "x-remote-user": "jd" },
      });
      expect(user.status).toBe(200);
      const notAdmin = await remote.request("GET", "/v1/status", {
        headers: { "x-remote-user": "jd" },
      });
      expect(notAdmin.status).toBe(403);
      const asAdmin = await remote.request("GET", "/v1/status", {
        headers: { "x-remote-user": "admin" },
      });
      expect(asAdmin.status).toBe(200);
    });

    it("refuses bodies over the size limit with 413", async () => {
      const small = harness(ctx.db, { maxBodyBytes: 100 });
      const res = await small.request("POST", "/v1/archive_policy", {
        headers: admin,
        body: { name: "x".repeat(200), definition: [{ granularity: 1 }] },
      });
      expect(res.status).toBe(413);
    });

    it("exposes request metrics by route template", async () => {
      await api.request("GET", "/v1/archive_policy", { headers: { accept: "text/html" } });
      const res = await api.request("GET", "/metrics", { headers: { authorization: undefined } });
      expect(res.status).toBe(200);
      const text = await res.text();
      expect(text).toMatch(
        /gnocchi_http_requests_total\{method="GET",route="\/gnocchi\/v1\/archive_policy\/:name",status="404"\} \d+/,
      );
      expect(text).toContain('gnocchi_http_bad_requests_total{reason="not_acceptable"}');
      expect(text).not.toContain("/v1/archive_policy/nope");
      expect(text).toContain("gnocchi_http_request_duration_seconds_bucket");
    });
  },
  { upgrade: { createDefaultPolicies: false } },
);
