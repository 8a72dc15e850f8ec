/**
 * What can go wrong with a remote-write request, as the status Prometheus
 * needs to see: 4xx means "never retry this request" (remote-write 1.0
 * spec), 5xx "retry later", so only conditions that can heal get a 5xx. The
 * HTTP layer renders `status`, `message` and, on Gnocchi's endpoint,
 * `description` (Gnocchi's JSON error detail) without knowing these classes.
 */

export class RemoteWriteError extends Error {
  override name = "RemoteWriteError";
  constructor(
    readonly status: number,
    message: string,
    /** Gnocchi's error description when it is not just the message. */
    readonly description?: { readonly cause: string; readonly [key: string]: unknown },
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** The request itself is bad (undecodable body, invalid series or samples): 400. */
export class InvalidWriteError extends RemoteWriteError {
  override name = "InvalidWriteError";
  constructor(message: string, description?: RemoteWriteError["description"]) {
    super(400, message, description);
  }
}

/** The body is larger than allowed once decompressed: 413. */
export class WriteTooLargeError extends RemoteWriteError {
  override name = "WriteTooLargeError";
  constructor(message: string) {
    super(413, message);
  }
}

/**
 * Retryable: storage or indexer unavailable, or too many writes in flight:
 * 503 with `Retry-After` (Prometheus backs off and sends the same data again).
 */
export class WriteUnavailableError extends RemoteWriteError {
  override name = "WriteUnavailableError";
  constructor(
    message: string,
    /** Seconds, for `Retry-After`. */
    readonly retryAfter = 1,
    options?: ErrorOptions,
  ) {
    super(503, message, undefined, options);
  }
}
