/**
 * Prometheus' API error reply, `{"status":"error","errorType":…,"error":…}`,
 * with its HTTP statuses (web/api/v1 returnAPIError): bad_data 400,
 * execution 422, timeout / canceled / unavailable 503, internal 500,
 * not_found 404. Errors of the layers below map onto it here: PromQL errors
 * by their type, anything carrying an HTTP `status` (401 from the
 * authentication, 503 when pending measures cannot be processed in time)
 * by that status.
 */
import { PromQLError } from "../errors.js";

export type ApiErrorType =
  | "bad_data"
  | "execution"
  | "timeout"
  | "canceled"
  | "internal"
  | "unavailable"
  | "not_found"
  | "unauthorized"
  | "forbidden";

const STATUS: Readonly<Record<ApiErrorType, number>> = {
  bad_data: 400,
  execution: 422,
  timeout: 503,
  canceled: 503,
  internal: 500,
  unavailable: 503,
  not_found: 404,
  unauthorized: 401,
  forbidden: 403,
};

const TYPE_OF_STATUS: Readonly<Record<number, ApiErrorType>> = {
  400: "bad_data",
  401: "unauthorized",
  403: "forbidden",
  404: "not_found",
  422: "execution",
  503: "unavailable",
};

export class PromApiError extends Error {
  override name = "PromApiError";
  constructor(
    readonly type: ApiErrorType,
    message: string,
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(message);
  }

  get status(): number {
    return STATUS[this.type];
  }
}

/** The API error an exception stands for, or undefined for an unexpected (internal) one. */
export function toApiError(error: unknown): PromApiError | undefined {
  if (error instanceof PromApiError) return error;
  if (error instanceof PromQLError) return new PromApiError(error.type, error.message);
  if (!(error instanceof Error)) return undefined;
  const e = error as Error & { status?: unknown; headers?: unknown };
  if (typeof e.status !== "number" || e.status < 400 || e.status > 599) return undefined;
  const type = TYPE_OF_STATUS[e.status] ?? (e.status >= 500 ? "internal" : "bad_data");
  const headers =
    typeof e.headers === "object" && e.headers !== null
      ? (e.headers as Record<string, string>)
      : {};
  return new PromApiError(
    type,
    e.message || (type === "unauthorized" ? "unauthorized" : type),
    headers,
  );
}

/** The reply of an API error. */
export function errorReply(error: PromApiError): Response {
  return new Response(
    JSON.stringify({ status: "error", errorType: error.type, error: error.message }),
    {
      status: error.status,
      headers: { "Content-Type": "application/json", ...error.headers },
    },
  );
}

/** `data` already serialized (large query results are written as JSON bytes directly). */
export class JsonText {
  constructor(readonly bytes: Buffer) {}
}

const SUCCESS_OPEN = Buffer.from('{"status":"success","data":');
const SUCCESS_CLOSE = Buffer.from("}");

/** The reply of a successful call. */
export function successReply(data: unknown): Response {
  const body =
    data instanceof JsonText
      ? Buffer.concat([SUCCESS_OPEN, data.bytes, SUCCESS_CLOSE])
      : JSON.stringify({ status: "success", data });
  return new Response(body, {
    status: 200,
    headers: { "Content-Type": "application/json" },
  });
}
