/**
 * Where `/v1/status` gets its figures (spec rest §2.5): the incoming backlog
 * and the processing workers, behind an interface so the storage side
 * (metricd) supplies them without the API importing it.
 */
import type { IncomingStore } from "../storage/incoming.js";

export interface MeasuresReport {
  /** `metrics`: metrics with unprocessed measures; `measures`: unprocessed batches. */
  readonly summary: { readonly metrics: number; readonly measures: number };
  /** Pending batches per metric id; only when details were asked for. */
  readonly details?: Readonly<Record<string, number>>;
}

export interface ProcessorsReport {
  /** Worker ids, or null when they cannot be listed. */
  readonly processors: readonly string[] | null;
  /** Counters per worker (`{}` when processors is null). */
  readonly statistics: Readonly<Record<string, Readonly<Record<string, number>>>>;
}

export interface StatusSource {
  /** Throws when the report cannot be made (→ 503). */
  measuresReport(details: boolean): Promise<MeasuresReport>;
  processors(): Promise<ProcessorsReport>;
}

/** Raised by a {@link StatusSource} that cannot produce its report now. */
export class ReportGenerationError extends Error {
  override name = "ReportGenerationError";
}

/** A status source reading the backlog of an incoming store; workers from `processors` (none by default). */
export function incomingStatusSource(
  incoming: Pick<IncomingStore, "backlog">,
  processors: () => Promise<ProcessorsReport> = async () => ({ processors: [], statistics: {} }),
): StatusSource {
  return {
    async measuresReport(details) {
      const backlog = await incoming.backlog();
      const summary = { metrics: backlog.metrics, measures: backlog.batches };
      if (!details) return { summary };
      return { summary, details: Object.fromEntries(backlog.perMetric) };
    },
    processors,
  };
}

/** A status source with nothing pending and no workers (an API without storage, tests). */
export const EMPTY_STATUS_SOURCE: StatusSource = {
  async measuresReport(details) {
    const summary = { metrics: 0, measures: 0 };
    return details ? { summary, details: {} } : { summary };
  },
  async processors() {
    return { processors: [], statistics: {} };
  },
};
