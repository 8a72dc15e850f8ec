/** Query-string pagination and the `Link` header (spec rest §11), on a bare Hono app. */
import { Hono } from "hono";
import { describe, expect, it } from "vitest";
import type { ApiDeps, AppEnv } from "../../src/gnocchi-api/context.js";
import { toHttpError } from "../../src/gnocchi-api/error-map.js";
import { errorResponse } from "../../src/gnocchi-api/errors.js";
import { nextPageLink, type Page, requestPage } from "../../src/gnocchi-api/pagination.js";
import { publicBase } from "../../src/gnocchi-api/urls.js";
import {
  HISTORY_TIEBREAKERS,
  METRIC_DEFAULT_SORT,
  METRIC_TIEBREAKERS,
  metricColumns,
  RESOURCE_DEFAULT_SORT,
  RESOURCE_TIEBREAKERS,
} from "../../src/indexer/pagination.js";
import { resourceColumns } from "../../src/indexer/search-sql.js";
import { FIXTURE_OPTIONS } from "./helpers.js";

const GENERIC = { name: "generic", tablename: null, attributes: [] } as never;

/** An app echoing the parsed page and the Link a page of `count` items ending at `last` gets. */
function app() {
  const deps = { options: FIXTURE_OPTIONS } as unknown as ApiDeps;
  const a = new Hono<AppEnv>().basePath("/gnocchi");
  a.use("*", async (c, next) => {
    c.set("deps", deps);
    await next();
  });
  a.use("*", publicBase());
  a.get("/v1/*", (c) => {
    const history = c.req.query("history") === "true";
    const metric = c.req.path.includes("/metric");
    const page = requestPage(
      c,
      metric
        ? {
            columns: metricColumns(),
            defaults: METRIC_DEFAULT_SORT,
            tiebreakers: METRIC_TIEBREAKERS,
          }
        : {
            columns: resourceColumns(GENERIC, { history }),
            defaults: RESOURCE_DEFAULT_SORT,
            tiebreakers: history ? HISTORY_TIEBREAKERS : RESOURCE_TIEBREAKERS,
          },
    );
    const count = Number(c.req.header("x-count") ?? "0");
    const link = nextPageLink(c, page, count, () => c.req.header("x-last") ?? "");
    return c.json({ page, link: link.Link ?? null });
  });
  a.onError((error, c) => errorResponse(c, toHttpError(error) ?? (error as never)));
  return a;
}

async function get(path: string, headers: Record<string, string> = {}) {
  const res = await app().request(`http://localhost:8041/gnocchi${path}`, {
    headers: { accept: "application/json", ...headers },
  });
  const body = (await res.json()) as {
    page: Page;
    link: string | null;
    description: unknown;
  };
  return { status: res.status, body };
}

describe("requestPage", () => {
  it("defaults to max_limit and the default sort, tiebreaker appended", async () => {
    const { body } = await get("/v1/resource/generic");
    expect(body.page.limit).toBe(7);
    expect(body.page.linkSorts).toEqual(["revision_start:asc", "started_at:asc"]);
    expect(body.page.sorts.map((s) => s.key)).toEqual(["revision_start", "started_at", "id"]);
    expect(body.page.marker).toBeUndefined();
  });

  it("clamps limit, keeps repeated sorts in order, reads the marker", async () => {
    const { body } = await get(
      "/v1/resource/generic?history=true&limit=50&sort=id:asc&sort=ended_at:desc-nullslast&marker=x@1",
    );
    expect(body.page.limit).toBe(7);
    expect(body.page.linkSorts).toEqual(["id:asc", "ended_at:desc-nullslast"]);
    expect(body.page.sorts).toEqual([
      { key: "id", descending: false, nullsFirst: false },
      { key: "ended_at", descending: true, nullsFirst: false },
      { key: "revision", descending: false, nullsFirst: false },
    ]);
    expect(body.page.marker).toBe("x@1");
  });

  it.each([
    ["sort=invalid:asc", "Invalid pagination: `Sort key supplied is invalid: invalid'"],
    [
      "sort=id:invalid",
      "Invalid pagination: `Unknown sort direction, must be one of: asc-nullsfirst, asc-nullslast, desc-nullsfirst, desc-nullslast'",
    ],
  ])("%s → 400 %s", async (query, description) => {
    const { status, body } = await get(`/v1/resource/generic?${query}`);
    expect(status).toBe(400);
    expect(body.description).toBe(description);
  });

  it.each([
    ["limit=-2", "value must be at least 1 for dictionary value @ data['limit']"],
    ["limit=invalid", "expected int for dictionary value @ data['limit']"],
    ["limit=1&limit=2", "expected int for dictionary value @ data['limit']"],
    ["marker=a&marker=b", "expected str for dictionary value @ data['marker']"],
  ])("%s → 400 Argument value error", async (query, reason) => {
    const { status, body } = await get(`/v1/resource/generic?${query}`);
    expect(status).toBe(400);
    expect(body.description).toEqual({ cause: "Argument value error", reason });
  });
});

describe("nextPageLink", () => {
  it("is absent when the page is not full", async () => {
    const { body } = await get("/v1/resource/generic?limit=2", { "x-count": "1", "x-last": "a" });
    expect(body.link).toBeNull();
  });

  it("is the request URL with every parameter, sorted, effective limit and sort", async () => {
    const { body } = await get("/v1/resource/generic?limit=2&sort=id:asc", {
      "x-count": "2",
      "x-last": "28593168-52bb-43b5-a6db-fc2343aac02a",
    });
    expect(body.link).toBe(
      '<http://localhost:8041/gnocchi/v1/resource/generic?limit=2&marker=28593168-52bb-43b5-a6db-fc2343aac02a&sort=id%3Aasc>; rel="next"',
    );
  });

  it("quotes the history marker, repeats sorts, fills in the default limit", async () => {
    const { body } = await get(
      "/v1/resource/generic?history=true&marker=1e3d5702-2cbf-46e0-ba13-0ddaa3c71150@2&sort=id:asc&sort=ended_at:asc-nullsfirst",
      { "x-count": "7", "x-last": "9b6af245-57df-4ed6-a8c0-f64b77d8867f@-1" },
    );
    expect(body.link).toBe(
      '<http://localhost:8041/gnocchi/v1/resource/generic?history=true&limit=7&marker=9b6af245-57df-4ed6-a8c0-f64b77d8867f%40-1&sort=id%3Aasc&sort=ended_at%3Aasc-nullsfirst>; rel="next"',
    );
  });

  it("writes the default sort and keeps the path as sent", async () => {
    const { body } = await get(
      "/v1/resource/generic/75C44741-CC60-4033-804E-2D3098C7D2E9/history?limit=1&attrs=id&attrs=type&q=a%20b%2Fc",
      { "x-count": "1", "x-last": "75c44741-cc60-4033-804e-2d3098c7d2e9@1" },
    );
    expect(body.link).toBe(
      "<http://localhost:8041/gnocchi/v1/resource/generic/75C44741-CC60-4033-804E-2D3098C7D2E9/history" +
        "?attrs=id&attrs=type&limit=1&marker=75c44741-cc60-4033-804e-2d3098c7d2e9%401&q=a+b%2Fc" +
        '&sort=revision_start%3Aasc&sort=started_at%3Aasc>; rel="next"',
    );
  });

  it("follows proxy headers and the metric defaults", async () => {
    const { body } = await get(
      "/v1/metric?archive_policy_name=first_archive&sort=name:desc&limit=2",
      {
        "x-count": "2",
        "x-last": "m2",
        "x-forwarded-proto": "https",
        "x-forwarded-host": "example.org",
        "x-forwarded-prefix": "/api",
      },
    );
    expect(body.link).toBe(
      '<https://example.org/api/gnocchi/v1/metric?archive_policy_name=first_archive&limit=2&marker=m2&sort=name%3Adesc>; rel="next"',
    );
  });
});
