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

// --- Search filters and pagination (spec rest §9, §11) --------------------------

/**
 * 400 schema error of a search filter (spec rest §0.2): the REST body is the
 * JSON `description` `{"cause": "Invalid input", "reason", "detail"}`.
 */
export class InvalidSearchInputError extends IndexerError {
  override name = "InvalidSearchInputError";
  readonly description: {
    readonly cause: "Invalid input";
    readonly reason: string;
    readonly detail: readonly string[];
  };
  constructor(reason: string, detail: readonly string[]) {
    super(`Invalid input: ${reason}`);
    this.description = { cause: "Invalid input", reason, detail };
  }
}

/** 400 `Invalid filter: Expected ...` (string form that does not parse, spec rest §9.2). */
export class InvalidFilterError extends IndexerError {
  override name = "InvalidFilterError";
  constructor(readonly reason: string) {
    super(`Invalid filter: ${reason}`);
  }
}

/** 400 `Unable to parse this query` (e.g. an empty filter nested in `and`/`not`). */
export class QueryError extends IndexerError {
  override name = "QueryError";
  constructor(message = "Unable to parse this query") {
    super(message);
  }
}

/** 400 ``Invalid value: `<v>' for field `<f>'``. */
export class QueryValueError extends QueryError {
  override name = "QueryValueError";
  constructor(
    readonly value: string,
    readonly field: string,
  ) {
    super(`Invalid value: \`${value}' for field \`${field}'`);
  }
}

/** 400 `Resource type <t> has no <attr> attribute` (unknown attribute in a filter). */
export class QueryAttributeError extends QueryError {
  override name = "QueryAttributeError";
  constructor(
    readonly resourceType: string,
    readonly attribute: string,
  ) {
    super(`Resource type ${resourceType} has no ${attribute} attribute`);
  }
}

/** 400 ``Invalid pagination: `<reason>'`` (bad sort key or direction, unknown marker). */
export class InvalidPaginationError extends IndexerError {
  override name = "InvalidPaginationError";
  constructor(readonly reason: string) {
    super(`Invalid pagination: \`${reason}'`);
  }
}

/** 400 `{"cause": "Argument value error", "reason": ...}` (bad `limit`). */
export class ArgumentValueError extends IndexerError {
  override name = "ArgumentValueError";
  readonly description: { readonly cause: "Argument value error"; readonly reason: string };
  constructor(readonly reason: string) {
    super(`Argument value error: ${reason}`);
    this.description = { cause: "Argument value error", reason };
  }
}

// --- Metric labels -------------------------------------------------------------

/** A label matcher that cannot be used (bad operator, regex that does not compile). */
export class InvalidLabelMatcherError extends IndexerError {
  override name = "InvalidLabelMatcherError";
}

/** A label set that cannot be stored (empty name, duplicate name, pair over 2 kB). */
export class InvalidLabelSetError extends IndexerError {
  override name = "InvalidLabelSetError";
}

// --- Input validation shared by resource types, resources and metrics ----------

/**
 * 400 invalid input, in voluptuous' words: `reason` is the message
 * (`length of value must be at most 5`, `expected str`, `extra keys not
 * allowed`...), `path` the JSON path of the offending element (list indexes
 * as strings), as in the REST description `{"cause": "Invalid input",
 * "reason", "detail": path}`. `message` is the string form
 * `Invalid input: <reason> for dictionary value @ data['a']['b']`.
 */
export class InvalidInputError extends IndexerError {
  override name = "InvalidInputError";
  readonly description: {
    readonly cause: string;
    readonly reason: string;
    readonly detail: readonly string[];
  };
  constructor(
    readonly reason: string,
    readonly path: readonly string[] = [],
  ) {
    const where =
      path.length === 0
        ? ""
        : ` for dictionary value @ data${path.map((p) => `['${p}']`).join("")}`;
    super(`Invalid input: ${reason}${where}`);
    this.description = { cause: "Invalid input", reason, detail: path };
  }
}

// --- Resource types (spec rest §7) ----------------------------------------------

/** 404 `Resource type <name> does not exist` (400 where a body names an unknown type). */
export class NoSuchResourceTypeError extends IndexerError {
  override name = "NoSuchResourceTypeError";
  constructor(readonly resourceTypeName: string) {
    super(`Resource type ${resourceTypeName} does not exist`);
  }
}

/** 409 `Resource type <name> already exists`. */
export class ResourceTypeAlreadyExistsError extends IndexerError {
  override name = "ResourceTypeAlreadyExistsError";
  constructor(readonly resourceTypeName: string) {
    super(`Resource type ${resourceTypeName} already exists`);
  }
}

/** 400 `Resource type <name> is still in use` (resources of the type exist; always for generic). */
export class ResourceTypeInUseError extends IndexerError {
  override name = "ResourceTypeInUseError";
  constructor(readonly resourceTypeName: string) {
    super(`Resource type ${resourceTypeName} is still in use`);
  }
}

/**
 * 400 `Invalid input: <reason>` for an attribute schema Gnocchi's
 * `InvalidResourceAttribute*` refuses: a bad name, min > max, a bad `fill`.
 * `reason` is the text without the `Invalid input: ` prefix.
 */
export class InvalidResourceAttributeError extends IndexerError {
  override name = "InvalidResourceAttributeError";
  constructor(readonly reason: string) {
    super(`Invalid input: ${reason}`);
  }
}

/** 400 with python-jsonpatch's message (`can't remove a non-existent object 'what'`). */
export class JsonPatchError extends IndexerError {
  override name = "JsonPatchError";
}

// --- Resources (spec rest §8) ------------------------------------------------------

/** 404 `Resource <id> does not exist`. */
export class NoSuchResourceError extends IndexerError {
  override name = "NoSuchResourceError";
  constructor(readonly resourceId: string) {
    super(`Resource ${resourceId} does not exist`);
  }
}

/**
 * 409 `Resource <uuid> already exists` (REST string form); the ingest
 * adapters answer the JSON `description` instead.
 */
export class ResourceAlreadyExistsError extends IndexerError {
  override name = "ResourceAlreadyExistsError";
  readonly description: { readonly cause: string; readonly detail: string };
  constructor(readonly resourceId: string) {
    super(`Resource ${resourceId} already exists`);
    this.description = { cause: "Resource already exists", detail: resourceId };
  }
}

/** 400 `Start timestamp cannot be after end timestamp`. */
export class ResourceTimestampsError extends IndexerError {
  override name = "ResourceTimestampsError";
  constructor() {
    super("Start timestamp cannot be after end timestamp");
  }
}

// --- Metrics (spec rest §5) ----------------------------------------------------------

/** 404 `Metric <id or name> does not exist` (400 for a metric given by id in a resource body). */
export class NoSuchMetricError extends IndexerError {
  override name = "NoSuchMetricError";
  constructor(readonly metric: string) {
    super(`Metric ${metric} does not exist`);
  }
}

/**
 * A metric name already used on the resource: 409 `Named metric <name>
 * already exists` (resource metric endpoints), or 400 with the JSON
 * `description` on `POST /v1/metric`.
 */
export class NamedMetricAlreadyExistsError extends IndexerError {
  override name = "NamedMetricAlreadyExistsError";
  readonly description: { readonly cause: string; readonly detail: string };
  constructor(readonly metricName: string) {
    super(`Named metric ${metricName} already exists`);
    this.description = { cause: "Named metric already exists", detail: metricName };
  }
}

/** 400 `'/' is not supported in metric name`. */
export class InvalidMetricNameError extends IndexerError {
  override name = "InvalidMetricNameError";
  constructor(readonly metricName: string) {
    super("'/' is not supported in metric name");
  }
}

/**
 * 400 `{"cause": "Attribute value error", "detail": "name", "reason": "Name
 * cannot be null if resource_id is not null"}` (the JSON `description`).
 */
export class MetricNameRequiredError extends IndexerError {
  override name = "MetricNameRequiredError";
  readonly description = {
    cause: "Attribute value error",
    detail: "name",
    reason: "Name cannot be null if resource_id is not null",
  } as const;
  constructor() {
    super("Name cannot be null if resource_id is not null");
  }
}

/**
 * 400 `{"cause": "Unknown resources", "detail": [{"resource_id",
 * "original_resource_id"}, ...]}` (batch measures with create_metrics on
 * resources that do not exist).
 */
export class UnknownResourcesError extends IndexerError {
  override name = "UnknownResourcesError";
  readonly description: {
    readonly cause: string;
    readonly detail: readonly { resource_id: string; original_resource_id: string }[];
  };
  constructor(resources: readonly { resourceId: string; originalResourceId: string }[]) {
    super(`Unknown resources: ${resources.map((r) => r.resourceId).join(", ")}`);
    this.description = {
      cause: "Unknown resources",
      detail: resources.map((r) => ({
        resource_id: r.resourceId,
        original_resource_id: r.originalResourceId,
      })),
    };
  }
}
