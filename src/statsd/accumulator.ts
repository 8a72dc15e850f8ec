/**
 * What statsd accumulates between flushes (spec ingest-adapters §b, extended):
 *
 * | type | per line | at flush |
 * |---|---|---|
 * | `c` | `sum += value / rate` | the sum (a per-interval delta, as Gnocchi) |
 * | `g` | `gauge = value`, or `gauge += ±value` | the gauge, if set during the interval |
 * | `s` | add the member | the number of distinct members |
 * | `ms` `h` `d` | keep every value | every value, each its own measure |
 *
 * Timings are all kept (Gnocchi kept only the last one), so the archive
 * policy's mean, max and percentiles cover all of them. Measures of one
 * metric must have distinct timestamps (Carbonara keeps one value per
 * timestamp), so each series stamps its measures with strictly increasing
 * microseconds: the receipt time, or one microsecond after the previous
 * measure when datagrams arrive faster than that. Counters, gauges and sets
 * carry the receipt time of their last line.
 *
 * Series are found by the line's `name|type|#tags` text (one Map lookup per
 * line); different spellings of one series (tags in another order) share
 * the same state. Series idle for `idleFlushes` flushes are forgotten (a
 * relative gauge then starts again from 0).
 */
import { type BadLineReason, ParsedLine, parseLine, type StatsdType } from "./line.js";
import { type SeriesContext, type SeriesIdentity, seriesIdentity } from "./series.js";

/** One series: its identity, the metric it resolved to, its interval state. */
export class Series {
  /** Resolved metric id (cached between flushes). */
  metricId: string | undefined;
  /** The metric whose label set this series stored (differs from metricId until it has). */
  labelledId: string | undefined;
  /** The raw keys that lead here. */
  readonly aliases: string[] = [];

  seen = false;
  idle = 0;
  /** µs of the last line of the interval. */
  lastAt = 0;
  /** The last timestamp given to a measure of this series. */
  lastStamp = 0;
  counter = 0;
  gauge = 0;
  gaugeKnown = false;
  members: Set<string> | undefined;
  times: Float64Array | undefined;
  values: Float64Array | undefined;
  n = 0;

  constructor(
    readonly key: string,
    readonly type: StatsdType,
    readonly identity: SeriesIdentity,
  ) {}

  /** A timestamp at or after `at`, after every one given before. */
  stamp(at: number): number {
    const t = at > this.lastStamp ? at : this.lastStamp + 1;
    this.lastStamp = t;
    return t;
  }

  addTiming(value: number, at: number): void {
    if (this.times === undefined || this.n === this.times.length) {
      const size = this.times === undefined ? 16 : this.times.length * 2;
      const times = new Float64Array(size);
      const values = new Float64Array(size);
      if (this.times !== undefined) {
        times.set(this.times);
        values.set(this.values!);
      }
      this.times = times;
      this.values = values;
    }
    this.times[this.n] = this.stamp(at);
    this.values![this.n++] = value;
  }
}

/** The measures of one series for one flush. */
export interface FlushItem {
  readonly series: Series;
  readonly timestamps: Float64Array;
  readonly values: Float64Array;
}

export interface AccumulatorOptions extends SeriesContext {
  /** Distinct series kept at most; lines of new series beyond are refused. */
  readonly maxSeries: number;
  /** Flushes without a line after which a series is forgotten. */
  readonly idleFlushes: number;
}

export interface LineSink {
  /** A line was skipped; `text[start, end)` is the line. */
  bad(reason: BadLineReason, text: string, start: number, end: number): void;
}

export class Accumulator {
  readonly #series = new Map<string, Series>();
  readonly #byKey = new Map<string, Series>();
  readonly #line = new ParsedLine();

  constructor(private readonly options: AccumulatorOptions) {}

  get size(): number {
    return this.#series.size;
  }

  /**
   * Adds every line of `text` (lines separated by `\n`, empty ones ignored)
   * received at `at` (µs). Returns the number of non-empty lines.
   */
  addText(text: string, at: number, sink: LineSink): number {
    let lines = 0;
    let start = 0;
    const length = text.length;
    while (start < length) {
      let end = text.indexOf("\n", start);
      if (end < 0) end = length;
      if (end > start && !(end === start + 1 && text.charCodeAt(start) === 0x0d)) {
        lines++;
        const reason = this.addLine(text, start, end, at);
        if (reason !== undefined) sink.bad(reason, text, start, end);
      }
      start = end + 1;
    }
    return lines;
  }

  /** Adds one line; returns why it was skipped, if it was. */
  addLine(text: string, start: number, end: number, at: number): BadLineReason | undefined {
    const line = this.#line;
    const bad = parseLine(text, start, end, line);
    if (bad !== undefined) return bad;
    const name = text.slice(line.nameStart, line.nameEnd);
    const key =
      line.tagsStart < 0
        ? `${name}|${line.type}`
        : `${name}|${line.type}|#${text.slice(line.tagsStart, line.tagsEnd)}`;
    let series = this.#byKey.get(key);
    if (series === undefined) {
      const found = this.#seriesFor(key, text, line);
      if (typeof found === "string") return found;
      series = found;
    }
    series.seen = true;
    series.lastAt = at;
    switch (line.type) {
      case "c":
        series.counter += line.values[0]! / line.rate;
        break;
      case "g":
        series.gauge = line.relative
          ? (series.gaugeKnown ? series.gauge : 0) + line.values[0]!
          : line.values[0]!;
        series.gaugeKnown = true;
        break;
      case "s":
        series.members ??= new Set();
        series.members.add(text.slice(line.valueStart, line.valueEnd));
        break;
      default:
        for (let i = 0; i < line.count; i++) series.addTiming(line.values[i]!, at);
    }
    return undefined;
  }

  #seriesFor(key: string, text: string, line: ParsedLine): Series | BadLineReason {
    const identity = seriesIdentity(
      text.slice(line.nameStart, line.nameEnd),
      line.type,
      line.tagsStart < 0 ? null : text.slice(line.tagsStart, line.tagsEnd),
      this.options,
    );
    if (typeof identity === "string") return identity;
    const canonical = `${identity.resource?.id ?? ""}\u0000${identity.metricName}`;
    let series = this.#series.get(canonical);
    if (series === undefined) {
      if (this.#series.size >= this.options.maxSeries) return "too_many_series";
      series = new Series(canonical, line.type, identity);
      this.#series.set(canonical, series);
    }
    series.aliases.push(key);
    this.#byKey.set(key, series);
    return series;
  }

  /**
   * The measures of the interval, one item per series that received lines;
   * resets the interval and forgets long-idle series.
   */
  drain(): FlushItem[] {
    const items: FlushItem[] = [];
    for (const series of this.#series.values()) {
      if (!series.seen) {
        if (++series.idle > this.options.idleFlushes) this.#forget(series);
        continue;
      }
      series.seen = false;
      series.idle = 0;
      switch (series.type) {
        case "c":
          items.push(single(series, series.counter));
          series.counter = 0;
          break;
        case "g":
          items.push(single(series, series.gauge));
          break;
        case "s":
          items.push(single(series, series.members?.size ?? 0));
          series.members = undefined;
          break;
        default:
          // Copies: the arrays keep filling while the flush is written.
          items.push({
            series,
            timestamps: series.times!.slice(0, series.n),
            values: series.values!.slice(0, series.n),
          });
          series.n = 0;
      }
    }
    return items;
  }

  #forget(series: Series): void {
    this.#series.delete(series.key);
    for (const alias of series.aliases) this.#byKey.delete(alias);
  }

  /** Every series (the flusher clears cached metric ids to re-check them). */
  series(): IterableIterator<Series> {
    return this.#series.values();
  }
}

function single(series: Series, value: number): FlushItem {
  return {
    series,
    timestamps: Float64Array.of(series.stamp(series.lastAt)),
    values: Float64Array.of(value),
  };
}
