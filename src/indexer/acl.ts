/**
 * Authorization data (spec rest §1.2–§1.4): the per-object policy rules as
 * pure functions over credentials and the object, and the list/search
 * visibility filters as SQL fragments, so every read path (REST, PromQL,
 * Grafana) applies the same ones.
 */
import type { SqlFragment } from "./sql-fragment.js";

export type AuthMode = "basic" | "remoteuser" | "keystone";

export interface Credentials {
  /** `creds.user`: the user name (basic/remoteuser), `<user>:<project>` (keystone). */
  readonly user: string | null;
  /** keystone only; absent otherwise. */
  readonly projectId?: string | null;
  readonly roles: readonly string[];
  /** The creator string stored on objects this caller creates. */
  readonly creator: string | null;
}

/** Credentials of a basic/remoteuser identity (spec rest §1.2). */
export function basicCredentials(user: string): Credentials {
  return { user, roles: user === "admin" ? ["admin"] : [], creator: user };
}

/** Credentials of keystone headers (missing parts empty in the creator). */
export function keystoneCredentials(
  userId: string | null,
  projectId: string | null,
  roles: readonly string[],
): Credentials {
  const creator = `${userId ?? ""}:${projectId ?? ""}`;
  return { user: creator, projectId, roles, creator };
}

/** Role comparison is case-insensitive. */
export function isAdmin(creds: Credentials): boolean {
  return creds.roles.some((r) => r.toLowerCase() === "admin");
}

/** A comparison with a value missing on either side is false. */
function same(a: string | null | undefined, b: string | null | undefined): boolean {
  return a !== null && a !== undefined && b !== null && b !== undefined && a === b;
}

export interface OwnedObject {
  readonly creator: string | null;
  readonly createdByProjectId?: string | null;
}

/** `admin_or_creator`: admin, or the creator, or the creator's project. */
export function adminOrCreator(creds: Credentials, target: OwnedObject): boolean {
  return (
    isAdmin(creds) ||
    same(creds.user, target.creator) ||
    same(creds.projectId, target.createdByProjectId)
  );
}

/** `resource_owner`: the caller's project is the resource's `project_id`. */
export function resourceOwner(
  creds: Credentials,
  target: { readonly projectId?: string | null },
): boolean {
  return same(creds.projectId, target.projectId);
}

/** `metric_owner`: the caller's project is the project of the metric's resource (loaded with it). */
export function metricOwner(
  creds: Credentials,
  target: { readonly resource?: { readonly projectId?: string | null } | null },
): boolean {
  return same(creds.projectId, target.resource?.projectId);
}

/** get/list/search resource. */
export function canReadResource(
  creds: Credentials,
  resource: OwnedObject & { readonly projectId?: string | null },
): boolean {
  return adminOrCreator(creds, resource) || resourceOwner(creds, resource);
}

/** update/delete resource, delete metric, post measures. */
export const canWriteObject = adminOrCreator;

/** get metric, search metric, list metric, get measures. */
export function canReadMetric(
  creds: Credentials,
  metric: OwnedObject & { readonly resource?: { readonly projectId?: string | null } | null },
): boolean {
  return adminOrCreator(creds, metric) || metricOwner(creds, metric);
}

/** Whether lists must be filtered for this caller (keystone non-admin only, spec rest §1.4). */
export function needsVisibilityFilter(mode: AuthMode, creds: Credentials): boolean {
  return mode === "keystone" && !isAdmin(creds);
}

/**
 * What a keystone non-admin may list among resources of alias `alias`:
 * `project_id = <project>` OR created by that project (`created_by_project_id`,
 * the part of `creator` after its first `:`, indexed; the original's
 * `creator LIKE '%:<project>'` differs only for user ids containing `:`).
 * Without a project: `project_id IS NULL OR creator IS NULL`. Undefined when no filter applies.
 */
export function resourceVisibility(
  mode: AuthMode,
  creds: Credentials,
  alias = "r",
): SqlFragment | undefined {
  if (!needsVisibilityFilter(mode, creds)) return undefined;
  const project = creds.projectId;
  if (project === null || project === undefined || project === "") {
    // The original's `{"=": {"project_id": None}}` compiles to IS NULL.
    return { sql: `${alias}.project_id IS NULL OR ${alias}.creator IS NULL`, params: [] };
  }
  return {
    sql: `${alias}.project_id = $1 OR ${alias}.created_by_project_id = $1`,
    params: [project],
  };
}

/**
 * What a keystone non-admin may list among metrics of alias `alias`:
 * created by their project, or attached to a resource they may list (an
 * inner join in the original, so unattached metrics of other projects never
 * show). Undefined when no filter applies.
 */
export function metricVisibility(
  mode: AuthMode,
  creds: Credentials,
  alias = "m",
): SqlFragment | undefined {
  const resource = resourceVisibility(mode, creds, "vr");
  if (resource === undefined) return undefined;
  const project = creds.projectId;
  const own =
    project === null || project === undefined || project === ""
      ? `${alias}.creator IS NULL`
      : `${alias}.created_by_project_id = $${resource.params.length + 1}`;
  return {
    sql: `${alias}.resource_id IS NOT NULL AND (${own} OR EXISTS (SELECT 1 FROM resource vr
      WHERE vr.id = ${alias}.resource_id AND (${resource.sql})))`,
    params: own.includes("$") ? [...resource.params, project!] : resource.params,
  };
}
