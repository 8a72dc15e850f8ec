/**
 * Metric label sets in SQL (`label_pair`, `metric_label_set`, see
 * migrations.ts) and the in-memory {@link LabelIndex} over them.
 *
 * - {@link canonicalLabels} / {@link labelSetHash}: a label set's canonical
 *   form (names sorted by code point, empty values dropped as Prometheus
 *   does) and its 128-bit identity digest (`label_set_hash`).
 * - {@link insertLabelSets} (inside the caller's transaction, e.g. together
 *   with the metric rows): creates missing pairs, inserts the sets with
 *   `ON CONFLICT DO NOTHING` and reports, per set, the metric that owns it
 *   (an existing one when the same label set was stored before on the same
 *   resource: a set is unique per resource, migration 3). Sets the process's
 *   index already holds for their metric cost no SQL.
 * - {@link LabelStore}: loads the index from SQL, stores through
 *   {@link insertLabelSets} and updates the index after commit, selects by
 *   matchers, lists label names and values (optionally for a time range
 *   through first_seen/last_seen), records sightings. One per process,
 *   shared by PromQL and the ingestion adapters (remote write, statsd), so
 *   series they store are selectable at once and sets it holds cost no SQL.
 * Every value travels as a parameter.
 */
import { createHash } from "node:crypto";
import { compareCodePoints } from "../carbonara/code-points.js";
import type { SqlDriver, SqlExecutor, SqlParam } from "./driver.js";
import { timestampParam } from "./driver.js";
import { InvalidLabelSetError } from "./errors.js";
import {
  LabelIndex,
  type LabelMatcher,
  type LabelPair,
  type Labels,
  type TimeRange,
} from "./label-index.js";

/** Byte limit of name + value of one pair (the `label_pair_size` check). */
export const MAX_LABEL_PAIR_BYTES = 2048;

/** `[name, value]` pairs sorted by name (code point order), empty values dropped. */
export function canonicalLabels(labels: Labels): [string, string][] {
  const pairs: [string, string][] = [];
  for (const [name, value] of Object.entries(labels)) {
    if (typeof value !== "string")
      throw new InvalidLabelSetError(`label ${JSON.stringify(name)} must have a string value`);
    if (name === "") throw new InvalidLabelSetError("label names must not be empty");
    if (value === "") continue;
    // A UTF-16 code unit is at most 3 UTF-8 bytes: most pairs need no byte count.
    if (
      (name.length + value.length) * 3 > MAX_LABEL_PAIR_BYTES &&
      Buffer.byteLength(name) + Buffer.byteLength(value) > MAX_LABEL_PAIR_BYTES
    ) {
      throw new InvalidLabelSetError(
        `label ${JSON.stringify(name.slice(0, 100))}: name and value exceed ${MAX_LABEL_PAIR_BYTES} bytes`,
      );
    }
    pairs.push([name, value]);
  }
  // Code point (= UTF-8 byte-wise) order, matching COLLATE "C".
  pairs.sort((a, b) => compareCodePoints(a[0], b[0]));
  if (pairs.length === 0) throw new InvalidLabelSetError("a label set needs at least one label");
  return pairs;
}

/** The series identity: a 128-bit SHA-256 prefix of the canonical label set, as a uuid string. */
export function labelSetHash(labels: Labels | readonly (readonly [string, string])[]): string {
  const pairs = Array.isArray(labels) ? labels : canonicalLabels(labels as Labels);
  // `<bytes>:<name><bytes>:<value>…`, hashed in one update (batches hash thousands of sets).
  let text = "";
  for (const [name, value] of pairs as readonly (readonly [string, string])[]) {
    text += `${Buffer.byteLength(name)}:${name}${Buffer.byteLength(value)}:${value}`;
  }
  const hex = createHash("sha256").update(text).digest("hex").slice(0, 32);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/**
 * Ids of the given pairs that exist, into `out` (keyed `name\u0000value`);
 * returns the pairs not found. One statement, one index probe per pair
 * (the `(SELECT $n)` arrays keep the planner from pricing a hash join over
 * the whole table instead; see ingest-resolver.ts `lookup`).
 */
async function readLabelPairs(
  db: SqlExecutor,
  pairs: readonly (readonly [string, string])[],
  out: Map<string, LabelPair>,
): Promise<(readonly [string, string])[]> {
  const r = await db.query<{ ids: string | null }>(
    `SELECT string_agg(COALESCE(p.id::text, '-'), ' ' ORDER BY t.i) AS ids
       FROM unnest((SELECT $1::text[]), (SELECT $2::text[])) WITH ORDINALITY AS t(n, v, i)
       LEFT JOIN LATERAL (SELECT p.id FROM label_pair p
                           WHERE p.name = t.n AND p.value = t.v LIMIT 1) p ON true`,
    [pairs.map((p) => p[0]), pairs.map((p) => p[1])],
  );
  const ids = (r.rows[0]?.ids ?? "").split(" ");
  const missing: (readonly [string, string])[] = [];
  pairs.forEach((p, i) => {
    const id = ids[i];
    if (id === undefined || id === "-") missing.push(p);
    else out.set(`${p[0]}\u0000${p[1]}`, { id: Number(id), name: p[0], value: p[1] });
  });
  return missing;
}

/** `(name, value)` in code point order, as the `COLLATE "C"` unique index orders them. */
function byNameValue(a: readonly [string, string], b: readonly [string, string]): number {
  return compareCodePoints(a[0], b[0]) || compareCodePoints(a[1], b[1]);
}

/**
 * Ids of label pairs, creating the missing ones (concurrency-safe:
 * `ON CONFLICT DO NOTHING`, then read back). Keyed by `name\u0000value`.
 * Only pairs not found are inserted: an insert that conflicts still uses up
 * a value of the `integer` identity.
 */
export async function ensureLabelPairs(
  tx: SqlExecutor,
  pairs: readonly (readonly [string, string])[],
): Promise<Map<string, LabelPair>> {
  const unique = new Map<string, readonly [string, string]>();
  for (const p of pairs) unique.set(`${p[0]}\u0000${p[1]}`, p);
  const out = new Map<string, LabelPair>();
  if (unique.size === 0) return out;
  const missing = await readLabelPairs(tx, [...unique.values()], out);
  if (missing.length > 0) {
    // One order for every writer (the unique index's), so two transactions
    // inserting overlapping new pairs never wait on each other crosswise.
    missing.sort(byNameValue);
    await tx.query(
      `INSERT INTO label_pair (name, value)
       SELECT n, v FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS t(n, v, i)
       ORDER BY t.i
       ON CONFLICT (name, value) DO NOTHING`,
      [missing.map((p) => p[0]), missing.map((p) => p[1])],
    );
    await readLabelPairs(tx, missing, out);
  }
  return out;
}

/**
 * The metric owning each (metric's scope, hash), by entry index, into `into`:
 * one primary-key probe of the metric (its resource is the scope) and one
 * probe of the unique (label_set_hash, scope_id) index per entry.
 */
async function labelSetOwners(
  db: SqlExecutor,
  metricIds: readonly string[],
  hashes: readonly string[],
  positions: readonly number[],
  into: Map<number, string>,
): Promise<void> {
  if (positions.length === 0) return;
  const r = await db.query<{ owners: string | null }>(
    `SELECT string_agg(t.i::text || ' ' || s.metric_id::text, ' ') AS owners
       FROM unnest((SELECT $1::uuid[]), (SELECT $2::uuid[])) WITH ORDINALITY AS t(m, h, i)
       LEFT JOIN metric m ON m.id = t.m
       JOIN LATERAL (SELECT s.metric_id FROM metric_label_set s
                      WHERE s.label_set_hash = t.h AND s.scope_id = COALESCE(m.resource_id, t.m)
                      LIMIT 1) s ON true`,
    [positions.map((i) => metricIds[i]!), positions.map((i) => hashes[i]!)],
  );
  const words = (r.rows[0]?.owners ?? "").split(" ");
  for (let k = 0; k + 1 < words.length; k += 2)
    into.set(positions[Number(words[k]) - 1]!, words[k + 1]!);
}

export interface LabelSetInput {
  readonly metricId: string;
  readonly labels: Labels;
  /** µs; sets first_seen and last_seen. */
  readonly seenAt?: number;
}

export interface StoredLabelSet {
  /** The metric the caller asked to label. */
  readonly metricId: string;
  /**
   * The metric that owns this label set in the metric's scope (its resource,
   * or the metric itself without one): `metricId`, or the one that had it already.
   */
  readonly ownerId: string;
  /** The set's `label_set_hash` (computed on first read for sets answered from memory). */
  readonly hash: string;
  /** Whether this call inserted the set. */
  readonly inserted: boolean;
  /** The set's pairs with their ids when this call inserted it (what the index needs); else empty. */
  readonly pairs: readonly LabelPair[];
  readonly seenAt: number | null;
}

const NO_PAIRS: readonly LabelPair[] = [];

/** The answer for a metric that already carries exactly its labels (no hash computed unless read). */
function alreadyStored(entry: LabelSetInput): StoredLabelSet {
  let hash: string | undefined;
  return {
    metricId: entry.metricId,
    ownerId: entry.metricId,
    get hash() {
      hash ??= labelSetHash(entry.labels);
      return hash;
    },
    inserted: false,
    pairs: NO_PAIRS,
    seenAt: entry.seenAt ?? null,
  };
}

/**
 * Stores label sets in the caller's transaction. A label set already stored
 * in the metric's scope (same hash, same resource) is not inserted again:
 * its `ownerId` is the existing metric; the same set on another resource (a
 * second user's series) is a series of its own.
 *
 * With `known` (the process's label index), a metric already carrying
 * exactly its labels there is answered without SQL: the index only holds
 * rows read from or written to SQL, and a metric's label set never changes.
 * Anything else goes to SQL, so sets other processes stored are found too.
 * Sets already stored cost one statement for the whole batch; pairs and
 * inserts are only for the others, so a batch of known sets uses up no
 * `seq` value (a gap {@link LabelStore.refresh} would re-read). New pairs
 * and sets are inserted in one fixed order (the unique indexes'), so
 * concurrent writers of overlapping sets never deadlock.
 * Call {@link LabelStore.applyStored} after commit to update the index.
 */
export async function insertLabelSets(
  tx: SqlExecutor,
  entries: readonly LabelSetInput[],
  known?: LabelIndex,
): Promise<StoredLabelSet[]> {
  const results = new Array<StoredLabelSet>(entries.length);
  const rest: number[] = [];
  for (let i = 0; i < entries.length; i++) {
    const e = entries[i]!;
    if (known?.hasLabels(e.metricId, e.labels)) results[i] = alreadyStored(e);
    else rest.push(i);
  }
  if (rest.length === 0) return results;
  const canon = new Map<number, [string, string][]>();
  const hashes: string[] = [];
  for (const i of rest) {
    const c = canonicalLabels(entries[i]!.labels);
    canon.set(i, c);
    hashes[i] = labelSetHash(c);
  }
  const metricIds = entries.map((e) => e.metricId);
  const owners = new Map<number, string>();
  await labelSetOwners(tx, metricIds, hashes, rest, owners);
  const fresh = rest.filter((i) => !owners.has(i));
  const insertedIds = new Set<string>();
  const pairsOf = new Map<number, LabelPair[]>();
  if (fresh.length > 0) {
    const pairs = await ensureLabelPairs(
      tx,
      fresh.flatMap((i) => canon.get(i)!),
    );
    for (const i of fresh)
      pairsOf.set(
        i,
        canon.get(i)!.map((p) => pairs.get(`${p[0]}\u0000${p[1]}`)!),
      );
    // Rows go in (label_set_hash, scope_id) order, the unique index's, so
    // concurrent batches lock them in one order. A missing metric still
    // fails on the foreign key (LEFT JOIN).
    const inserted = await tx.query<{ metric_id: string }>(
      `INSERT INTO metric_label_set (metric_id, scope_id, label_ids, label_set_hash, first_seen, last_seen)
       SELECT t.m, COALESCE(m.resource_id, t.m), t.ids::integer[], t.h, t.s, t.s
       FROM unnest((SELECT $1::uuid[]), (SELECT $2::text[]), (SELECT $3::uuid[]),
                   (SELECT $4::timestamptz[])) AS t(m, ids, h, s)
       LEFT JOIN metric m ON m.id = t.m
       ORDER BY t.h, COALESCE(m.resource_id, t.m), t.m
       ON CONFLICT DO NOTHING
       RETURNING metric_id::text`,
      [
        fresh.map((i) => metricIds[i]!),
        fresh.map(
          (i) =>
            `{${pairsOf
              .get(i)!
              .map((p) => p.id)
              .sort((a, b) => a - b)
              .join(",")}}`,
        ),
        fresh.map((i) => hashes[i]!),
        fresh.map((i) => {
          const seenAt = entries[i]!.seenAt;
          return seenAt === undefined ? null : timestampParam(seenAt);
        }),
      ],
    );
    for (const row of inserted.rows) insertedIds.add(row.metric_id);
    if (insertedIds.size < fresh.length) {
      // Sets another metric (of this batch, or a concurrent writer) stored first.
      const others = fresh.filter((i) => !insertedIds.has(metricIds[i]!));
      await labelSetOwners(tx, metricIds, hashes, others, owners);
    }
  }
  for (const i of rest) {
    const e = entries[i]!;
    const wasInserted = pairsOf.has(i) && insertedIds.has(e.metricId);
    results[i] = {
      metricId: e.metricId,
      ownerId: wasInserted ? e.metricId : (owners.get(i) ?? e.metricId),
      hash: hashes[i]!,
      inserted: wasInserted,
      pairs: wasInserted ? pairsOf.get(i)! : NO_PAIRS,
      seenAt: e.seenAt ?? null,
    };
  }
  return results;
}

export interface LoadOptions {
  /** Rows per round trip while loading (default 100,000). */
  readonly batchSize?: number;
}

/** How long a hole in the `seq` numbers is re-read before it counts as a rolled-back insert. */
const GAP_LIFETIME_MS = 120_000;

/**
 * How much older than the reader's clock a `last_seen` stamp may be when its
 * UPDATE becomes visible (statement time, commit, clock skew between
 * processes): stamps that recent are read again by the next refresh that
 * follows `last_seen`. One that commits later still is missed until the
 * series' next stamp (remote write stamps every 30 s while it writes).
 */
const LATE_STAMP_MS = 5_000;

export interface RefreshOptions {
  /**
   * false: no removal check (a caller that filters out deleted metrics
   * itself, on a hot path). Default true.
   */
  readonly removals?: boolean;
  /**
   * true: also widen first_seen/last_seen of known series to what other
   * processes stamped since the last such refresh (for `start` on the
   * metadata endpoints of a process that does not ingest itself). Default false.
   */
  readonly lastSeen?: boolean;
}

/** Label set rows, one text line each (`<uuid> <first µs|-> <last µs|-> <seq> <id> <id>...`). */
const ROW_LINE = `metric_id::text || ' ' ||
  COALESCE((extract(epoch FROM first_seen) * 1000000)::bigint::text, '-') || ' ' ||
  COALESCE((extract(epoch FROM last_seen) * 1000000)::bigint::text, '-') || ' ' ||
  seq::text || ' ' || array_to_string(label_ids, ' ')`;

export class LabelStore {
  readonly index: LabelIndex;
  /** Highest `seq` read from SQL. */
  #watermark = 0;
  /** `seq` values below the watermark not seen yet (an insert still in flight, or rolled back) → expiry. */
  readonly #gaps = new Map<number, number>();
  /** µs: `last_seen` stamps after this may not have been read yet (see {@link RefreshOptions.lastSeen}). */
  #stampsAfter: number;

  private constructor(index: LabelIndex, loadedAt: number) {
    this.index = index;
    this.#stampsAfter = (loadedAt - LATE_STAMP_MS) * 1000;
  }

  /**
   * Adds the rows of one text batch; returns the `seq` values read. With
   * `skipKnown`, a series the index holds only has its seen range widened
   * (SQL only ever widens it too, and this process may know a later sighting).
   */
  #addLines(lines: readonly string[], skipKnown: boolean): number[] {
    const seqs: number[] = [];
    const ids: number[] = [];
    for (const line of lines) {
      const parts = line.split(" ");
      seqs.push(Number(parts[3]));
      const first = parts[1] === "-" ? null : Number(parts[1]);
      const last = parts[2] === "-" ? null : Number(parts[2]);
      if (skipKnown && this.index.hasSeries(parts[0]!)) {
        if (first !== null) this.index.touch(parts[0]!, first);
        if (last !== null) this.index.touch(parts[0]!, last);
        continue;
      }
      ids.length = 0;
      for (let i = 4; i < parts.length; i++) ids.push(Number(parts[i]));
      this.index.addSeries(parts[0]!, ids, first, last);
    }
    return seqs;
  }

  /** Moves the watermark over `seqs` (ascending or not); holes become gaps to re-read. */
  #advance(seqs: number[], now: number): void {
    for (const seq of seqs) this.#gaps.delete(seq);
    const fresh = seqs.filter((q) => q > this.#watermark).sort((a, b) => a - b);
    let previous = this.#watermark;
    for (const seq of fresh) {
      for (let hole = previous + 1; hole < seq; hole++) this.#gaps.set(hole, now + GAP_LIFETIME_MS);
      previous = seq;
    }
    this.#watermark = previous;
    for (const [seq, expiry] of this.#gaps) if (expiry <= now) this.#gaps.delete(seq);
  }

  /**
   * Picks up what other processes changed since the last load or refresh:
   * label sets stored (by `seq` above the watermark, and the open gaps below
   * it, so an insert that committed late is not missed) and series whose
   * metric was expunged; with `lastSeen`, `last_seen` stamps too (see
   * {@link RefreshOptions}). Cheap when nothing changed: one text-aggregated
   * read of index ranges (`seq`, and `last_seen` when asked) and one count.
   * `now` (ms) must be read before the call's statements run.
   */
  async refresh(
    db: SqlExecutor,
    now = Date.now(),
    options: RefreshOptions = {},
  ): Promise<{ added: number; removed: number }> {
    const before = this.index.size;
    const params: SqlParam[] = [this.#watermark, [...this.#gaps.keys()]];
    let where = "seq > $1::bigint OR seq = ANY($2::bigint[])";
    if (options.lastSeen === true) {
      // A BitmapOr of the seq and last_seen indexes: rows stamped since the
      // last such refresh (and a margin for stamps that commit late), most
      // of them series the index holds, whose range is then widened.
      params.push(timestampParam(this.#stampsAfter));
      where += " OR last_seen > $3::timestamptz";
    }
    const r = await db.query<{ body: string | null }>(
      `SELECT string_agg(${ROW_LINE}, E'\n') AS body FROM metric_label_set WHERE ${where}`,
      params,
    );
    if (options.lastSeen === true)
      this.#stampsAfter = Math.max(this.#stampsAfter, (now - LATE_STAMP_MS) * 1000);
    const body = r.rows[0]?.body ?? null;
    if (body !== null) {
      const lines = body.split("\n");
      const missingPairs = new Set<number>();
      for (const line of lines) {
        const parts = line.split(" ");
        if (this.index.hasSeries(parts[0]!)) continue;
        for (let i = 4; i < parts.length; i++) {
          const id = Number(parts[i]);
          if (this.index.pairName(id) === undefined) missingPairs.add(id);
        }
      }
      if (missingPairs.size > 0) {
        const pairs = await db.query<LabelPair>(
          "SELECT id, name, value FROM label_pair WHERE id = ANY($1::int[])",
          [[...missingPairs]],
        );
        for (const p of pairs.rows) this.index.addPair(p);
      }
      this.#advance(this.#addLines(lines, true), now);
    } else {
      this.#advance([], now);
    }
    const added = this.index.size - before;
    if (options.removals === false) return { added, removed: 0 };
    const count = await db.query<{ n: number }>("SELECT count(*)::int AS n FROM metric_label_set");
    let removed = 0;
    if ((count.rows[0]?.n ?? 0) < this.index.size) {
      const live = await db.query<{ ids: string | null }>(
        "SELECT string_agg(metric_id::text, ' ') AS ids FROM metric_label_set",
      );
      const alive = new Set((live.rows[0]?.ids ?? "").split(" "));
      for (const id of this.index.seriesIds()) {
        if (!alive.has(id) && this.index.removeSeries(id)) removed++;
      }
    }
    return { added, removed };
  }

  /** Calls {@link refresh} every `intervalMs` until the returned function is called. */
  refreshEvery(
    db: SqlExecutor,
    intervalMs: number,
    onError: (error: unknown) => void,
    options: RefreshOptions = {},
  ): () => void {
    let running = false;
    const timer = setInterval(() => {
      if (running) return;
      running = true;
      this.refresh(db, Date.now(), options).then(
        () => {
          running = false;
        },
        (error: unknown) => {
          running = false;
          onError(error);
        },
      );
    }, intervalMs);
    timer.unref();
    return () => clearInterval(timer);
  }

  /** Loads every label pair and label set from SQL. */
  static async load(db: SqlExecutor, options: LoadOptions = {}): Promise<LabelStore> {
    const index = new LabelIndex();
    // Before any batch is read: stamps made while loading are re-read by a refresh.
    const loadedAt = Date.now();
    const pairs = await db.query<LabelPair>("SELECT id, name, value FROM label_pair ORDER BY id");
    for (const p of pairs.rows) index.addPair(p);
    const store = new LabelStore(index, loadedAt);
    const batch = options.batchSize ?? 100_000;
    const seqs: number[] = [];
    let after: string | null = null;
    for (;;) {
      // One text row per batch: far cheaper to transfer and parse than
      // 100,000 rows with array columns, on PGlite above all.
      const r: { rows: { n: number; last: string | null; body: string | null }[] } =
        await db.query<{ n: number; last: string | null; body: string | null }>(
          `SELECT count(*)::int AS n, max(metric_id::text) AS last,
                  string_agg(${ROW_LINE}, E'\n') AS body
           FROM (SELECT metric_id, label_ids, first_seen, last_seen, seq FROM metric_label_set
                 WHERE $1::uuid IS NULL OR metric_id > $1::uuid
                 ORDER BY metric_id LIMIT $2) AS b`,
          [after, batch],
        );
      const row = r.rows[0];
      if (row === undefined || row.n === 0 || row.body === null) break;
      for (const seq of store.#addLines(row.body.split("\n"), false)) seqs.push(seq);
      if (row.n < batch) break;
      after = row.last;
    }
    store.#advance(seqs, Date.now());
    return store;
  }

  /** Puts the result of {@link insertLabelSets} into the index (after the transaction committed). */
  applyStored(stored: readonly StoredLabelSet[]): void {
    for (const s of stored) {
      if (!s.inserted) continue;
      if (this.index.hasSeries(s.metricId)) {
        // A concurrent refresh read the committed row first: same labels (a
        // metric's set never changes), keep its ordinal.
        if (s.seenAt !== null) this.index.touch(s.metricId, s.seenAt);
        continue;
      }
      for (const p of s.pairs) this.index.addPair(p);
      this.index.addSeries(
        s.metricId,
        s.pairs.map((p) => p.id).sort((a, b) => a - b),
        s.seenAt,
        s.seenAt,
      );
    }
  }

  /**
   * Stores label sets in their own transaction and updates the index. Sets
   * the index already holds for their metric cost no SQL; a transaction is
   * opened only for the others.
   */
  async store(db: SqlDriver, entries: readonly LabelSetInput[]): Promise<StoredLabelSet[]> {
    const results = new Array<StoredLabelSet>(entries.length);
    const rest: LabelSetInput[] = [];
    const positions: number[] = [];
    entries.forEach((e, i) => {
      if (this.index.hasLabels(e.metricId, e.labels)) results[i] = alreadyStored(e);
      else {
        rest.push(e);
        positions.push(i);
      }
    });
    if (rest.length === 0) return results;
    const stored = await db.transaction((tx) => insertLabelSets(tx, rest));
    this.applyStored(stored);
    stored.forEach((s, k) => {
      results[positions[k]!] = s;
    });
    return results;
  }

  /** Records that the series were seen at `at` (µs): widens first_seen/last_seen. */
  async touch(db: SqlExecutor, metricIds: readonly string[], at: number): Promise<void> {
    if (metricIds.length === 0) return;
    await db.query(
      `UPDATE metric_label_set SET
         first_seen = LEAST(COALESCE(first_seen, $2::timestamptz), $2::timestamptz),
         last_seen = GREATEST(COALESCE(last_seen, $2::timestamptz), $2::timestamptz)
       WHERE metric_id = ANY($1::uuid[])
         AND (first_seen IS NULL OR last_seen IS NULL OR first_seen > $2::timestamptz OR last_seen < $2::timestamptz)`,
      [[...metricIds], timestampParam(at)],
    );
    for (const id of metricIds) this.index.touch(id, at);
  }

  /** Drops series from the index (their metrics were expunged; SQL rows go by cascade). */
  forget(metricIds: readonly string[]): void {
    for (const id of metricIds) this.index.removeSeries(id);
  }

  /** Metric ids of the series matching every matcher (seen in `range` when given). */
  select(matchers: readonly LabelMatcher[], range?: TimeRange): string[] {
    return this.index.select(matchers, range);
  }

  labelNames(range?: TimeRange, matchers: readonly LabelMatcher[] = []): string[] {
    return this.index.labelNames(range, matchers);
  }

  labelValues(name: string, range?: TimeRange, matchers: readonly LabelMatcher[] = []): string[] {
    return this.index.labelValues(name, range, matchers);
  }

  labelsOf(metricId: string): Record<string, string> | undefined {
    return this.index.labelsOf(metricId);
  }
}
