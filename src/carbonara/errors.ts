/**
 * Errors the engine raises on bad input. Each carries the exact text Gnocchi
 * users see, so the API layer maps the class to a status code and passes the
 * message through unchanged.
 */
export class CarbonaraError extends Error {
  override name = "CarbonaraError";
}

/** A timestamp that cannot be parsed or lies before the epoch (spec rest §0.5). */
export class InvalidTimestampError extends CarbonaraError {
  override name = "InvalidTimestampError";
}

/** A timespan that cannot be parsed or is not positive where it must be (spec rest §0.6). */
export class InvalidTimespanError extends CarbonaraError {
  override name = "InvalidTimespanError";
}

/** An archive policy definition or method list that breaks the rules of spec rest §3.2. */
export class InvalidArchivePolicyError extends CarbonaraError {
  override name = "InvalidArchivePolicyError";
}

/** A PATCH of an archive policy that adds, drops or moves a granularity (spec rest §3.4). */
export class UnsupportedArchivePolicyChangeError extends CarbonaraError {
  override name = "UnsupportedArchivePolicyChangeError";
  constructor(
    readonly policyName: string,
    readonly reason: string,
  ) {
    super(`Archive policy ${policyName} does not support change: ${reason}`);
  }
}

/** No archive policy rule matches a metric created without a policy name (spec rest §4). */
export class NoArchivePolicyRuleMatchError extends CarbonaraError {
  override name = "NoArchivePolicyRuleMatchError";
  constructor(readonly metricName: string | null) {
    // Python formats a missing name as `None`.
    super(
      "No archive policy name specified and no archive policy rule found matching " +
        `the metric name ${metricName ?? "None"}`,
    );
  }
}

/** An aggregation method name that is not one of the valid methods (spec carbonara §2.3). */
export class UnknownAggregationMethodError extends CarbonaraError {
  override name = "UnknownAggregationMethodError";
  constructor(readonly method: string) {
    super(`Unknown aggregation method '${method}'`);
  }
}

/** A stored split or raw buffer whose bytes do not decode (bad version, length or checksum). */
export class CorruptDataError extends CarbonaraError {
  override name = "CorruptDataError";
}

/** The JSON description Gnocchi puts in a 400 body: `{"cause", "reason"?, "detail"?}`. */
export interface ErrorDescription {
  readonly cause: string;
  readonly reason?: string;
  readonly detail?: unknown;
}

/**
 * A cross-series operation that cannot be computed (spec carbonara §9): no
 * overlap, operands with different times, rolling window too long. REST: 400
 * with `description` (cause "Metrics can't being aggregated"); `detail` holds
 * the `[ref, method]` pairs of the series involved.
 */
export class UnaggregableTimeseriesError extends CarbonaraError {
  override name = "UnaggregableTimeseriesError";
  constructor(
    readonly reason: string,
    readonly detail: unknown = [],
  ) {
    super(reason);
  }

  get description(): ErrorDescription {
    return { cause: "Metrics can't being aggregated", reason: this.reason, detail: this.detail };
  }
}

/**
 * A syntactically or semantically invalid `/v1/aggregates` operation tree
 * (spec rest §10.1, §10.2). REST: 400 with `description` as is. Causes:
 * "Invalid input" (schema, detail `["operations"]`), "Invalid operations"
 * (S-expression that does not parse, detail = parser message), "Operations is
 * invalid" (no `metric` node, detail = the operations).
 */
export class InvalidOperationError extends CarbonaraError {
  override name = "InvalidOperationError";
  readonly description: ErrorDescription;
  constructor(reason: string, cause = "Invalid input", detail: unknown = ["operations"]) {
    super(cause === "Invalid input" ? `Invalid input: ${reason}` : reason);
    this.description = { cause, reason, detail };
  }
}

/** A read-time resample that cannot be done, e.g. `rate:` methods by calendar grouping (spec §5.1, §8.2). */
export class UnsupportedResampleError extends CarbonaraError {
  override name = "UnsupportedResampleError";
}
