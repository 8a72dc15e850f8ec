/**
 * `last_seen` of label sets (label listing over a time range, PromQL's
 * `/api/v1/labels?start=…`): writing it on every request would cost an
 * indexer round trip per request, so the metrics written are collected and
 * their label sets stamped in one statement every `intervalMs` (and on
 * close). Same statement as LabelStore.touch, without needing the
 * in-memory index that only the query side loads.
 */
import { type SqlExecutor, timestampParam } from "../indexer/driver.js";

export class Sightings {
  #seen = new Set<string>();
  #epoch = 1;
  #timer: NodeJS.Timeout | undefined;
  #flushing: Promise<void> | undefined;

  constructor(
    private readonly db: SqlExecutor,
    private readonly intervalMs: number,
    private readonly onError: (error: unknown) => void,
  ) {}

  /**
   * Changes whenever the metrics recorded so far are handed to a flush: a
   * caller that remembers which metrics it recorded in this epoch need not
   * record them again until it changes (the ingester does, per cache slot).
   */
  get epoch(): number {
    return this.#epoch;
  }

  /** Records that `metricId` received samples (starts the timer on first use). */
  add(metricId: string): void {
    this.#seen.add(metricId);
    if (this.#timer === undefined && this.intervalMs > 0) {
      this.#timer = setInterval(() => void this.flush(), this.intervalMs);
      this.#timer.unref();
    }
  }

  /** Stamps the label sets of the metrics seen since the last flush with the current time. */
  flush(now = Date.now()): Promise<void> {
    if (this.#flushing !== undefined || this.#seen.size === 0)
      return this.#flushing ?? Promise.resolve();
    const ids = [...this.#seen];
    this.#seen = new Set();
    this.#epoch = (this.#epoch + 1) | 0 || 1;
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
