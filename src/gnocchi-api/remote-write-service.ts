/**
 * What the Prometheus remote-write routes need from the ingestion service
 * (src/remote-write, wired in by src/server.ts): the API layer does not
 * import it, it only knows this shape.
 */

export interface RemoteWriteCaller {
  /** Creator of the resources and metrics created (also scopes resource ids). */
  readonly creator: string;
  /** May create the `prometheus` resource type (policy "create resource type"). */
  readonly admin: boolean;
}

export interface RemoteWriteService {
  /**
   * Stores a snappy-compressed WriteRequest whole, durably, or nothing of it.
   * Refusals are errors with a numeric `status` (4xx: do not retry; 503:
   * retry, with `retryAfter` seconds) and, for Gnocchi's endpoint, an
   * optional JSON `description`.
   */
  write(body: Uint8Array, caller: RemoteWriteCaller): Promise<unknown>;
}

/** A refusal thrown by {@link RemoteWriteService.write}. */
export interface RemoteWriteRefusal {
  readonly status: number;
  readonly message: string;
  readonly retryAfter?: number;
  readonly description?: { readonly cause: string; readonly [key: string]: unknown };
}

/** Whether `error` is a refusal (anything else is an internal error). */
export function isRemoteWriteRefusal(error: unknown): error is RemoteWriteRefusal {
  if (!(error instanceof Error)) return false;
  const status: unknown = (error as Error & { status?: unknown }).status;
  return typeof status === "number" && status >= 400 && status < 600;
}
