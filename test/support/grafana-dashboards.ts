/**
 * The provisioned Grafana dashboards (grafana-provisioning/dashboards/gnocchi-ts)
 * as the tests read them, and Grafana's substitution of its variables in a
 * panel query, shared by the in-memory dashboard test and the end-to-end
 * one on real node-exporter data.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

export const PROVISIONING_ROOT = join(import.meta.dirname, "../../grafana-provisioning");
const DIR = join(PROVISIONING_ROOT, "dashboards/gnocchi-ts");

export interface Panel {
  title: string;
  type: string;
  description?: string;
  targets: { expr: string; instant?: boolean }[];
}

export interface Dashboard {
  title: string;
  panels: Panel[];
  templating: { list: { name: string; definition: string }[] };
}

/** [file name, dashboard] of every dashboard JSON file. */
export function loadDashboards(): [string, Dashboard][] {
  return readdirSync(DIR)
    .filter((f) => f.endsWith(".json"))
    .sort()
    .map((f) => [f, JSON.parse(readFileSync(join(DIR, f), "utf8")) as Dashboard]);
}

/** Grafana's built-in interval variables, as Grafana writes them (`1m15s`, `4s`). */
export interface GrafanaIntervals {
  readonly interval: string;
  readonly rateInterval: string;
  readonly range: string;
}

/**
 * `expr` with Grafana's substitutions: the interval variables, and every
 * template variable set to "All" (its `allValue`, `.*`, in the dashboards).
 */
export function substitute(expr: string, intervals: GrafanaIntervals): string {
  return expr
    .replaceAll("$__rate_interval", intervals.rateInterval)
    .replaceAll("$__interval", intervals.interval)
    .replaceAll("$__range", intervals.range)
    .replace(/\$\w+/g, ".*");
}
