/**
 * HTTP errors and their bodies (spec rest §0.4). Handlers throw
 * {@link HttpError}; the app's error handler renders it as
 * `{"code", "title", "description"}` JSON when the client prefers JSON, else
 * as WebOb's plain text: status line, generic explanation, description.
 */
import type { Context } from "hono";
import { pythonJson } from "./json.js";
import { prefersJsonErrors } from "./negotiation.js";

/** A string, or Gnocchi's JSON description `{"cause", "reason"?, "detail"?}`. */
export type ErrorDetail = string | { readonly cause: string; readonly [key: string]: unknown };

export const STATUS_TITLES: Readonly<Record<number, string>> = {
  400: "Bad Request",
  401: "Unauthorized",
  403: "Forbidden",
  404: "Not Found",
  405: "Method Not Allowed",
  406: "Not Acceptable",
  409: "Conflict",
  412: "Precondition Failed",
  413: "Request Entity Too Large",
  415: "Unsupported Media Type",
  500: "Internal Server Error",
  501: "Not Implemented",
  503: "Service Unavailable",
};

/** WebOb's generic sentence per status; `{method}`, `{accept}`, `{type}` come from the request. */
const EXPLANATIONS: Readonly<Record<number, string>> = {
  400: "The server could not comply with the request since it is either malformed or otherwise incorrect.",
  401:
    "This server could not verify that you are authorized to access the document you requested. " +
    "Either you supplied the wrong credentials (e.g., bad password), or your browser does not " +
    "understand how to supply the credentials required.",
  403: "Access was denied to this resource.",
  404: "The resource could not be found.",
  405: "The method {method} is not allowed for this resource.",
  406: "The resource could not be generated that was acceptable to your browser (content of type {accept}.",
  409: "There was a conflict when trying to complete your request.",
  412: "Request precondition failed.",
  413: "The request is larger than the server is willing or able to process.",
  415: "The request media type {type} is not supported by this server.",
  500: "The server has either erred or is incapable of performing the requested operation.",
  501: "The server has not implemented the requested operation.",
  503: "The server is currently unavailable. Please try again at a later time.",
};

export class HttpError extends Error {
  override name = "HttpError";
  constructor(
    readonly status: number,
    readonly detail?: ErrorDetail,
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(typeof detail === "string" ? detail : (detail?.cause ?? STATUS_TITLES[status] ?? ""));
  }
}

export const badRequest = (detail?: ErrorDetail) => new HttpError(400, detail);
export const unauthorized = () => new HttpError(401);
export const forbidden = (detail?: ErrorDetail) => new HttpError(403, detail);
export const notFound = (detail?: ErrorDetail) => new HttpError(404, detail);
export const conflict = (detail?: ErrorDetail) => new HttpError(409, detail);
export const unsupportedMediaType = () => new HttpError(415);
export const notAcceptable = () => new HttpError(406);
export const methodNotAllowed = (allowed: readonly string[]) =>
  new HttpError(405, undefined, { Allow: allowed.join(", ") });

function explanation(c: Context, status: number): string {
  const template = EXPLANATIONS[status] ?? STATUS_TITLES[status] ?? "";
  return template
    .replace("{method}", c.req.method)
    .replace("{accept}", c.req.header("accept") ?? "")
    .replace("{type}", c.req.header("content-type") ?? "");
}

/** The error response for `error`, negotiated on the request's `Accept`. */
export function errorResponse(c: Context, error: HttpError): Response {
  const { status, detail } = error;
  const title = STATUS_TITLES[status] ?? "Error";
  const headers = new Headers(error.headers);
  let body: string;
  if (prefersJsonErrors(c.req.header("accept"))) {
    headers.set("Content-Type", "application/json");
    body = pythonJson({ code: status, title, description: detail ?? explanation(c, status) });
  } else {
    headers.set("Content-Type", "text/plain; charset=UTF-8");
    const text =
      detail === undefined ? "" : typeof detail === "string" ? detail : pythonJson(detail);
    body = `${status} ${title}\n\n${explanation(c, status)}\n\n${text}\n\n`;
  }
  return new Response(c.req.method === "HEAD" ? null : body, { status, headers });
}
