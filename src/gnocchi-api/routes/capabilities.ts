/** `GET /v1/capabilities` (spec rest §2.4, no auth): every valid aggregation method. */
import { Hono } from "hono";
import { VALID_AGGREGATION_METHODS } from "../../carbonara/aggregation-methods.js";
import type { AppEnv } from "../context.js";
import { reply } from "../responses.js";

export const capabilitiesRoutes = new Hono<AppEnv>({ strict: false });

capabilitiesRoutes.get("/", (c) => reply(c, { aggregation_methods: VALID_AGGREGATION_METHODS }));
