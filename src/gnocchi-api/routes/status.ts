/**
 * `GET /v1/status?details=` (spec rest §2.5, admin): the incoming backlog
 * and the processing workers, from the injected status source.
 */
import { Hono } from "hono";
import type { AppEnv } from "../context.js";
import { HttpError } from "../errors.js";
import { enforce } from "../policy.js";
import { boolParam } from "../query.js";
import { reply } from "../responses.js";

export const statusRoutes = new Hono<AppEnv>({ strict: false });

statusRoutes.get("/", async (c) => {
  enforce(c, "get status");
  const details = boolParam(c, "details", true);
  const source = c.var.deps.status;
  let report: Awaited<ReturnType<typeof source.measuresReport>>;
  let workers: Awaited<ReturnType<typeof source.processors>>;
  try {
    [report, workers] = await Promise.all([source.measuresReport(details), source.processors()]);
  } catch (error) {
    c.var.deps.logger.warn({ err: error }, "status report failed");
    throw new HttpError(503, "Unable to generate status. Please retry.");
  }
  return reply(c, {
    storage: {
      summary: report.summary,
      ...(report.details === undefined ? {} : { measures_to_process: report.details }),
    },
    metricd: {
      processors: workers.processors,
      statistics: workers.processors === null ? {} : workers.statistics,
    },
  });
});
