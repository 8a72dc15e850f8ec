/**
 * Encoded label bytes → metric, for one creator: how a known series costs
 * no string, no object and no indexer round trip.
 *
 * Keys are the exact bytes of a series' label fields as the sender encoded
 * them, copied into one growing arena; an open-addressing table (linear
 * probing, power-of-two size, at most half full) maps their MurmurHash3 to
 * entries, and a candidate is confirmed by comparing bytes, so a hash
 * collision can never send samples to the wrong series. Several keys may
 * name the same metric (the same labels sent in another order): entries
 * point at a *slot*, one per metric id.
 *
 * Slots are re-validated against the indexer every `ttlMs` (a metric
 * deleted through the API must not keep receiving samples that metricd
 * would drop), see {@link SeriesCache.isStale}. The cache is bounded:
 * past `maxBytes` of keys it starts over empty (series are then resolved
 * again, in batches).
 */
import { bytesToUuid, uuidToBytes } from "../storage/common.js";
import { sameBytes, viewOf } from "./key-hash.js";

const EMPTY = -1;

/** `s` as one sequential string (a concatenation is a tree of pieces until flattened). */
function flatString(s: string): string {
  const codes = new Array<number>(s.length);
  for (let i = 0; i < s.length; i++) codes[i] = s.charCodeAt(i);
  return String.fromCharCode(...codes);
}

export class SeriesCache {
  #arena = new Uint8Array(64 * 1024);
  #arenaView = viewOf(this.#arena);
  #arenaUsed = 0;
  // Per entry.
  #keyStart = new Int32Array(1024);
  #keyLength = new Int32Array(1024);
  #keyHash = new Int32Array(1024);
  #slotOf = new Int32Array(1024);
  #entries = 0;
  // Hash table of entry numbers.
  #table = new Int32Array(4096).fill(EMPTY);
  #mask = 4095;
  // Per slot: the metric id, and its 16 bytes at 16 × slot (what the incoming store writes).
  #metricIds: string[] = [];
  #metricUuids = new Uint8Array(16 * 1024);
  #checkedAt = new Float64Array(1024);
  #slotById = new Map<string, number>();
  readonly #uuid = new Uint8Array(16);
  #generation = 0;

  constructor(
    readonly ttlMs = 60_000,
    readonly maxBytes = 256 * 1024 * 1024,
  ) {}

  /** Number of distinct keys. */
  get size(): number {
    return this.#entries;
  }

  /**
   * The slot of the series whose key is `bytes[start, end)` (hash `hash`), or
   * -1. `view` is a DataView over exactly `bytes` (the decoder's, so a lookup
   * allocates nothing).
   */
  lookup(
    bytes: Uint8Array,
    start: number,
    end: number,
    hash: number,
    view: DataView = viewOf(bytes),
  ): number {
    const table = this.#table;
    const mask = this.#mask;
    const length = end - start;
    for (let i = hash & mask; ; i = (i + 1) & mask) {
      const e = table[i]!;
      if (e === EMPTY) return -1;
      if (
        this.#keyHash[e] === hash &&
        this.#keyLength[e] === length &&
        sameBytes(view, start, end, this.#arenaView, this.#keyStart[e]!)
      ) {
        const slot = this.#slotOf[e]!;
        return this.#metricIds[slot] === "" ? -1 : slot;
      }
    }
  }

  /** The metric id of a slot (canonical: lowercase, dashed). */
  metricId(slot: number): string {
    return this.#metricIds[slot]!;
  }

  /** The 16 bytes of every slot's metric id, slot `s` at `16 * s` (a live view: read, do not keep). */
  get metricUuids(): Uint8Array {
    return this.#metricUuids;
  }

  /** Remembers that the key `bytes[start, end)` names `metricId` (checked now); returns its slot. */
  insert(
    bytes: Uint8Array,
    start: number,
    end: number,
    hash: number,
    metricId: string,
    now: number,
  ): number {
    const length = end - start;
    if (this.#arenaUsed + length > this.maxBytes) this.clear();
    const slot = this.#slotFor(metricId, now);
    const view = viewOf(bytes);
    const mask = this.#mask;
    for (let i = hash & mask; ; i = (i + 1) & mask) {
      const e = this.#table[i]!;
      if (e === EMPTY) break;
      if (
        this.#keyHash[e] === hash &&
        this.#keyLength[e] === length &&
        sameBytes(view, start, end, this.#arenaView, this.#keyStart[e]!)
      ) {
        this.#slotOf[e] = slot;
        return slot;
      }
    }
    if (this.#entries === this.#keyStart.length) this.#growEntries();
    if (this.#arenaUsed + length > this.#arena.length) this.#growArena(length);
    const e = this.#entries++;
    this.#arena.set(bytes.subarray(start, end), this.#arenaUsed);
    this.#keyStart[e] = this.#arenaUsed;
    this.#keyLength[e] = length;
    this.#keyHash[e] = hash;
    this.#slotOf[e] = slot;
    this.#arenaUsed += length;
    this.#place(e);
    if (this.#entries * 2 > this.#table.length) this.#rehash();
    return slot;
  }

  /** Whether the slot was last checked more than `ttlMs` before `now`. */
  isStale(slot: number, now: number): boolean {
    return now - this.#checkedAt[slot]! > this.ttlMs;
  }

  /** Marks a slot as checked (its metric still exists) at `now`. */
  confirm(slot: number, now: number): void {
    this.#checkedAt[slot] = now;
  }

  /** Forgets a slot's metric: its keys miss from now on (the series is resolved again). */
  evict(slot: number): void {
    const id = this.#metricIds[slot];
    if (id === undefined || id === "") return;
    this.#slotById.delete(id);
    this.#metricIds[slot] = "";
  }

  /** Changes whenever the cache starts over (slots are then reused for other metrics). */
  get generation(): number {
    return this.#generation;
  }

  clear(): void {
    this.#generation++;
    this.#arenaUsed = 0;
    this.#entries = 0;
    this.#table.fill(EMPTY);
    this.#metricIds = [];
    this.#slotById.clear();
  }

  #slotFor(metricId: string, now: number): number {
    // Parsed once here, and the id rebuilt from its bytes: a flat canonical string that
    // matches them by construction. The indexer's may be a slice of a larger text, and
    // every request hashes and compares these ids (incoming backlog, sightings): a flat
    // string, always the same object, keeps that to a pointer comparison.
    uuidToBytes(metricId, this.#uuid);
    const canonical = flatString(bytesToUuid(this.#uuid));
    let slot = this.#slotById.get(canonical);
    if (slot === undefined) {
      slot = this.#metricIds.length;
      if (slot >= this.#checkedAt.length) {
        const grown = new Float64Array(this.#checkedAt.length * 2);
        grown.set(this.#checkedAt);
        this.#checkedAt = grown;
        const uuids = new Uint8Array(this.#metricUuids.length * 2);
        uuids.set(this.#metricUuids);
        this.#metricUuids = uuids;
      }
      this.#metricUuids.set(this.#uuid, 16 * slot);
      this.#metricIds.push(canonical);
      this.#slotById.set(canonical, slot);
    }
    // Up to half a TTL older than it is, so series created together are not all re-checked at once.
    this.#checkedAt[slot] = now - Math.random() * 0.5 * this.ttlMs;
    return slot;
  }

  #place(e: number): void {
    const mask = this.#mask;
    let i = this.#keyHash[e]! & mask;
    while (this.#table[i] !== EMPTY) i = (i + 1) & mask;
    this.#table[i] = e;
  }

  #rehash(): void {
    this.#table = new Int32Array(this.#table.length * 2).fill(EMPTY);
    this.#mask = this.#table.length - 1;
    for (let e = 0; e < this.#entries; e++) this.#place(e);
  }

  #growEntries(): void {
    const n = this.#keyStart.length * 2;
    const grow = (a: Int32Array) => {
      const b = new Int32Array(n);
      b.set(a);
      return b;
    };
    this.#keyStart = grow(this.#keyStart);
    this.#keyLength = grow(this.#keyLength);
    this.#keyHash = grow(this.#keyHash);
    this.#slotOf = grow(this.#slotOf);
  }

  #growArena(extra: number): void {
    const bigger = new Uint8Array(Math.max(this.#arena.length * 2, this.#arenaUsed + extra));
    bigger.set(this.#arena.subarray(0, this.#arenaUsed));
    this.#arena = bigger;
    this.#arenaView = viewOf(bigger);
  }
}
