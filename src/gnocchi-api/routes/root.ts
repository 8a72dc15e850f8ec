/** `GET /`: the versions document (spec rest §2.1, no auth). */
import { Hono } from "hono";
import type { AppEnv } from "../context.js";
import { reply } from "../responses.js";
import { baseUrl } from "../urls.js";

export const rootRoutes = new Hono<AppEnv>({ strict: false });

rootRoutes.get("/", (c) =>
  reply(c, {
    build: c.var.deps.version,
    versions: [
      {
        status: "CURRENT",
        links: [{ rel: "self", href: `${baseUrl(c.var.base)}/v1/` }],
        id: "v1.0",
        updated: "2015-03-19",
      },
    ],
  }),
);
