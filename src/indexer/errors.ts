/**
 * Errors the indexer raises. Each message is Gnocchi's own text (spec rest
 * §0.9, §3, §4), so the API layer maps the class to a status code and passes
 * the message (or the class's JSON description fields) through unchanged.
 * `UnsupportedArchivePolicyChangeError` and `NoArchivePolicyRuleMatchError`
 * are Carbonara's (src/carbonara/errors.ts); the indexer throws those.
 */

export class IndexerError extends Error {
  override name = "IndexerError";
}

// --- Resource ids (spec rest §0.9) -------------------------------------------

/** A client-supplied resource id that cannot become a UUID (400 in bodies, 404 in paths). */
export class InvalidResourceIdError extends IndexerError {
  override name = "InvalidResourceIdError";
  constructor(
    readonly value: string,
    reason: string,
  ) {
    super(reason);
  }
}

// --- Archive policies (spec rest §3) -------------------------------------------

/** 404 `Archive policy <name> does not exist` (400 where a body names an unknown policy). */
export class NoSuchArchivePolicyError extends IndexerError {
  override name = "NoSuchArchivePolicyError";
  constructor(readonly archivePolicyName: string) {
    super(`Archive policy ${archivePolicyName} does not exist`);
  }
}

/** 409 `Archive policy <name> already exists`. */
export class ArchivePolicyAlreadyExistsError extends IndexerError {
  override name = "ArchivePolicyAlreadyExistsError";
  constructor(readonly archivePolicyName: string) {
    super(`Archive policy ${archivePolicyName} already exists`);
  }
}

/** 400 `Archive policy <name> is still in use` (a rule or a metric, even one awaiting expunge). */
export class ArchivePolicyInUseError extends IndexerError {
  override name = "ArchivePolicyInUseError";
  constructor(readonly archivePolicyName: string) {
    super(`Archive policy ${archivePolicyName} is still in use`);
  }
}

// --- Archive policy rules (spec rest §4) ---------------------------------------

/** 404 `Archive policy rule <name> does not exist`. */
export class NoSuchArchivePolicyRuleError extends IndexerError {
  override name = "NoSuchArchivePolicyRuleError";
  constructor(readonly ruleName: string) {
    super(`Archive policy rule ${ruleName} does not exist`);
  }
}

/** 409 `Archive policy rule <name> already exists`. */
export class ArchivePolicyRuleAlreadyExistsError extends IndexerError {
  override name = "ArchivePolicyRuleAlreadyExistsError";
  constructor(readonly ruleName: string) {
    super(`Archive policy rule ${ruleName} already exists`);
  }
}

/**
 * 400 on rule creation naming an unknown policy. The REST body is the JSON
 * description `{"cause": "Archive policy does not exist", "detail": "<name>"}`,
 * exposed as `description`.
 */
export class ArchivePolicyRuleTargetMissingError extends IndexerError {
  override name = "ArchivePolicyRuleTargetMissingError";
  readonly description: { readonly cause: string; readonly detail: string };
  constructor(readonly archivePolicyName: string) {
    super(`Archive policy ${archivePolicyName} does not exist`);
    this.description = { cause: "Archive policy does not exist", detail: archivePolicyName };
  }
}

/**
 * 400 `Archive policy rule <old> does not support change: Archive policy rule
 * <new> already exists.` (renaming onto a taken name).
 */
export class UnsupportedArchivePolicyRuleChangeError extends IndexerError {
  override name = "UnsupportedArchivePolicyRuleChangeError";
  constructor(
    readonly ruleName: string,
    readonly reason: string,
  ) {
    super(`Archive policy rule ${ruleName} does not support change: ${reason}`);
  }
}
