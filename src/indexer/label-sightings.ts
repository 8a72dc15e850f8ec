/**
 * `last_seen` of label sets (`start` of the label listing endpoints,
 * `/api/v1/labels?start=…`), for the ingestion adapters (remote write,
 * statsd): writing it on every request or flush would cost an indexer round
 * trip each, so the metrics written are collected and their label sets
 * stamped in one statement every `intervalMs` (and on close). Same
 * statement as LabelStore.touch, without needing the in-memory index (the
 * `statsd` role loads none).
 *
 * Given the process's {@link LabelStore}, a sighting also widens the series'
 * range in its index at once (memory only), so `start` on the metadata
 * endpoints of this process does not wait for the flush. Same clock as the
 * SQL stamp (wall time, and the flush's stamp too), so a reload gives the
 * same answer once the flush is done.
 */
import { type SqlExecutor, timestampParam } from "./driver.js";
import type { LabelStore } from "./label-store.js";

export class Sightings {
  #seen = new Set<string>();
  #epoch = 1;
  #timer: NodeJS.Timeout | undefined;
  #flushing: Promise<void> | undefined;

  constructor(
    private readonly db: SqlExecutor,
    private readonly intervalMs: number,
    private readonly onError: (error: unknown) => void,
    private readonly labels?: LabelStore,
  ) {}

  /** Whether sightings reach an in-memory index (then {@link see} is worth calling between adds). */
  get inMemory(): boolean {
    return this.labels !== undefined;
  }

  /**
   * Changes whenever the metrics recorded so far are handed to a flush: a
   * caller that remembers which metrics it recorded in this epoch need not
   * record them again until it changes (the ingester does, per cache slot).
   */
  get epoch(): number {
    return this.#epoch;
  }

  /** Records that `metricId` received samples at `now` (ms; starts the timer on first use). */
  add(metricId: string, now = Date.now()): void {
    this.labels?.index.touch(metricId, now * 1000);
    this.#seen.add(metricId);
    if (this.#timer === undefined && this.intervalMs > 0) {
      this.#timer = setInterval(() => void this.flush(), this.intervalMs);
      this.#timer.unref();
    }
  }

  /** Widens the in-memory range of a metric already {@link add}ed in this epoch (no SQL). */
  see(metricId: string, now: number): void {
    this.labels?.index.touch(metricId, now * 1000);
  }

  /** Stamps the label sets of the metrics seen since the last flush with the current time. */
  flush(now = Date.now()): Promise<void> {
    if (this.#flushing !== undefined || this.#seen.size === 0)
      return this.#flushing ?? Promise.resolve();
    const ids = [...this.#seen];
    this.#seen = new Set();
    this.#epoch = (this.#epoch + 1) | 0 || 1;
    const index = this.labels?.index;
    if (index !== undefined) for (const id of ids) index.touch(id, now * 1000);
    this.#flushing = this.db
      .query(
        `UPDATE metric_label_set SET
           first_seen = LEAST(COALESCE(first_seen, $2::timestamptz), $2::timestamptz),
           last_seen = GREATEST(COALESCE(last_seen, $2::timestamptz), $2::timestamptz)
         WHERE metric_id = ANY($1::uuid[])
           AND (last_seen IS NULL OR last_seen < $2::timestamptz)`,
        [ids, timestampParam(now * 1000)],
      )
      .then(
        () => undefined,
        (error: unknown) => this.onError(error),
      )
      .finally(() => {
        this.#flushing = undefined;
      });
    return this.#flushing;
  }

  /** Stops the timer and flushes what is pending. */
  async close(): Promise<void> {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#flushing;
    await this.flush();
  }
}
