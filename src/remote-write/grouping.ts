/**
 * What one request's series map to, and the request's samples laid out for
 * the incoming store. A *group* is one metric of the request (several series
 * may name the same metric: the same labels sent in another order). Each
 * group carries its metric id and the id's 16 bytes, copied from the series
 * cache when the group is made, so the store needs no UUID parsing and a
 * cache that starts over during the request cannot change them.
 */
import type { MeasureColumns } from "../storage/incoming.js";
import type { DecodedWrite } from "./write-request.js";

export class Grouping {
  /** Group of each series; -1 while unresolved. */
  readonly seriesGroup: Int32Array;
  /** Metric id of each group ("" for a group emptied by eviction). */
  readonly groupMetric: string[] = [];
  /** The 16 bytes of each group's metric id, group g at 16·g. */
  #groupUuids = new Uint8Array(16 * 256);
  /** The cache slot each group was found or inserted in. */
  #groupSlot = new Int32Array(256);

  constructor(series: number) {
    this.seriesGroup = new Int32Array(series);
  }

  /** A new group for cache slot `slot` (`metricId`, bytes `uuids[at, at + 16)`); returns its number. */
  add(slot: number, metricId: string, uuids: Uint8Array, at: number): number {
    const g = this.#reserve(metricId);
    this.#groupSlot[g] = slot;
    const to = this.#groupUuids;
    const from = 16 * g;
    for (let k = 0; k < 16; k++) to[from + k] = uuids[at + k]!;
    return g;
  }

  /** The cache slot group `g` was found or inserted in (valid while the cache has not started over). */
  slotOf(g: number): number {
    return this.#groupSlot[g]!;
  }

  #reserve(metricId: string): number {
    const g = this.groupMetric.length;
    this.groupMetric.push(metricId);
    if (16 * (g + 1) > this.#groupUuids.length) {
      const grown = new Uint8Array(this.#groupUuids.length * 2);
      grown.set(this.#groupUuids);
      this.#groupUuids = grown;
      const slots = new Int32Array(this.#groupSlot.length * 2);
      slots.set(this.#groupSlot);
      this.#groupSlot = slots;
    }
    return g;
  }

  /**
   * The request's samples as one run per metric, in request order: the
   * decoded arrays themselves when no metric has two series in the request
   * (the usual case), else one copy grouped by metric. Every series must be
   * grouped.
   */
  columns(d: DecodedWrite): MeasureColumns {
    const { seriesGroup, groupMetric } = this;
    const groups = groupMetric.length;
    const seriesPerGroup = new Int32Array(groups);
    let shared = false;
    for (let i = 0; i < d.seriesCount; i++) {
      const g = seriesGroup[i]!;
      if (++seriesPerGroup[g]! > 1) shared = true;
    }
    if (!shared) {
      const metricIds = new Array<string>(d.seriesCount);
      const metricUuids = new Uint8Array(16 * d.seriesCount);
      const runEnds = new Uint32Array(d.seriesCount);
      for (let i = 0; i < d.seriesCount; i++) {
        const g = seriesGroup[i]!;
        metricIds[i] = groupMetric[g]!;
        this.#copyUuid(g, metricUuids, i);
        runEnds[i] = d.sampleStart[i]! + d.sampleCount[i]!;
      }
      return { metricIds, metricUuids, runEnds, timestamps: d.timestamps, values: d.values };
    }
    const counts = new Int32Array(groups);
    for (let i = 0; i < d.seriesCount; i++) {
      const g = seriesGroup[i]!;
      counts[g] = counts[g]! + d.sampleCount[i]!;
    }
    const fill = new Int32Array(groups);
    const metricIds: string[] = [];
    const metricUuids = new Uint8Array(16 * groups);
    const runEnds = new Uint32Array(groups);
    let end = 0;
    for (let g = 0; g < groups; g++) {
      if (counts[g] === 0) continue;
      fill[g] = end;
      end += counts[g]!;
      this.#copyUuid(g, metricUuids, metricIds.length);
      runEnds[metricIds.length] = end;
      metricIds.push(groupMetric[g]!);
    }
    const timestamps = new Float64Array(d.sampleTotal);
    const values = new Float64Array(d.sampleTotal);
    for (let i = 0; i < d.seriesCount; i++) {
      const g = seriesGroup[i]!;
      const from = d.sampleStart[i]!;
      const n = d.sampleCount[i]!;
      const at = fill[g]!;
      timestamps.set(d.timestamps.subarray(from, from + n), at);
      values.set(d.values.subarray(from, from + n), at);
      fill[g] = at + n;
    }
    return { metricIds, metricUuids, runEnds, timestamps, values };
  }

  #copyUuid(g: number, to: Uint8Array, run: number): void {
    const from = this.#groupUuids;
    const a = 16 * g;
    const b = 16 * run;
    for (let k = 0; k < 16; k++) to[b + k] = from[a + k]!;
  }
}
