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

/** A cross-series operation that cannot be computed (spec carbonara §9): no overlap, bad operands. */
export class UnaggregableTimeseriesError extends CarbonaraError {
  override name = "UnaggregableTimeseriesError";
}

/** A syntactically or semantically invalid `/v1/aggregates` operation tree. */
export class InvalidOperationError extends CarbonaraError {
  override name = "InvalidOperationError";
}
