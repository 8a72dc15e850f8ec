/**
 * The URLs the server emits (spec rest §0.1, §2.7): `scheme://host` +
 * mount prefix + path, with proxy headers applied when enabled.
 */
import type { Context, MiddlewareHandler } from "hono";
import type { AppEnv, PublicBase } from "./context.js";

/** Splits RFC 7239 `Forwarded` into one map per proxy (as oslo's middleware does). */
function parseForwarded(header: string): Record<string, string>[] {
  return header.split(",").map((proxy) => {
    const entry: Record<string, string> = {};
    for (const pair of proxy.split(";")) {
      const eq = pair.indexOf("=");
      const key = (eq < 0 ? pair : pair.slice(0, eq)).trim().toLowerCase();
      entry[key] = eq < 0 ? "" : pair.slice(eq + 1).trim();
    }
    return entry;
  });
}

/** Works out the public base of the request and stores it as `c.var.base`. */
export function publicBase(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const url = new URL(c.req.url);
    let scheme = url.protocol.replace(/:$/, "");
    let host = c.req.header("host") ?? url.host;
    let remote: string | undefined;
    let prefix = c.var.deps.options.prefix;
    if (c.var.deps.options.enableProxyHeadersParsing) {
      const forwarded = c.req.header("forwarded");
      if (forwarded) {
        const first = parseForwarded(forwarded)[0] ?? {};
        if (first.proto) scheme = first.proto;
        if (first.host) host = first.host;
        if (first.for) remote = first.for;
      } else {
        scheme = c.req.header("x-forwarded-proto") || scheme;
        host = c.req.header("x-forwarded-host") || host;
        remote = c.req.header("x-forwarded-for") || remote;
      }
      const forwardedPrefix = c.req.header("x-forwarded-prefix");
      if (forwardedPrefix) prefix = forwardedPrefix + prefix;
    }
    c.set("base", { scheme, host, prefix });
    c.set("remoteAddress", remote);
    await next();
  };
}

/** `scheme://host` + prefix, no trailing slash. */
export function baseUrl(base: PublicBase): string {
  return `${base.scheme}://${base.host}${base.prefix}`;
}

const UNRESERVED = /[A-Za-z0-9_.~/-]/;

/** Python's `urllib.parse.quote(s)` (safe `/`): UTF-8 bytes percent-encoded. */
export function pythonQuote(text: string): string {
  let out = "";
  for (const char of text) {
    if (UNRESERVED.test(char)) {
      out += char;
      continue;
    }
    for (const byte of Buffer.from(char, "utf8")) {
      out += `%${byte.toString(16).toUpperCase().padStart(2, "0")}`;
    }
  }
  return out;
}

/** The absolute URL of a path under `/v1`, e.g. `v1Url(c, "/archive_policy/low")`. */
export function v1Url(c: Context<AppEnv>, path: string): string {
  const base = c.var.base;
  return `${base.scheme}://${base.host}${pythonQuote(`${base.prefix}/v1${path}`)}`;
}
