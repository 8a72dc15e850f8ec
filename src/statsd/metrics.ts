/**
 * Self-monitoring of the statsd daemon through prom-client (served at
 * `/metrics` when it runs inside `serve`): datagrams and lines received, bad
 * lines by reason, flushes by outcome, measures written and dropped, series
 * held. Labels are fixed reason and outcome names only.
 */
import { Counter, Gauge, Registry } from "prom-client";
import type { BadLineReason } from "./line.js";

export class StatsdMetrics {
  readonly registry: Registry;
  readonly datagrams: Counter;
  readonly lines: Counter;
  readonly badLines: Counter<"reason">;
  readonly flushes: Counter<"outcome">;
  readonly measures: Counter;
  readonly dropped: Counter;
  readonly series: Gauge;

  constructor(registry: Registry = new Registry()) {
    this.registry = registry;
    const registers = [registry];
    this.datagrams = new Counter({
      name: "gnocchi_statsd_datagrams_total",
      help: "UDP datagrams received by statsd.",
      registers,
    });
    this.lines = new Counter({
      name: "gnocchi_statsd_lines_total",
      help: "Non-empty statsd lines received (bad ones included).",
      registers,
    });
    this.badLines = new Counter({
      name: "gnocchi_statsd_bad_lines_total",
      help: "statsd lines skipped, by reason.",
      labelNames: ["reason"],
      registers,
    });
    this.flushes = new Counter({
      name: "gnocchi_statsd_flushes_total",
      help: "statsd flushes, by outcome (ok, failed).",
      labelNames: ["outcome"],
      registers,
    });
    this.measures = new Counter({
      name: "gnocchi_statsd_measures_total",
      help: "Measures statsd wrote to the incoming store.",
      registers,
    });
    this.dropped = new Counter({
      name: "gnocchi_statsd_dropped_measures_total",
      help: "Measures statsd dropped (metric not creatable, or a failed flush).",
      registers,
    });
    this.series = new Gauge({
      name: "gnocchi_statsd_series",
      help: "Series statsd currently accumulates.",
      registers,
    });
  }

  badLine(reason: BadLineReason): void {
    this.badLines.inc({ reason });
  }
}
