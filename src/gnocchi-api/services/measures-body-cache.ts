/**
 * Reuse of `GET .../measures` bodies. Writing a year at one hour (8,760
 * points, 400 kB) is most of a read's CPU, and dashboards ask for the same
 * series again and again while it has not changed. A body is kept with a
 * copy of the series it was written from and given again only when the
 * series just read are byte for byte the same (one memcmp of the typed
 * arrays): whatever changed in the store, the answer is exactly what
 * {@link measuresToJson} would write now. The key (metric and query) only
 * says which entry to compare with.
 *
 * A kept body is also gzipped once, on the zlib thread pool so no answer
 * waits for it: almost every client asks for gzip (python-requests, hence
 * gnocchiclient, and Go's HTTP client, hence Grafana), and a year at one
 * hour shrinks from 400 kB to 60 kB, which is most of what sending it
 * costs both ends.
 *
 * Bounded by bytes (bodies, their gzip and the kept series), least recently
 * used out first; small bodies are not kept, writing them is cheap.
 */
import { gzip } from "node:zlib";
import { sameBits } from "../../carbonara/timeserie.js";
import { type MeasuresSeries, measuresToJson } from "./measures-json.js";

/** Below this many points a body is written every time. */
const MIN_POINTS = 1_000;
/** Bytes of bodies and series kept per store. */
export const DEFAULT_BODY_CACHE_BYTES = 64 * 1024 * 1024;

/** A `GET .../measures` answer, and the same bytes gzipped once they have been. */
export interface MeasuresBody {
  readonly json: Buffer;
  readonly gzip: Buffer | undefined;
}

interface Entry extends MeasuresBody {
  readonly series: readonly MeasuresSeries[];
  gzip: Buffer | undefined;
  bytes: number;
}

/** Fastest zlib level: the body is mostly repeated timestamps, level 1 already gives 6–7×. */
const GZIP_LEVEL = 1;

function sameSeries(kept: readonly MeasuresSeries[], read: readonly MeasuresSeries[]): boolean {
  if (kept.length !== read.length) return false;
  for (let i = 0; i < kept.length; i++) {
    const k = kept[i]!;
    const r = read[i]!;
    if (
      k.granularity !== r.granularity ||
      !sameBits(k.timestamps, r.timestamps) ||
      !sameBits(k.values, r.values)
    ) {
      return false;
    }
  }
  return true;
}

export class MeasuresBodyCache {
  readonly #entries = new Map<string, Entry>();
  readonly #compressing = new Set<Promise<void>>();
  #bytes = 0;
  hits = 0;
  misses = 0;

  constructor(readonly maxBytes: number = DEFAULT_BODY_CACHE_BYTES) {}

  /** The JSON body of `series`, read for `key`: the kept one when the series are the same. */
  body(key: string, series: readonly MeasuresSeries[]): MeasuresBody {
    let points = 0;
    for (const s of series) points += s.timestamps.length;
    if (points < MIN_POINTS) return { json: measuresToJson(series), gzip: undefined };
    const kept = this.#entries.get(key);
    if (kept !== undefined) {
      this.#entries.delete(key);
      if (sameSeries(kept.series, series)) {
        this.#entries.set(key, kept); // most recently used
        this.hits++;
        return kept;
      }
      this.#bytes -= kept.bytes;
    }
    this.misses++;
    const json = measuresToJson(series);
    // The body is a view of a larger allocation, which it keeps alive.
    const bytes = json.buffer.byteLength + points * 16;
    if (bytes > this.maxBytes / 8) return { json, gzip: undefined };
    const copy = series.map((s) => ({
      granularity: s.granularity,
      timestamps: s.timestamps.slice(),
      values: s.values.slice(),
    }));
    const entry: Entry = { series: copy, json, gzip: undefined, bytes };
    this.#entries.set(key, entry);
    this.#bytes += bytes;
    this.#evict();
    this.#compress(key, entry);
    return { json, gzip: undefined };
  }

  /** Resolves once every gzip started so far has finished (tests wait on it). */
  async settled(): Promise<void> {
    await Promise.all(this.#compressing);
  }

  #compress(key: string, entry: Entry): void {
    const done = new Promise<void>((resolve) => {
      gzip(entry.json, { level: GZIP_LEVEL }, (error, zipped) => {
        // A body replaced or evicted meanwhile is not given again: nothing to attach to.
        if (error === null && this.#entries.get(key) === entry) {
          entry.gzip = zipped;
          entry.bytes += zipped.buffer.byteLength;
          this.#bytes += zipped.buffer.byteLength;
          this.#evict();
        }
        resolve();
      });
    });
    this.#compressing.add(done);
    void done.then(() => this.#compressing.delete(done));
  }

  #evict(): void {
    for (const [oldest, entry] of this.#entries) {
      if (this.#bytes <= this.maxBytes) break;
      this.#entries.delete(oldest);
      this.#bytes -= entry.bytes;
    }
  }

  /** Bytes held (bodies with their allocations, and the kept series). */
  get bytes(): number {
    return this.#bytes;
  }
}
