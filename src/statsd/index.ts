/** The statsd daemon (UDP, Gnocchi's line format with the DogStatsD extensions). */

export {
  type RunningStatsd,
  type StatsdDeps,
  type StatsdOptions,
  type StatsdStats,
  startStatsd,
} from "./daemon.js";
export type { FlushResult } from "./flusher.js";
