/**
 * The Grafana JSON data source (mounted at `/grafana`): the protocol of the
 * simpod-json-datasource plugin (`GET /`, `POST /metrics`,
 * `/metric-payload-options`, `/query`, `/variable`, `/tag-keys`,
 * `/tag-values`) and of the older SimpleJSON one (`/search`, `/query`,
 * `/annotations`), over Gnocchi's model: a target is a metric name, with a
 * resource type, a resource search, an aggregation method, an optional
 * granularity and the resource attribute that names each series.
 *
 * Template variable queries (`/variable`, `/search`): `resource_types()`,
 * `metrics()`, `metrics(<type>)`, `resources(<type>, <attribute>[, <search>])`;
 * any other text lists the metric names containing it.
 * Annotations (`/annotations`): the query `<type>[: <search>]` marks when
 * the matching resources started and ended.
 *
 * Same identity and ACL as /v1. Errors: `{"error": {"code", "message"}, "message"}`.
 */
import { type Context, type Env, Hono } from "hono";
import type { z } from "zod";
import type { Credentials } from "../../indexer/acl.js";
import type { PromApiBinding } from "../http/routes.js";
import type { PromQLService } from "../http/service.js";
import { formatDuration } from "../parser/duration.js";
import { resourceEvents } from "./annotations.js";
import {
  attributeNames,
  attributeValues,
  GrafanaInputError,
  metricArchives,
  metricNames,
  resourceTypeNames,
} from "./model.js";
import {
  adhocFilters,
  annotationsBody,
  metricsBody,
  payloadOptionsBody,
  queryBody,
  rangeMicros,
  searchBody,
  tagValuesBody,
  targetQuery,
  variableBody,
} from "./request.js";
import { readTarget } from "./series.js";

function reply(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "Content-Type": "application/json" },
  });
}

function errorOf(
  error: unknown,
): { status: number; message: string; headers: Record<string, string> } | undefined {
  if (!(error instanceof Error)) return undefined;
  const e = error as Error & { status?: unknown; code?: unknown; headers?: unknown };
  if (typeof e.status === "number" && e.status >= 400 && e.status < 600) {
    const headers =
      typeof e.headers === "object" && e.headers !== null
        ? (e.headers as Record<string, string>)
        : {};
    return { status: e.status, message: e.message || "unauthorized", headers };
  }
  // Indexer refusals (unknown type or attribute, bad filter or value) are the caller's input.
  if (/^(NoSuch|Invalid|Query)/.test(e.name) || e.name === "ZodError")
    return { status: 400, message: e.message, headers: {} };
  return undefined;
}

async function body<S extends z.ZodType>(c: Context, schema: S): Promise<z.infer<S>> {
  let json: unknown = {};
  const text = await c.req.text();
  if (text.trim() !== "") {
    try {
      json = JSON.parse(text);
    } catch {
      throw new GrafanaInputError("the request body is not valid JSON");
    }
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new GrafanaInputError(
      `invalid request body: ${issue.path.join(".") || "body"}: ${issue.message}`,
    );
  }
  return parsed.data;
}

const options = (values: readonly string[]) => values.map((v) => ({ label: v, value: v }));

/** `resource_types()`, `metrics(type)`, `resources(type, attribute, search)`, or a metric-name substring. */
async function variableValues(
  service: PromQLService,
  creds: Credentials,
  query: string,
): Promise<string[]> {
  const m = /^\s*(\w+)\s*\((.*)\)\s*$/s.exec(query);
  const args = m === null ? [] : splitArgs(m[2]!);
  switch (m?.[1]) {
    case "resource_types":
      return resourceTypeNames(service.db);
    case "metrics":
      return metricNames(service.db, creds, args[0]);
    case "resources":
      if (args.length < 2)
        throw new GrafanaInputError("resources() needs a resource type and an attribute");
      return attributeValues(service.db, creds, args[1]!, args[0], args.slice(2).join(","));
    default: {
      const names = await metricNames(service.db, creds);
      return names.filter((n) => n.includes(query.trim()));
    }
  }
}

/** Arguments split on top-level commas, surrounding quotes removed. */
function splitArgs(text: string): string[] {
  if (text.trim() === "") return [];
  const out: string[] = [];
  let depth = 0;
  let quote = "";
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quote !== "") {
      if (ch === quote) quote = "";
    } else if (ch === "'" || ch === '"') quote = ch;
    else if (ch === "(") depth++;
    else if (ch === ")") depth--;
    else if (ch === "," && depth === 0) {
      out.push(text.slice(start, i));
      start = i + 1;
    }
  }
  out.push(text.slice(start));
  return out.map((a) => a.trim().replace(/^(['"])(.*)\1$/s, "$2"));
}

export function grafanaRoutes<E extends Env>(binding: PromApiBinding<E>): Hono<E> {
  const app = new Hono<E>({ strict: false });
  type Handler = (c: Context<E>, service: PromQLService, creds: Credentials) => Promise<unknown>;
  const post = (path: string, fn: Handler) =>
    app.post(path, async (c) => {
      try {
        const creds = binding.caller(c);
        return reply(200, await fn(c, binding.service(c), creds));
      } catch (error) {
        const e = errorOf(error);
        if (e === undefined) {
          binding.logError(c, error);
          return reply(500, {
            error: { code: 500, message: "internal error" },
            message: "internal error",
          });
        }
        const r = reply(e.status, {
          error: { code: e.status, message: e.message },
          message: e.message,
        });
        for (const [k, v] of Object.entries(e.headers)) r.headers.set(k, v);
        return r;
      }
    });

  app.get("/", (c) => {
    try {
      binding.caller(c);
    } catch (error) {
      const e = errorOf(error);
      if (e !== undefined)
        return reply(e.status, {
          error: { code: e.status, message: e.message },
          message: e.message,
        });
      throw error;
    }
    return reply(200, { status: "ok", datasource: "gnocchi-ts" });
  });

  post("/metrics", async (c, service, creds) => {
    const b = await body(c, metricsBody);
    const type = typeof b.payload?.resource_type === "string" ? b.payload.resource_type : undefined;
    const names = await metricNames(service.db, creds, type);
    const payloads = [
      {
        name: "resource_type",
        label: "Resource type",
        type: "select",
        reloadMetric: true,
        width: 20,
      },
      {
        name: "search",
        label: "Resource search",
        type: "input",
        placeholder: "host = 'compute1'",
        width: 40,
      },
      { name: "aggregation", label: "Aggregation", type: "select", width: 12 },
      { name: "granularity", label: "Granularity", type: "select", width: 12 },
      { name: "label", label: "Legend attribute", type: "select", width: 20 },
      {
        name: "format",
        label: "Format",
        type: "select",
        width: 12,
        options: options(["time_series", "table"]),
      },
    ];
    return names.map((n) => ({ label: n, value: n, payloads }));
  });

  post("/metric-payload-options", async (c, service) => {
    const b = await body(c, payloadOptionsBody);
    const type = typeof b.payload?.resource_type === "string" ? b.payload.resource_type : undefined;
    switch (b.name) {
      case "resource_type":
        return options(await resourceTypeNames(service.db));
      case "aggregation":
        return options((await metricArchives(service.db, b.metric ?? "")).methods);
      case "granularity": {
        const { granularities } = await metricArchives(service.db, b.metric ?? "");
        return [
          { label: "auto", value: "" },
          ...granularities.map((g) => ({
            label: formatDuration(g / 1000),
            value: String(g / 1e6),
          })),
        ];
      }
      case "label": {
        return options(await attributeNames(service.db, type));
      }
      case "format":
        return options(["time_series", "table"]);
      default:
        return [];
    }
  });

  const query: Handler = async (c, service, creds) => {
    const b = await body(c, queryBody);
    const from = rangeMicros(b.range.from);
    const to = rangeMicros(b.range.to);
    if (from === undefined || to === undefined) throw new GrafanaInputError("invalid range");
    const ctx = {
      db: service.db,
      reader: service.reader,
      creds,
      from,
      to,
      intervalMs: b.intervalMs ?? Math.max(1000, (to - from) / 1000 / 1000),
      ...(service.refreshTimeoutMs === undefined
        ? {}
        : { refreshTimeoutMs: service.refreshTimeoutMs }),
    };
    const adhoc = adhocFilters(b);
    const out: unknown[] = [];
    for (const t of b.targets) {
      if (t.hide === true) continue;
      const q = targetQuery(t);
      if (q.metric === "") continue;
      const r = await readTarget(ctx, q, adhoc);
      if (Array.isArray(r)) out.push(...r);
      else out.push(r);
    }
    return out;
  };
  post("/query", query);

  post("/variable", async (c, service, creds) => {
    const b = await body(c, variableBody);
    const text = typeof b.payload === "string" ? b.payload : (b.payload?.target ?? b.target ?? "");
    return (await variableValues(service, creds, text)).map((v) => ({ __text: v, __value: v }));
  });
  post("/search", async (c, service, creds) => {
    const b = await body(c, searchBody);
    return variableValues(service, creds, b.target ?? "");
  });
  post("/tag-keys", async (_c, service) =>
    (await attributeNames(service.db)).map((text) => ({ type: "string", text })),
  );
  post("/tag-values", async (c, service, creds) => {
    const b = await body(c, tagValuesBody);
    return (await attributeValues(service.db, creds, b.key)).map((text) => ({ text }));
  });
  post("/annotations", async (c, service, creds) => {
    const b = await body(c, annotationsBody);
    const from = rangeMicros(b.range.from);
    const to = rangeMicros(b.range.to);
    if (from === undefined || to === undefined) throw new GrafanaInputError("invalid range");
    const events = await resourceEvents(service.db, creds, b.annotation.query ?? "", from, to);
    return events.map((e) => ({ annotation: b.annotation, ...e }));
  });
  return app;
}
