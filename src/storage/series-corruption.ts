/**
 * Damaged stored series (spec carbonara §6.6, issue 4): a split or raw buffer
 * whose bytes do not decode (codec CRC, truncation, unknown version) or that
 * the store listed but could not return intact (its own checksum failed) is
 * reported once per occurrence through `onCorruption`, counted, and treated
 * as absent: a split is skipped on read and taken as empty on write, a raw
 * buffer is started afresh. Its bytes are never mixed into results.
 */
import { CorruptDataError } from "../carbonara/errors.js";
import { decodeRawBuffer } from "../carbonara/raw-codec.js";
import { decodeSplit } from "../carbonara/split-codec.js";
import { SplitTail } from "../carbonara/split-tail.js";
import type { TimeSerie } from "../carbonara/timeserie.js";
import type { SplitId } from "./aggregate-store.js";

export interface SeriesCorruptionEvent {
  readonly metricId: string;
  readonly object: "split" | "raw buffer";
  /** The split, for split damage. */
  readonly split?: SplitId;
  readonly detail: string;
}

export type SeriesCorruptionListener = (event: SeriesCorruptionEvent) => void;

export function defaultSeriesCorruptionListener(event: SeriesCorruptionEvent): void {
  const where = event.split
    ? ` ${event.split.method}@${event.split.granularity}µs key ${event.split.key}`
    : "";
  console.error(
    `gnocchi-ts storage: corrupt ${event.object} of metric ${event.metricId}${where}: ${event.detail} (skipped)`,
  );
}

/** Reports and counts damage; shared by the processor and the reader. */
export class CorruptionReporter {
  /** Damaged objects seen since start. */
  count = 0;

  constructor(
    private readonly listener: SeriesCorruptionListener = defaultSeriesCorruptionListener,
  ) {}

  report(event: SeriesCorruptionEvent): void {
    this.count++;
    try {
      this.listener(event);
    } catch {
      // a failing listener must not break processing or reads
    }
  }

  /** The decoded split, or undefined (reported) when the bytes are damaged. */
  decodeSplit(metricId: string, split: SplitId, bytes: Uint8Array): TimeSerie | undefined {
    try {
      return decodeSplit(bytes, split.key, split.granularity);
    } catch (error) {
      if (!(error instanceof CorruptDataError || error instanceof RangeError)) throw error;
      this.report({ metricId, object: "split", split, detail: error.message });
      return undefined;
    }
  }

  /** The split opened for appending, or undefined (reported) when the bytes are damaged. */
  decodeSplitTail(metricId: string, split: SplitId, bytes: Uint8Array): SplitTail | undefined {
    try {
      return SplitTail.decode(bytes, split.key, split.granularity);
    } catch (error) {
      if (!(error instanceof CorruptDataError || error instanceof RangeError)) throw error;
      this.report({ metricId, object: "split", split, detail: error.message });
      return undefined;
    }
  }

  /** The decoded raw buffer, or undefined (reported) when the bytes are damaged. */
  decodeRawBuffer(metricId: string, bytes: Uint8Array): TimeSerie | undefined {
    try {
      return decodeRawBuffer(bytes);
    } catch (error) {
      if (!(error instanceof CorruptDataError || error instanceof RangeError)) throw error;
      this.report({ metricId, object: "raw buffer", detail: error.message });
      return undefined;
    }
  }
}
