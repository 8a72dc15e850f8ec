/**
 * The archive policies and rule `upgrade` creates on an empty indexer (spec
 * carbonara §2.5, rest §3.6): Carbonara's values, as lists, plus the
 * `prometheus` policy of metrics created by Prometheus remote write.
 */

import type { ArchivePolicy } from "../carbonara/archive-policy.js";
import {
  DEFAULT_ARCHIVE_POLICIES as BY_NAME,
  resolveArchivePolicyItem,
} from "../carbonara/archive-policy.js";
import {
  MICROS_PER_DAY,
  MICROS_PER_HOUR,
  MICROS_PER_MINUTE,
  MICROS_PER_SECOND,
} from "../carbonara/time.js";

export { DEFAULT_ARCHIVE_POLICY_RULE } from "../carbonara/archive-policy-rule.js";

/**
 * Remote write's default policy (issue 6): what PromQL and Grafana ask of a
 * scraped series. 1 s for a day keeps every scrape (Prometheus scrapes every
 * 15–60 s, so only the buckets that hold a sample exist), 1 min for 8 days
 * covers a week of dashboards with a day to spare, 1 h for a year. `last` is
 * the value PromQL reads at an instant; the others serve `*_over_time` and
 * Grafana's min/max/avg without going back to raw points.
 */
export const PROMETHEUS_ARCHIVE_POLICY: ArchivePolicy = Object.freeze({
  name: "prometheus",
  backWindow: 0,
  aggregationMethods: Object.freeze(["last", "mean", "min", "max", "sum", "count"]),
  definition: Object.freeze(
    (
      [
        [MICROS_PER_SECOND, MICROS_PER_DAY],
        [MICROS_PER_MINUTE, 8 * MICROS_PER_DAY],
        [MICROS_PER_HOUR, 365 * MICROS_PER_DAY],
      ] as const
    ).map(([granularity, timespan]) =>
      Object.freeze(resolveArchivePolicyItem({ granularity, timespan })),
    ),
  ),
});

export const DEFAULT_ARCHIVE_POLICIES: readonly ArchivePolicy[] = [
  ...Object.values(BY_NAME),
  PROMETHEUS_ARCHIVE_POLICY,
];
