/**
 * Errors the PromQL engine raises. `type` is Prometheus' `errorType` in its
 * HTTP error JSON (`{"status":"error","errorType":…,"error":…}`), so the API
 * layer maps the class straight onto the reply: bad_data → 400,
 * execution → 422, timeout / canceled → 503.
 */

export type PromQLErrorType = "bad_data" | "execution" | "timeout" | "canceled";

export class PromQLError extends Error {
  override name = "PromQLError";
  constructor(
    readonly type: PromQLErrorType,
    message: string,
  ) {
    super(message);
  }
}

/** A position range in the query text (UTF-16 offsets, end exclusive). */
export interface PositionRange {
  readonly start: number;
  readonly end: number;
}

/**
 * A lexing, parsing or type-checking error. The message reads like
 * Prometheus': `1:5: parse error: unclosed left parenthesis` (1-based line
 * and column of the offending position).
 */
export class ParseError extends PromQLError {
  override name = "ParseError";
  constructor(
    readonly detail: string,
    readonly position: PositionRange,
    readonly query: string,
  ) {
    super("bad_data", `${lineColumn(query, position.start)}: parse error: ${detail}`);
  }
}

/** Evaluation failed (duplicate series, many-to-many matching, too many samples, …). */
export class ExecutionError extends PromQLError {
  override name = "ExecutionError";
  constructor(message: string) {
    super("execution", message);
  }
}

/** The query ran past its deadline. */
export class QueryTimeoutError extends PromQLError {
  override name = "QueryTimeoutError";
  constructor(where = "expression evaluation") {
    super("timeout", `query timed out in ${where}`);
  }
}

/** The caller aborted the query (e.g. the HTTP client went away). */
export class QueryCanceledError extends PromQLError {
  override name = "QueryCanceledError";
  constructor(where = "expression evaluation") {
    super("canceled", `query was canceled in ${where}`);
  }
}

/** `line:column` of an offset, both 1-based. */
export function lineColumn(text: string, offset: number): string {
  let line = 1;
  let lineStart = 0;
  const end = Math.min(offset, text.length);
  for (let i = 0; i < end; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      lineStart = i + 1;
    }
  }
  return `${line}:${offset - lineStart + 1}`;
}
