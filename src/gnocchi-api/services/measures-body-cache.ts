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
 * Bounded by bytes (bodies and the kept series), least recently used out
 * first; small bodies are not kept, writing them is cheap.
 */
import { type MeasuresSeries, measuresToJson } from "./measures-json.js";

/** Below this many points a body is written every time. */
const MIN_POINTS = 1_000;
/** Bytes of bodies and series kept per store. */
export const DEFAULT_BODY_CACHE_BYTES = 64 * 1024 * 1024;

interface Entry {
  readonly series: readonly MeasuresSeries[];
  readonly body: Buffer;
  readonly bytes: number;
}

const bytesOf = (a: Float64Array): Buffer => Buffer.from(a.buffer, a.byteOffset, a.byteLength);

function sameSeries(kept: readonly MeasuresSeries[], read: readonly MeasuresSeries[]): boolean {
  if (kept.length !== read.length) return false;
  for (let i = 0; i < kept.length; i++) {
    const k = kept[i]!;
    const r = read[i]!;
    if (
      k.granularity !== r.granularity ||
      !bytesOf(k.timestamps).equals(bytesOf(r.timestamps)) ||
      !bytesOf(k.values).equals(bytesOf(r.values))
    ) {
      return false;
    }
  }
  return true;
}

export class MeasuresBodyCache {
  readonly #entries = new Map<string, Entry>();
  #bytes = 0;
  hits = 0;
  misses = 0;

  constructor(readonly maxBytes: number = DEFAULT_BODY_CACHE_BYTES) {}

  /** The JSON body of `series`, read for `key`: the kept one when the series are the same. */
  body(key: string, series: readonly MeasuresSeries[]): Buffer {
    let points = 0;
    for (const s of series) points += s.timestamps.length;
    if (points < MIN_POINTS) return measuresToJson(series);
    const kept = this.#entries.get(key);
    if (kept !== undefined) {
      this.#entries.delete(key);
      if (sameSeries(kept.series, series)) {
        this.#entries.set(key, kept); // most recently used
        this.hits++;
        return kept.body;
      }
      this.#bytes -= kept.bytes;
    }
    this.misses++;
    const body = measuresToJson(series);
    // The body is a view of a larger allocation, which it keeps alive.
    const bytes = body.buffer.byteLength + points * 16;
    if (bytes <= this.maxBytes / 8) {
      const copy = series.map((s) => ({
        granularity: s.granularity,
        timestamps: s.timestamps.slice(),
        values: s.values.slice(),
      }));
      this.#entries.set(key, { series: copy, body, bytes });
      this.#bytes += bytes;
      for (const [oldest, entry] of this.#entries) {
        if (this.#bytes <= this.maxBytes) break;
        this.#entries.delete(oldest);
        this.#bytes -= entry.bytes;
      }
    }
    return body;
  }

  /** Bytes held (bodies with their allocations, and the kept series). */
  get bytes(): number {
    return this.#bytes;
  }
}
