/**
 * Gnocchi's default policy file (spec rest §1.3) as code: each action's rule
 * over the caller's credentials and the target object. {@link enforce} is
 * what every handler calls: 401 without identity, 403 when the rule denies.
 */
import type { Context } from "hono";
import { type Credentials, getCredentials } from "./auth.js";
import type { AppEnv } from "./context.js";
import { forbidden } from "./errors.js";

/** The target an action applies to: an object's JSON fields (nested ones reachable as `a.b`). */
export type PolicyTarget = object;

type Rule = (creds: Credentials, target: PolicyTarget) => boolean;

/** A target field by dotted path; undefined when missing. */
function field(target: PolicyTarget, path: string): unknown {
  let value: unknown = target;
  for (const key of path.split(".")) {
    if (typeof value !== "object" || value === null || !(key in value)) return undefined;
    value = (value as Record<string, unknown>)[key];
  }
  return value;
}

/** `a:b` compares as equal strings; a key missing on either side is false. */
function matches(credential: string | undefined, value: unknown): boolean {
  if (credential === undefined || value === undefined) return false;
  return credential === String(value);
}

const anyone: Rule = () => true;
const roleAdmin: Rule = (creds) => creds.roles.some((r) => r.toLowerCase() === "admin");
const adminOrCreator: Rule = (creds, t) =>
  roleAdmin(creds, t) ||
  matches(creds.user, field(t, "creator")) ||
  matches(creds.projectId, field(t, "created_by_project_id"));
const resourceOwner: Rule = (creds, t) => matches(creds.projectId, field(t, "project_id"));
const metricOwner: Rule = (creds, t) => matches(creds.projectId, field(t, "resource.project_id"));
const either =
  (...rules: Rule[]): Rule =>
  (creds, t) =>
    rules.some((rule) => rule(creds, t));

export const POLICY_RULES = {
  "get status": roleAdmin,
  "create resource": anyone,
  "get resource": either(adminOrCreator, resourceOwner),
  "update resource": adminOrCreator,
  "delete resource": adminOrCreator,
  "delete resources": adminOrCreator,
  "list resource": either(adminOrCreator, resourceOwner),
  "search resource": either(adminOrCreator, resourceOwner),
  "create resource type": roleAdmin,
  "delete resource type": roleAdmin,
  "update resource type": roleAdmin,
  "list resource type": anyone,
  "get resource type": anyone,
  "get archive policy": anyone,
  "list archive policy": anyone,
  "create archive policy": roleAdmin,
  "update archive policy": roleAdmin,
  "delete archive policy": roleAdmin,
  "create archive policy rule": roleAdmin,
  "get archive policy rule": anyone,
  "list archive policy rule": anyone,
  "update archive policy rule": roleAdmin,
  "delete archive policy rule": roleAdmin,
  "create metric": anyone,
  "delete metric": adminOrCreator,
  "get metric": either(adminOrCreator, metricOwner),
  "search metric": either(adminOrCreator, metricOwner),
  "list metric": either(adminOrCreator, metricOwner),
  "get measures": either(adminOrCreator, metricOwner),
  "post measures": adminOrCreator,
} as const satisfies Record<string, Rule>;

export type PolicyAction = keyof typeof POLICY_RULES;

/** Whether `creds` may do `action` on `target`. */
export function isAllowed(
  creds: Credentials,
  action: PolicyAction,
  target: PolicyTarget = {},
): boolean {
  return POLICY_RULES[action](creds, target);
}

/** Checks the caller may do `action` on `target`: 401 without identity, 403 when denied. */
export function enforce(
  c: Context<AppEnv>,
  action: PolicyAction,
  target: PolicyTarget = {},
): Credentials {
  const creds = getCredentials(c);
  if (!isAllowed(creds, action, target)) throw forbidden();
  return creds;
}
