/**
 * Domain errors (Carbonara, indexer) to HTTP errors: the status each class
 * means, with the error's own text (or its JSON `description`) as the body.
 * Routes where the same error means another status catch it themselves.
 */
import {
  CarbonaraError,
  InvalidArchivePolicyError,
  InvalidTimespanError,
  InvalidTimestampError,
  UnknownAggregationMethodError,
  UnsupportedArchivePolicyChangeError,
} from "../carbonara/errors.js";
import {
  ArchivePolicyAlreadyExistsError,
  ArchivePolicyInUseError,
  ArchivePolicyRuleAlreadyExistsError,
  ArchivePolicyRuleTargetMissingError,
  ArgumentValueError,
  InvalidFilterError,
  InvalidInputError,
  InvalidMetricNameError,
  InvalidPaginationError,
  InvalidResourceAttributeError,
  InvalidSearchInputError,
  JsonPatchError,
  NoSuchArchivePolicyError,
  NoSuchArchivePolicyRuleError,
  NoSuchResourceError,
  NoSuchResourceTypeError,
  QueryError,
  ResourceTimestampsError,
  ResourceTypeAlreadyExistsError,
  ResourceTypeInUseError,
  UnsupportedArchivePolicyRuleChangeError,
} from "../indexer/errors.js";
import { type ErrorDetail, HttpError } from "./errors.js";
import { ReportGenerationError } from "./status.js";
import { voluptuousReason } from "./validation.js";

type ErrorClass = abstract new (...args: never[]) => Error;

/** Most specific first: the first class the error is an instance of decides. */
const STATUS_BY_CLASS: readonly (readonly [ErrorClass, number])[] = [
  [InvalidArchivePolicyError, 400],
  [UnsupportedArchivePolicyChangeError, 400],
  [UnknownAggregationMethodError, 400],
  [InvalidTimespanError, 400],
  [InvalidTimestampError, 400],
  [ArchivePolicyInUseError, 400],
  [ArchivePolicyRuleTargetMissingError, 400],
  [UnsupportedArchivePolicyRuleChangeError, 400],
  [InvalidPaginationError, 400],
  [ArgumentValueError, 400],
  [InvalidResourceAttributeError, 400],
  [JsonPatchError, 400],
  [InvalidSearchInputError, 400],
  [InvalidFilterError, 400],
  [QueryError, 400],
  [ResourceTypeInUseError, 400],
  [ResourceTimestampsError, 400],
  [InvalidMetricNameError, 400],
  [NoSuchResourceTypeError, 404],
  [NoSuchResourceError, 404],
  [ResourceTypeAlreadyExistsError, 409],
  [NoSuchArchivePolicyError, 404],
  [NoSuchArchivePolicyRuleError, 404],
  [ArchivePolicyAlreadyExistsError, 409],
  [ArchivePolicyRuleAlreadyExistsError, 409],
  [ReportGenerationError, 503],
  [CarbonaraError, 400],
];

function detailOf(error: Error): ErrorDetail {
  const description = (error as { description?: unknown }).description;
  if (typeof description === "object" && description !== null && "cause" in description) {
    return description as ErrorDetail;
  }
  return error.message;
}

/** The HTTP error a thrown value stands for, or undefined (an internal error: 500). */
export function toHttpError(error: unknown): HttpError | undefined {
  if (error instanceof HttpError) return error;
  if (!(error instanceof Error)) return undefined;
  if (error instanceof InvalidInputError) {
    // The indexer gives the bare reason and path; the body carries voluptuous's full text.
    const { reason, detail } = error.description;
    return new HttpError(400, {
      cause: "Invalid input",
      reason: voluptuousReason(reason, detail),
      detail: [...detail],
    });
  }
  for (const [cls, status] of STATUS_BY_CLASS) {
    if (error instanceof cls) return new HttpError(status, detailOf(error));
  }
  return undefined;
}
