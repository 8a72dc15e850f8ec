/**
 * The resources an aggregation by resource works on (spec rest §10.4,
 * §12.2): those of a type matching a search filter and the caller's
 * visibility filter, sorted by the `groupby` attributes (else Gnocchi's
 * default resource order), each with its active metrics and archive
 * policies: the resource listing of resource-list.ts (one page holding them
 * all), then one query for all their metrics.
 */
import { type AuthMode, resourceVisibility } from "../../indexer/acl.js";
import type { SqlExecutor } from "../../indexer/driver.js";
import {
  InvalidFilterError,
  InvalidPaginationError,
  InvalidSearchInputError,
} from "../../indexer/errors.js";
import { listMetrics, type MetricWithPolicy } from "../../indexer/metric-store.js";
import {
  parseSorts,
  RESOURCE_DEFAULT_SORT,
  RESOURCE_TIEBREAKERS,
} from "../../indexer/pagination.js";
import type { Resource } from "../../indexer/resource-row.js";
import type { ResourceType } from "../../indexer/resource-type-store.js";
import {
  parseJsonFilter,
  parseStringFilter,
  type SearchFilter,
} from "../../indexer/search-filter.js";
import { resourceColumns } from "../../indexer/search-sql.js";
import { fragment } from "../../indexer/sql-compose.js";
import type { SqlFragment } from "../../indexer/sql-fragment.js";
import type { Credentials as ApiCredentials } from "../auth.js";
import { badRequest } from "../errors.js";
import { resourceJson } from "../resource-json.js";
import { listResources } from "./resource-list.js";

export interface ResourceWithMetrics {
  readonly resource: Resource;
  /** Its active metrics (named ones), by id. */
  readonly metrics: readonly MetricWithPolicy[];
}

export interface ResourceQuery {
  readonly type: ResourceType;
  readonly filter: SearchFilter | null;
  /** The caller's visibility filter over alias `r` (acl.ts), if any. */
  readonly visibility?: SqlFragment | undefined;
  /** Attributes to sort by (groupby); empty: `revision_start, started_at`. The id always ends the order. */
  readonly sortKeys: readonly string[];
  /** Only the first `limit` resources (the deprecated endpoint's pagination default). */
  readonly limit?: number;
}

/**
 * The matching resources in order, with their metrics.
 * @throws InvalidPaginationError for an unknown sort key, QueryError for a
 *   filter the type cannot answer (each endpoint words these its own way).
 */
export async function listResourcesWithMetrics(
  db: SqlExecutor,
  query: ResourceQuery,
): Promise<ResourceWithMetrics[]> {
  const rt = query.type;
  // Group keys are attribute names: a `key:direction` sort spelling is no attribute.
  const odd = query.sortKeys.find((k) => k.includes(":"));
  if (odd !== undefined) throw new InvalidPaginationError(`Sort key supplied is invalid: ${odd}`);
  const sorts = parseSorts(
    query.sortKeys.length > 0 ? query.sortKeys : RESOURCE_DEFAULT_SORT,
    resourceColumns(rt),
    RESOURCE_TIEBREAKERS,
  );
  const resources = await listResources(db, {
    type: rt,
    filter: query.filter,
    visibility: query.visibility,
    details: false,
    history: false,
    page: { limit: query.limit ?? Number.MAX_SAFE_INTEGER, sorts, linkSorts: [] },
  });
  if (resources.length === 0) return [];
  const metrics = await listMetrics(
    db,
    {},
    { where: fragment("m.resource_id = ANY($1::uuid[])", [resources.map((r) => r.id)]) },
  );
  const byResource = new Map<string, MetricWithPolicy[]>();
  for (const m of metrics) {
    if (m.resourceId === null || m.name === null) continue;
    const list = byResource.get(m.resourceId);
    if (list === undefined) byResource.set(m.resourceId, [m]);
    else list.push(m);
  }
  return resources.map((resource) => ({ resource, metrics: byResource.get(resource.id) ?? [] }));
}

/**
 * A search filter as a body or a query string carries it (spec rest §9.1,
 * §9.2): a string is the string form, anything else the JSON form; `{}` is
 * null (match all). Non-UUID `id` values are derived with the caller's
 * creator string.
 * @throws HttpError 400 `Invalid filter: ...` or Invalid input
 */
export function parseResourceSearch(search: unknown, creator: string | null): SearchFilter | null {
  try {
    return typeof search === "string"
      ? parseStringFilter(search, { creator })
      : parseJsonFilter(search, { creator });
  } catch (error) {
    if (error instanceof InvalidFilterError) throw badRequest(error.message);
    if (error instanceof InvalidSearchInputError) throw badRequest(error.description);
    throw error;
  }
}

/** The caller's resource visibility filter over alias `r` (keystone-style non-admins only, spec rest §1.4). */
export function resourceVisibilityFor(
  mode: AuthMode,
  creds: ApiCredentials,
): SqlFragment | undefined {
  return resourceVisibility(mode, {
    user: creds.user,
    projectId: creds.projectId ?? null,
    roles: creds.roles,
    creator: creds.user,
  });
}

/** Consecutive resources with equal `groupby` values (they come sorted by them). */
export function groupResources(
  resources: readonly ResourceWithMetrics[],
  groupby: readonly string[],
): { key: Record<string, unknown>; resources: ResourceWithMetrics[] }[] {
  const groups: { key: Record<string, unknown>; id: string; resources: ResourceWithMetrics[] }[] =
    [];
  for (const r of resources) {
    const json = resourceJson(r.resource);
    const key: Record<string, unknown> = {};
    for (const attr of groupby) key[attr] = json[attr] ?? null;
    const id = JSON.stringify(groupby.map((attr) => key[attr]));
    const last = groups[groups.length - 1];
    if (last !== undefined && last.id === id) last.resources.push(r);
    else groups.push({ key, id, resources: [r] });
  }
  return groups;
}
