/**
 * The provisioned dashboards (grafana-provisioning/dashboards/gnocchi-ts):
 * every panel query parses and evaluates with our PromQL, as a range query
 * (and an instant one for stat and gauge panels), on an hour of
 * node-exporter-like and gnocchi-ts-like data, with Grafana's variables
 * substituted as Grafana does; every panel has data. Variable queries name valid
 * selectors. The provisioning YAML files parse and point at our endpoints.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import {
  instantQuery,
  MemorySeriesSource,
  parseExpr,
  rangeQuery,
} from "../../src/promql-lite/index.js";
import {
  loadDashboards,
  PROVISIONING_ROOT as ROOT,
  substitute as substituteIntervals,
} from "../support/grafana-dashboards.js";

const dashboards = loadDashboards();

const END = 1_800_000_000_000;
const START = END - 3_600_000;
const STEP = 60_000;

/** Grafana's substitutions for a 1 h range, 60 s step, 15 s scrape interval, "All" selected. */
function substitute(expr: string): string {
  return substituteIntervals(expr, { rateInterval: "1m15s", interval: "1m", range: "1h" });
}

/** One hour at 15 s of two node exporters and one gnocchi-ts, deterministic. */
function sampleData(): MemorySeriesSource {
  const src = new MemorySeriesSource();
  const add = (labels: Record<string, string>, f: (k: number) => number) => {
    for (let t = START - 600_000, k = 0; t <= END; t += 15_000, k++) src.append(labels, t, f(k));
  };
  for (const [n, instance] of ["a:9100", "b:9100"].entries()) {
    const base = { job: "node", instance };
    add({ __name__: "up", ...base }, () => 1);
    add({ __name__: "node_uname_info", ...base, nodename: `host${n}` }, () => 1);
    for (const cpu of ["0", "1"])
      for (const [m, mode] of ["idle", "user", "system", "iowait"].entries())
        add(
          { __name__: "node_cpu_seconds_total", ...base, cpu, mode },
          (k) => k * 15 * [0.7, 0.2, 0.08, 0.02][m]!,
        );
    for (const [name, v] of [
      ["node_load1", 0.5],
      ["node_load5", 0.4],
      ["node_load15", 0.3],
      ["node_memory_MemTotal_bytes", 8e9],
      ["node_memory_MemAvailable_bytes", 5e9],
      ["node_memory_Cached_bytes", 2e9],
      ["node_memory_Buffers_bytes", 1e8],
    ] as const)
      add({ __name__: name, ...base }, (k) => v * (1 + 0.01 * Math.sin(k)));
    for (const [mountpoint, fstype] of [
      ["/", "ext4"],
      ["/run", "tmpfs"],
    ] as const) {
      const fs = { ...base, device: "sda1", mountpoint, fstype };
      add({ __name__: "node_filesystem_size_bytes", ...fs }, () => 1e11);
      add({ __name__: "node_filesystem_avail_bytes", ...fs }, (k) => 6e10 - k * 1000);
    }
    for (const name of [
      "node_disk_read_bytes_total",
      "node_disk_written_bytes_total",
      "node_disk_io_time_seconds_total",
    ])
      add({ __name__: name, ...base, device: "sda" }, (k) => k * 4096);
    for (const device of ["eth0", "lo"])
      for (const name of [
        "node_network_receive_bytes_total",
        "node_network_transmit_bytes_total",
        "node_network_receive_errs_total",
        "node_network_transmit_errs_total",
        "node_network_receive_drop_total",
      ])
        add({ __name__: name, ...base, device }, (k) => k * 1500);
  }
  const g = { job: "gnocchi-ts", instance: "gnocchi:8041" };
  for (const [route, status] of [
    ["/api/v1/write", "204"],
    ["/v1/metric/:id/measures", "202"],
    ["/api/v1/query_range", "200"],
    ["/api/v1/query_range", "500"],
  ] as const)
    add(
      { __name__: "gnocchi_http_requests_total", ...g, method: "POST", route, status },
      (k) => k * 3,
    );
  add({ __name__: "gnocchi_http_bad_requests_total", ...g, reason: "invalid_request" }, (k) => k);
  for (const route of ["/api/v1/write", "/api/v1/query_range"])
    for (const le of ["0.005", "0.05", "0.5", "+Inf"])
      add(
        {
          __name__: "gnocchi_http_request_duration_seconds_bucket",
          ...g,
          method: "POST",
          route,
          le,
        },
        (k) => k * (le === "0.005" ? 1 : le === "0.05" ? 5 : 9),
      );
  for (const le of ["0.001", "0.01", "+Inf"])
    add(
      { __name__: "gnocchi_indexer_query_duration_seconds_bucket", ...g, driver: "pglite", le },
      (k) => k * Number(le === "+Inf" ? 4 : le === "0.01" ? 3 : 1),
    );
  add({ __name__: "gnocchi_storage_backlog_metrics", ...g }, (k) => k % 7);
  add({ __name__: "gnocchi_storage_backlog_measures", ...g }, (k) => (k % 7) * 50);
  for (const le of ["0.01", "0.1", "1", "+Inf"])
    add(
      { __name__: "gnocchi_metricd_processing_duration_seconds_bucket", ...g, le },
      (k) => k * (le === "0.01" ? 1 : le === "0.1" ? 4 : 6),
    );
  add({ __name__: "gnocchi_statsd_measures_total", ...g }, (k) => k * 100);
  add({ __name__: "gnocchi_statsd_dropped_measures_total", ...g }, () => 0);
  add({ __name__: "process_cpu_seconds_total", ...g }, (k) => k * 2);
  add({ __name__: "nodejs_eventloop_lag_p99_seconds", ...g }, () => 0.01);
  add({ __name__: "process_resident_memory_bytes", ...g }, () => 2e8);
  add({ __name__: "nodejs_heap_size_used_bytes", ...g }, () => 1e8);
  return src;
}

const source = sampleData();

describe("provisioned dashboards", () => {
  it("has the two dashboards", () => {
    expect(dashboards.map(([f]) => f).sort()).toEqual([
      "gnocchi-ts-self.json",
      "node-exporter.json",
    ]);
  });

  for (const [file, dashboard] of dashboards) {
    describe(file, () => {
      for (const panel of dashboard.panels) {
        it(`${panel.title}: every query evaluates with data`, async () => {
          for (const target of panel.targets) {
            const expr = substitute(target.expr);
            const range = await rangeQuery(source, expr, START, END, STEP);
            expect(range.result, expr).not.toHaveLength(0);
            if (target.instant) {
              const instant = await instantQuery(source, expr, END);
              expect(instant.result, expr).not.toHaveLength(0);
            }
          }
        });
      }

      it("template variables use label_values over a valid selector", () => {
        for (const v of dashboard.templating.list) {
          const m = /^label_values\((.+),\s*(\w+)\)$/.exec(v.definition);
          expect(m, v.definition).not.toBeNull();
          expect(parseExpr(substitute(m![1]!)).type).toBe("VectorSelector");
        }
      });
    });
  }

  it("the provisioning files point Grafana at the Prometheus API and the JSON data source", () => {
    const ds = parseYaml(readFileSync(join(ROOT, "datasources/gnocchi-ts.yaml"), "utf8")) as {
      datasources: { uid: string; type: string; url: string }[];
    };
    expect(ds.datasources.map((d) => [d.uid, d.type])).toEqual([
      ["gnocchi-ts-prometheus", "prometheus"],
      ["gnocchi-ts-json", "simpod-json-datasource"],
    ]);
    expect(ds.datasources[1]!.url).toMatch(/\/grafana$/);
    const provider = parseYaml(readFileSync(join(ROOT, "dashboards/gnocchi-ts.yaml"), "utf8")) as {
      providers: { options: { path: string } }[];
    };
    expect(provider.providers[0]!.options.path).toMatch(/gnocchi-ts$/);
    for (const [, d] of dashboards)
      for (const p of d.panels)
        expect((p as unknown as { datasource: { uid: string } }).datasource.uid).toBe(
          "gnocchi-ts-prometheus",
        );
  });
});
