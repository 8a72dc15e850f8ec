/**
 * A client of the Prometheus HTTP API (`/api/v1/query`, `/api/v1/query_range`)
 * that works against a real Prometheus and against gnocchi-ts alike, and
 * the remote-write POST both accept.
 */

/** HTTP Basic `admin` with an empty password: gnocchi-ts' administrator (Prometheus ignores it). */
export const ADMIN_AUTH = "basic YWRtaW46";

export interface ApiAnswer {
  readonly httpStatus: number;
  readonly status: "success" | "error";
  readonly errorType?: string;
  readonly error?: string;
  readonly data?: { resultType: string; result: unknown };
}

/** POSTs the form `params` to `<base>/api/v1/<endpoint>`. */
export async function promApi(
  base: string,
  endpoint: "query" | "query_range",
  params: Record<string, string>,
): Promise<ApiAnswer> {
  const res = await fetch(`${base}/api/v1/${endpoint}`, {
    method: "POST",
    headers: {
      authorization: ADMIN_AUTH,
      "content-type": "application/x-www-form-urlencoded",
    },
    body: new URLSearchParams(params).toString(),
  });
  const text = await res.text();
  try {
    return { httpStatus: res.status, ...(JSON.parse(text) as Omit<ApiAnswer, "httpStatus">) };
  } catch {
    return { httpStatus: res.status, status: "error", errorType: "not_json", error: text };
  }
}

/** POSTs a snappy-compressed WriteRequest to `<base>/api/v1/write` as Prometheus does. */
export async function remoteWrite(base: string, body: Uint8Array): Promise<Response> {
  return fetch(`${base}/api/v1/write`, {
    method: "POST",
    headers: {
      authorization: ADMIN_AUTH,
      "content-type": "application/x-protobuf",
      "content-encoding": "snappy",
      "x-prometheus-remote-write-version": "0.1.0",
    },
    body,
  });
}
