/**
 * Who is calling (spec rest §1.1, §1.2). `basic`: the user name of an
 * `Authorization: Basic` header (password ignored); `remoteuser`: a trusted
 * header set by the fronting HTTP server. No identity → 401. The user
 * `admin` has the admin role.
 */
import type { Context } from "hono";
import type { AppEnv } from "./context.js";
import { unauthorized } from "./errors.js";

export interface Credentials {
  /** The creator string stored on created objects. */
  readonly user: string;
  readonly roles: readonly string[];
  /** Only in keystone-style modes. */
  readonly projectId?: string;
}

/** The user name of a Basic `Authorization` header, or undefined when absent or undecodable. */
export function basicAuthUser(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  const match = /^\s*basic\s+([A-Za-z0-9+/=_-]+)\s*$/i.exec(header);
  if (!match) return undefined;
  let decoded: string;
  try {
    decoded = Buffer.from(match[1]!, "base64").toString("utf8");
  } catch {
    return undefined;
  }
  const colon = decoded.indexOf(":");
  if (colon < 0) return undefined;
  return decoded.slice(0, colon);
}

function credentialsFor(user: string): Credentials {
  return { user, roles: user === "admin" ? ["admin"] : [] };
}

const CREDENTIALS = new WeakMap<Request, Credentials>();

/** The caller's credentials; throws 401 when the request carries no identity. */
export function getCredentials(c: Context<AppEnv>): Credentials {
  const cached = CREDENTIALS.get(c.req.raw);
  if (cached) return cached;
  const { authMode, remoteUserHeader } = c.var.deps.options;
  const user =
    authMode === "remoteuser"
      ? c.req.header(remoteUserHeader)
      : basicAuthUser(c.req.header("authorization"));
  if (user === undefined) throw unauthorized();
  const creds = credentialsFor(user);
  CREDENTIALS.set(c.req.raw, creds);
  return creds;
}
