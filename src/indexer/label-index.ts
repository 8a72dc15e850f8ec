/**
 * In-memory inverted index of metric label sets (the Prometheus adapter and
 * PromQL select series by label matchers). Loaded from `label_pair` /
 * `metric_label_set` by label-store.ts and kept current as label sets are
 * stored, touched and forgotten.
 *
 * Layout (about 30 bytes per series plus 4 per label, for 1,000,000 series
 * of 6 labels ~55 MB):
 * - each series gets a dense ordinal (0, 1, 2, ... in insertion order);
 *   `metricIds[ordinal]` is its metric uuid;
 * - a posting list per label pair (SQL `label_pair.id`) is a growable
 *   Uint32Array of ordinals, sorted because ordinals only grow;
 * - the label pair ids of every series sit in one flat Int32Array
 *   (`offsets[ordinal]` .. `offsets[ordinal + 1]`), for listing and removal;
 * - first/last seen times (µs, NaN when unknown) in Float64Arrays;
 * - removed series are tombstoned in a bitmap.
 *
 * Selection (`{job="node", mode=~"idle|iowait"}`): each matcher becomes a
 * union of posting lists, positive ("has one of these pairs") or negative
 * ("has none of these pairs") depending on whether it matches the empty
 * value (Prometheus semantics: an absent label has the value ""). Positive
 * unions are intersected smallest first over a reusable bitmap, negative
 * ones then remove ordinals. Regexes are RE2-style and fully anchored
 * (`^(?s:re)$`); an alternation of plain literals is looked up directly,
 * other regexes are tested against the label name's values only.
 */
import { compareCodePoints } from "../carbonara/code-points.js";
import { InvalidLabelMatcherError } from "./errors.js";

export type MatchOp = "=" | "!=" | "=~" | "!~";

export interface LabelMatcher {
  readonly name: string;
  readonly op: MatchOp;
  readonly value: string;
}

/** A series' labels, name → value (including `__name__`). */
export type Labels = Readonly<Record<string, string>>;

/** A time range in µs since the epoch; a series is in it if it was seen in [start, end]. */
export interface TimeRange {
  readonly start?: number;
  readonly end?: number;
}

/** A label pair with its SQL id. */
export interface LabelPair {
  readonly id: number;
  readonly name: string;
  readonly value: string;
}

class Posting {
  ids = new Uint32Array(4);
  length = 0;

  push(ordinal: number): void {
    if (this.length === this.ids.length) {
      const grown = new Uint32Array(this.ids.length * 2);
      grown.set(this.ids);
      this.ids = grown;
    }
    this.ids[this.length++] = ordinal;
  }

  view(): Uint32Array {
    return this.ids.subarray(0, this.length);
  }
}

function growInt32(a: Int32Array<ArrayBuffer>, needed: number): Int32Array<ArrayBuffer> {
  if (needed <= a.length) return a;
  const grown = new Int32Array(Math.max(needed, a.length * 2));
  grown.set(a);
  return grown;
}

function growUint32(a: Uint32Array<ArrayBuffer>, needed: number): Uint32Array<ArrayBuffer> {
  if (needed <= a.length) return a;
  const grown = new Uint32Array(Math.max(needed, a.length * 2));
  grown.set(a);
  return grown;
}

function growFloat64(a: Float64Array<ArrayBuffer>, needed: number): Float64Array<ArrayBuffer> {
  if (needed <= a.length) return a;
  const grown = new Float64Array(Math.max(needed, a.length * 2)).fill(Number.NaN);
  grown.set(a);
  return grown;
}

// ---------------------------------------------------------------------------
// RE2-style regexes.

const LITERAL_ALTERNATION =
  /^[A-Za-z0-9_:/ ,;@#=<>"'`~%&!-]*(?:\|[A-Za-z0-9_:/ ,;@#=<>"'`~%&!-]*)*$/;

interface CompiledMatcher {
  readonly test: (value: string) => boolean;
  /** The exact values it matches when it is an alternation of literals. */
  readonly literals?: readonly string[];
}

const regexCache = new Map<string, CompiledMatcher>();

/**
 * Compiles an RE2-style regex, anchored at both ends with `.` matching
 * newlines, as Prometheus does. Constructs RE2 lacks (backreferences,
 * lookaround) are refused; `(?P<name>...)` and a leading `(?i)` are accepted.
 * @throws InvalidLabelMatcherError
 */
export function compileLabelRegex(source: string): CompiledMatcher {
  const cached = regexCache.get(source);
  if (cached) return cached;
  let compiled: CompiledMatcher;
  if (LITERAL_ALTERNATION.test(source)) {
    const literals = [...new Set(source.split("|"))];
    const set = new Set(literals);
    compiled = { test: (v) => set.has(v), literals };
  } else {
    let body = source;
    let flags = "s";
    const inline = /^\(\?([a-zA-Z]+)\)/.exec(body);
    if (inline) {
      for (const f of inline[1]!) {
        if (f === "i") flags += "i";
        else if (f !== "s")
          throw new InvalidLabelMatcherError(
            `unsupported regex flag ${f} in ${JSON.stringify(source)}`,
          );
      }
      body = body.slice(inline[0].length);
    }
    if (/\(\?<?[=!]/.test(body) || /\\[1-9]|\\k</.test(body)) {
      throw new InvalidLabelMatcherError(
        `invalid regex ${JSON.stringify(source)}: lookaround and backreferences are not supported`,
      );
    }
    body = body.replaceAll("(?P<", "(?<");
    let re: RegExp;
    try {
      re = new RegExp(`^(?:${body})$`, `${flags}u`);
    } catch {
      try {
        re = new RegExp(`^(?:${body})$`, flags);
      } catch (error) {
        throw new InvalidLabelMatcherError(
          `invalid regex ${JSON.stringify(source)}: ${error instanceof Error ? error.message : String(error)}`,
        );
      }
    }
    compiled = { test: (v) => re.test(v) };
  }
  if (regexCache.size > 1000) regexCache.clear();
  regexCache.set(source, compiled);
  return compiled;
}

/** The predicate a matcher applies to a label value ("" when absent). */
export function matcherPredicate(m: LabelMatcher): CompiledMatcher {
  switch (m.op) {
    case "=":
      return { test: (v) => v === m.value, literals: [m.value] };
    case "!=":
      return { test: (v) => v !== m.value };
    case "=~":
      return compileLabelRegex(m.value);
    case "!~": {
      const re = compileLabelRegex(m.value);
      return { test: (v) => !re.test(v) };
    }
    default:
      throw new InvalidLabelMatcherError(`unknown label matcher operator ${String(m.op)}`);
  }
}

// ---------------------------------------------------------------------------

interface Constraint {
  readonly positive: boolean;
  readonly postings: readonly Uint32Array[];
  readonly size: number;
}

export class LabelIndex {
  /** name → value → pair id. */
  readonly #dictionary = new Map<string, Map<string, number>>();
  /** pair id → [name, value]. */
  readonly #pairs = new Map<number, readonly [string, string]>();
  readonly #postings = new Map<number, Posting>();

  #metricIds: string[] = [];
  readonly #ordinals = new Map<string, number>();
  #offsets = new Uint32Array(1024);
  #flat = new Int32Array(4096);
  #flatLength = 0;
  #firstSeen = new Float64Array(1024).fill(Number.NaN);
  #lastSeen = new Float64Array(1024).fill(Number.NaN);
  #dead = new Uint32Array(32);
  #deadCount = 0;
  /** Scratch bitmap for set operations, all zero between calls. */
  #scratch = new Uint32Array(32);

  /** Number of live series. */
  get size(): number {
    return this.#metricIds.length - this.#deadCount;
  }

  /** Registers a label pair (idempotent). */
  addPair(pair: LabelPair): void {
    if (this.#pairs.has(pair.id)) return;
    this.#pairs.set(pair.id, [pair.name, pair.value]);
    let values = this.#dictionary.get(pair.name);
    if (values === undefined) {
      values = new Map();
      this.#dictionary.set(pair.name, values);
    }
    values.set(pair.value, pair.id);
  }

  pairId(name: string, value: string): number | undefined {
    return this.#dictionary.get(name)?.get(value);
  }

  hasSeries(metricId: string): boolean {
    const o = this.#ordinals.get(metricId);
    return o !== undefined && !this.#isDead(o);
  }

  /**
   * Adds a series by its pair ids (pairs registered with {@link addPair}).
   * A metric id already present is replaced.
   */
  addSeries(
    metricId: string,
    pairIds: ArrayLike<number>,
    firstSeen: number | null = null,
    lastSeen: number | null = null,
  ): void {
    if (this.#ordinals.has(metricId)) this.removeSeries(metricId);
    const ordinal = this.#metricIds.length;
    this.#metricIds.push(metricId);
    this.#ordinals.set(metricId, ordinal);
    this.#offsets = growUint32(this.#offsets, ordinal + 2);
    this.#flat = growInt32(this.#flat, this.#flatLength + pairIds.length);
    this.#offsets[ordinal] = this.#flatLength;
    for (let i = 0; i < pairIds.length; i++) {
      const id = pairIds[i]!;
      this.#flat[this.#flatLength++] = id;
      let posting = this.#postings.get(id);
      if (posting === undefined) {
        posting = new Posting();
        this.#postings.set(id, posting);
      }
      posting.push(ordinal);
    }
    this.#offsets[ordinal + 1] = this.#flatLength;
    this.#firstSeen = growFloat64(this.#firstSeen, ordinal + 1);
    this.#lastSeen = growFloat64(this.#lastSeen, ordinal + 1);
    this.#firstSeen[ordinal] = firstSeen ?? Number.NaN;
    this.#lastSeen[ordinal] = lastSeen ?? Number.NaN;
    const words = (ordinal >>> 5) + 1;
    this.#dead = growUint32(this.#dead, words);
    this.#scratch = growUint32(this.#scratch, words);
  }

  /**
   * Whether the live series of `metricId` has exactly `labels` (empty values
   * ignored, as stored). Allocates nothing: each label is looked up in the
   * dictionary and searched among the series' few pair ids; names are
   * unique on both sides, so equal counts and every label found mean equal
   * sets. A label that is not a stored pair (bad input included) answers false.
   */
  hasLabels(metricId: string, labels: Labels): boolean {
    const o = this.#ordinals.get(metricId);
    if (o === undefined || this.#isDead(o)) return false;
    const from = this.#offsets[o]!;
    const to = this.#offsets[o + 1]!;
    let count = 0;
    for (const name in labels) {
      const value = labels[name];
      if (value === "") continue;
      const id = this.#dictionary.get(name)?.get(value as string);
      if (id === undefined) return false;
      let k = from;
      while (k < to && this.#flat[k] !== id) k++;
      if (k === to) return false;
      count++;
    }
    return count === to - from;
  }

  /** Tombstones a series (its metric was expunged). */
  removeSeries(metricId: string): boolean {
    const o = this.#ordinals.get(metricId);
    if (o === undefined) return false;
    this.#ordinals.delete(metricId);
    if (!this.#isDead(o)) {
      this.#dead[o >>> 5]! |= 1 << (o & 31);
      this.#deadCount++;
    }
    return true;
  }

  /** Widens a series' seen range to include `at` (µs). */
  touch(metricId: string, at: number): void {
    const o = this.#ordinals.get(metricId);
    if (o === undefined) return;
    const first = this.#firstSeen[o]!;
    const last = this.#lastSeen[o]!;
    if (Number.isNaN(first) || at < first) this.#firstSeen[o] = at;
    if (Number.isNaN(last) || at > last) this.#lastSeen[o] = at;
  }

  /** The name of a registered pair, or undefined. */
  pairName(pairId: number): string | undefined {
    return this.#pairs.get(pairId)?.[0];
  }

  /** Metric ids of the live series. */
  *seriesIds(): Generator<string> {
    for (let o = 0; o < this.#metricIds.length; o++) {
      if (!this.#isDead(o)) yield this.#metricIds[o]!;
    }
  }

  /** The labels of a series, or undefined. */
  labelsOf(metricId: string): Record<string, string> | undefined {
    const o = this.#ordinals.get(metricId);
    if (o === undefined || this.#isDead(o)) return undefined;
    const out: Record<string, string> = {};
    for (let i = this.#offsets[o]!; i < this.#offsets[o + 1]!; i++) {
      const pair = this.#pairs.get(this.#flat[i]!);
      if (pair) out[pair[0]] = pair[1];
    }
    return out;
  }

  #isDead(o: number): boolean {
    return (this.#dead[o >>> 5]! & (1 << (o & 31))) !== 0;
  }

  #inRange(o: number, range: TimeRange | undefined): boolean {
    if (range === undefined) return true;
    const first = this.#firstSeen[o]!;
    const last = this.#lastSeen[o]!;
    if (range.start !== undefined && !Number.isNaN(last) && last < range.start) return false;
    if (range.end !== undefined && !Number.isNaN(first) && first > range.end) return false;
    return true;
  }

  #constraint(m: LabelMatcher): Constraint {
    const predicate = matcherPredicate(m);
    const values = this.#dictionary.get(m.name);
    const positive = !predicate.test("");
    const postings: Uint32Array[] = [];
    let size = 0;
    const take = (pairId: number | undefined) => {
      if (pairId === undefined) return;
      const p = this.#postings.get(pairId);
      if (p === undefined || p.length === 0) return;
      postings.push(p.view());
      size += p.length;
    };
    if (values !== undefined) {
      if (positive && predicate.literals !== undefined) {
        for (const v of predicate.literals) take(values.get(v));
      } else {
        // Positive: pairs whose value matches; negative: pairs whose value does not.
        for (const [v, id] of values) if (predicate.test(v) === positive) take(id);
      }
    }
    return { positive, postings, size };
  }

  /** Marks the ordinals of `postings` in the scratch bitmap; returns how to undo it. */
  #mark(postings: readonly Uint32Array[]): void {
    const bits = this.#scratch;
    for (const p of postings)
      for (let i = 0; i < p.length; i++) bits[p[i]! >>> 5]! |= 1 << (p[i]! & 31);
  }

  #unmark(postings: readonly Uint32Array[]): void {
    const bits = this.#scratch;
    for (const p of postings) for (let i = 0; i < p.length; i++) bits[p[i]! >>> 5] = 0;
  }

  /** Ordinals (ascending) of live series matching every matcher, within the range. */
  selectOrdinals(matchers: readonly LabelMatcher[], range?: TimeRange): Uint32Array {
    const constraints = matchers.map((m) => this.#constraint(m));
    const positives = constraints.filter((c) => c.positive).sort((a, b) => a.size - b.size);
    const negatives = constraints.filter((c) => !c.positive);
    let candidates: Uint32Array;
    const first = positives[0];
    if (first === undefined) {
      candidates = new Uint32Array(this.#metricIds.length);
      for (let i = 0; i < candidates.length; i++) candidates[i] = i;
    } else if (first.postings.length === 1) {
      candidates = first.postings[0]!;
    } else if (first.size === 0) {
      return new Uint32Array(0);
    } else {
      // Union of several lists, in order: mark, then sweep the marked words.
      this.#mark(first.postings);
      const out = new Uint32Array(first.size);
      let n = 0;
      const bits = this.#scratch;
      const words = (this.#metricIds.length + 31) >>> 5;
      for (let w = 0; w < words; w++) {
        let word = bits[w]!;
        if (word === 0) continue;
        bits[w] = 0;
        while (word !== 0) {
          const low = word & -word;
          out[n++] = (w << 5) + (31 - Math.clz32(low));
          word ^= low;
        }
      }
      candidates = out.subarray(0, n);
    }
    const filters = [...positives.slice(1), ...negatives];
    let current = candidates;
    let owned = false;
    for (const c of filters) {
      if (current.length === 0) break;
      if (c.positive && c.size === 0) return new Uint32Array(0);
      if (!c.positive && c.size === 0) continue;
      const keep = c.positive;
      const out = owned ? current : new Uint32Array(current.length);
      let n = 0;
      if (c.postings.length === 1 && current.length * 8 < c.size) {
        // Few candidates against a long list: binary search (galloping forward).
        const p = c.postings[0]!;
        let lo = 0;
        for (let i = 0; i < current.length; i++) {
          const o = current[i]!;
          let hi = p.length;
          while (lo < hi) {
            const mid = (lo + hi) >>> 1;
            if (p[mid]! < o) lo = mid + 1;
            else hi = mid;
          }
          if ((lo < p.length && p[lo] === o) === keep) out[n++] = o;
        }
      } else {
        this.#mark(c.postings);
        const bits = this.#scratch;
        for (let i = 0; i < current.length; i++) {
          const o = current[i]!;
          if (((bits[o >>> 5]! & (1 << (o & 31))) !== 0) === keep) out[n++] = o;
        }
        this.#unmark(c.postings);
      }
      current = out.subarray(0, n);
      owned = true;
    }
    if (this.#deadCount === 0 && range === undefined) return current;
    const out = owned ? current : new Uint32Array(current.length);
    let n = 0;
    for (let i = 0; i < current.length; i++) {
      const o = current[i]!;
      if (!this.#isDead(o) && this.#inRange(o, range)) out[n++] = o;
    }
    return out.subarray(0, n);
  }

  /** Metric ids of the live series matching every matcher (insertion order). */
  select(matchers: readonly LabelMatcher[], range?: TimeRange): string[] {
    const ordinals = this.selectOrdinals(matchers, range);
    const out = new Array<string>(ordinals.length);
    for (let i = 0; i < ordinals.length; i++) out[i] = this.#metricIds[ordinals[i]!]!;
    return out;
  }

  /** The metric id of an ordinal returned by {@link selectOrdinals}. */
  metricIdAt(ordinal: number): string | undefined {
    return this.#metricIds[ordinal];
  }

  /** Distinct label names (code-point order) of live series matching `matchers` in `range`. */
  labelNames(range?: TimeRange, matchers: readonly LabelMatcher[] = []): string[] {
    const names = new Set<string>();
    if (matchers.length === 0 && range === undefined && this.#deadCount === 0) {
      for (const [name, values] of this.#dictionary) {
        for (const id of values.values()) {
          if ((this.#postings.get(id)?.length ?? 0) > 0) {
            names.add(name);
            break;
          }
        }
      }
    } else {
      for (const pairId of this.#pairsOf(matchers, range)) {
        const pair = this.#pairs.get(pairId);
        if (pair) names.add(pair[0]);
      }
    }
    return [...names].sort(compareCodePoints);
  }

  /** Distinct values (code-point order) of `name` among live series matching `matchers` in `range`. */
  labelValues(name: string, range?: TimeRange, matchers: readonly LabelMatcher[] = []): string[] {
    const values = this.#dictionary.get(name);
    if (values === undefined) return [];
    const out: string[] = [];
    if (matchers.length === 0) {
      for (const [value, id] of values) {
        const p = this.#postings.get(id);
        if (p === undefined) continue;
        const ids = p.view();
        for (let i = 0; i < ids.length; i++) {
          const o = ids[i]!;
          if (!this.#isDead(o) && this.#inRange(o, range)) {
            out.push(value);
            break;
          }
        }
      }
    } else {
      const wanted = new Set(values.values());
      const seen = new Set<number>();
      for (const pairId of this.#pairsOf(matchers, range)) {
        if (wanted.has(pairId) && !seen.has(pairId)) {
          seen.add(pairId);
          out.push(this.#pairs.get(pairId)![1]);
        }
      }
    }
    return out.sort(compareCodePoints);
  }

  *#pairsOf(matchers: readonly LabelMatcher[], range: TimeRange | undefined): Iterable<number> {
    const ordinals =
      matchers.length > 0 ? this.selectOrdinals(matchers, range) : this.selectOrdinals([], range);
    for (let i = 0; i < ordinals.length; i++) {
      const o = ordinals[i]!;
      for (let j = this.#offsets[o]!; j < this.#offsets[o + 1]!; j++) yield this.#flat[j]!;
    }
  }
}
