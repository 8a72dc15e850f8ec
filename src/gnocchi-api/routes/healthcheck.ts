/** `GET /healthcheck` (spec rest §2.3): outside `/v1`, no auth, plain `OK`. */
import { Hono } from "hono";
import type { AppEnv } from "../context.js";

export const healthcheckRoutes = new Hono<AppEnv>({ strict: false });

healthcheckRoutes.get("/", (c) => c.text("OK"));
