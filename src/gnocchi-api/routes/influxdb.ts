/**
 * `/v1/influxdb` (spec ingest-adapters §c): InfluxDB 1.x's `ping`, `query`
 * (`CREATE DATABASE` only, creating a resource type) and `write` (line
 * protocol, mapped to resources and metrics by src/influxdb). A write is
 * parsed whole before anything is created, and its measures are stored in one
 * durable append: all of the request or none of it.
 */
import { isUtf8 } from "node:buffer";
import { promisify } from "node:util";
import { gunzip } from "node:zlib";
import { type Context, Hono } from "hono";
import {
  InvalidInputError,
  InvalidResourceIdError,
  NoSuchResourceError,
  NoSuchResourceTypeError,
  ResourceAlreadyExistsError,
  ResourceTypeAlreadyExistsError,
} from "../../indexer/errors.js";
import { resourceToJSON } from "../../indexer/resource-row.js";
import { preciseNowMicros } from "../../indexer/resource-store.js";
import { createResourceType } from "../../indexer/resource-type-store.js";
import { LineProtocolError, parsePrecision } from "../../influxdb/line-protocol.js";
import {
  DEFAULT_RESOURCE_TAG,
  groupLines,
  MissingResourceTagError,
} from "../../influxdb/measures.js";
import { parseCreateDatabase } from "../../influxdb/query.js";
import { type WriteAccess, writeMeasures } from "../../influxdb/write.js";
import { type Credentials, getCredentials } from "../auth.js";
import { mediaType } from "../body.js";
import type { AppEnv } from "../context.js";
import { badRequest, conflict, errorResponse, forbidden, HttpError, notFound } from "../errors.js";
import { enforce, isAllowed } from "../policy.js";
import { noContent } from "../responses.js";

export const influxdbRoutes = new Hono<AppEnv>({ strict: false });

const RESOURCE_TAG_HEADER = "X-Gnocchi-InfluxDB-Tag-Resource-ID";
const gunzipAsync = promisify(gunzip);

/** The HTTP error of a failure specific to this API, or undefined (the app's mapping applies). */
function influxHttpError(error: unknown): HttpError | undefined {
  if (error instanceof LineProtocolError) {
    return badRequest({
      cause: "Value error",
      detail: "line",
      reason: error.message,
      position: `column ${error.column}: ${error.problem}`,
    });
  }
  if (error instanceof MissingResourceTagError) {
    return badRequest({ cause: "Value error", detail: "key", reason: error.message });
  }
  if (error instanceof ResourceAlreadyExistsError) return conflict(error.description);
  if (error instanceof NoSuchResourceTypeError) return notFound(error.message);
  if (error instanceof NoSuchResourceError) return notFound(error.message);
  if (error instanceof InvalidResourceIdError) return badRequest(error.message);
  if (error instanceof InvalidInputError) return badRequest(error.description);
  return undefined;
}

async function mapErrors<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    throw influxHttpError(error) ?? error;
  }
}

// No identity needed (spec rest §1.3); HEAD is answered by this GET handler.
influxdbRoutes.get(
  "/ping",
  (c) =>
    new Response(null, {
      status: 204,
      headers: { "X-Influxdb-Version": `Gnocchi ${c.var.deps.version}` },
    }),
);

/** `q` from the query string, or from a form body as InfluxDB 1.x also accepts. */
async function queryParameter(c: Context<AppEnv>): Promise<string | undefined> {
  const q = c.req.query("q");
  if (q !== undefined) return q;
  if (mediaType(c.req.header("content-type")) !== "application/x-www-form-urlencoded") return;
  const form = new URLSearchParams(await c.req.text());
  return form.get("q") ?? undefined;
}

influxdbRoutes.post("/query", async (c) => {
  const q = await queryParameter(c);
  if (q === undefined) return noContent();
  const name = parseCreateDatabase(q);
  if (name === undefined) {
    // Answered, not thrown: an expected reply, not a server error to log.
    return errorResponse(
      c,
      new HttpError(501, {
        cause: "Not implemented error",
        detail: "q",
        reason: "Query not implemented",
      }),
    );
  }
  enforce(c, "create resource type", { name });
  await mapErrors(async () => {
    try {
      await createResourceType(c.var.deps.db, name, {});
    } catch (error) {
      if (!(error instanceof ResourceTypeAlreadyExistsError)) throw error;
    }
  });
  return noContent();
});

/** The body as text: gzip undone (Telegraf's default), UTF-8 checked line by line. */
async function bodyText(c: Context<AppEnv>): Promise<string> {
  let bytes = Buffer.from(await c.req.arrayBuffer());
  const encoding = (c.req.header("content-encoding") ?? "identity").trim().toLowerCase();
  if (encoding === "gzip") {
    try {
      bytes = await gunzipAsync(bytes, { maxOutputLength: c.var.deps.options.maxBodyBytes });
    } catch (error) {
      if ((error as { code?: string }).code === "ERR_BUFFER_TOO_LARGE") throw new HttpError(413);
      throw badRequest({ cause: "Unable to decode body", reason: "invalid gzip data" });
    }
  } else if (encoding !== "identity" && encoding !== "") {
    throw new HttpError(415);
  }
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    // Name the first line that is not UTF-8, as a parse failure of that line.
    let line = 1;
    let start = 0;
    for (;;) {
      const end = bytes.indexOf(0x0a, start);
      if (!isUtf8(bytes.subarray(start, end < 0 ? bytes.length : end)) || end < 0) {
        throw new LineProtocolError(line, 1, "invalid UTF-8");
      }
      start = end + 1;
      line++;
    }
  }
}

/** Access checks for a caller who is not allowed everything (Gnocchi's per-object rules). */
function accessFor(creds: Credentials): WriteAccess | undefined {
  // A rule that passes on an empty target passes on any target: no lookups needed.
  if (isAllowed(creds, "update resource") && isAllowed(creds, "post measures")) return undefined;
  return {
    checkResources(resources) {
      for (const r of resources) {
        if (!isAllowed(creds, "update resource", resourceToJSON(r))) throw forbidden();
      }
    },
    checkMetrics(metrics) {
      for (const m of metrics) {
        const target = { creator: m.creator, created_by_project_id: m.createdByProjectId };
        if (!isAllowed(creds, "post measures", target)) throw forbidden();
      }
    },
  };
}

influxdbRoutes.post("/write", async (c) => {
  const creds = getCredentials(c);
  const db = c.req.query("db") ?? "influxdb";
  const precisionParam = c.req.query("precision");
  const precision = precisionParam === undefined ? "ns" : parsePrecision(precisionParam);
  if (precision === undefined) {
    throw badRequest({
      cause: "Value error",
      detail: "precision",
      reason: `Unknown precision ${precisionParam}: use ns, u, ms, s, m or h`,
    });
  }
  const resourceTag = c.req.header(RESOURCE_TAG_HEADER) ?? DEFAULT_RESOURCE_TAG;
  await mapErrors(async () => {
    const text = await bodyText(c);
    const now = preciseNowMicros();
    const grouped = groupLines(text, precision, resourceTag, now);
    const access = accessFor(creds);
    await writeMeasures(c.var.deps.db, c.var.deps.storage.incoming, grouped, {
      creator: creds.user,
      resourceType: db,
      ...(access !== undefined ? { access } : {}),
    });
  });
  return noContent();
});
