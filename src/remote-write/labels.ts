/**
 * The labels of one series, decoded and checked: only for series the cache
 * does not know yet (a known series is recognized by its encoded bytes, so
 * what was checked once never needs checking again).
 *
 * Rules (each failure rejects the whole request with a 400 naming it):
 * - label names and values are valid UTF-8 (checked strictly, byte-order
 *   mark kept), values hold no NUL (PostgreSQL text cannot);
 * - names follow Prometheus' syntax `[a-zA-Z_][a-zA-Z0-9_]*`, appear once,
 *   and `__name__` is present and a valid metric name `[a-zA-Z_:][a-zA-Z0-9_:]*`;
 * - name + value of a pair fit the indexer's 2,048-byte limit, and a series
 *   has at most {@link MAX_LABELS} labels.
 * A label with an empty value is the same as no label (Prometheus semantics)
 * and is dropped.
 */
import { MAX_LABEL_PAIR_BYTES } from "../indexer/label-store.js";
import { InvalidWriteError } from "./errors.js";
import { checkTag, ProtoCursor, WIRE_LEN } from "./protobuf.js";

export const MAX_LABELS = 128;

const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const TAG_LABEL = (1 << 3) | WIRE_LEN;
const TAG_NAME = (1 << 3) | WIRE_LEN;
const TAG_VALUE = (2 << 3) | WIRE_LEN;

const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

export interface SeriesLabels {
  /** `[name, value]` sorted by name, empty values dropped; includes `__name__`. */
  readonly pairs: readonly (readonly [string, string])[];
  /** The `__name__` value. */
  readonly name: string;
}

function text(buf: Uint8Array, start: number, end: number, what: string): string {
  try {
    return utf8.decode(buf.subarray(start, end));
  } catch {
    throw new InvalidWriteError(`invalid label: ${what} is not valid UTF-8`);
  }
}

/** A bounded, printable excerpt of a label name or value for error texts. */
export function excerpt(s: string): string {
  return JSON.stringify(s.length > 64 ? `${s.slice(0, 64)}…` : s);
}

/**
 * Decodes and checks the label fields `buf[start, end)` of a series (the
 * bytes of its `labels` fields as sent).
 * @throws InvalidWriteError
 */
export function decodeLabels(buf: Uint8Array, start: number, end: number): SeriesLabels {
  const cur = new ProtoCursor(buf);
  cur.pos = start;
  const pairs: [string, string][] = [];
  const seen = new Set<string>();
  let count = 0;
  while (cur.pos < end) {
    const tag = cur.uint32(end);
    if (tag !== TAG_LABEL) throw new InvalidWriteError("invalid protobuf: malformed label");
    const len = cur.length(end);
    const labelEnd = cur.pos + len;
    let name = "";
    let value = "";
    let nameBytes = 0;
    let valueBytes = 0;
    while (cur.pos < labelEnd) {
      const t = cur.uint32(labelEnd);
      if (t === TAG_NAME || t === TAG_VALUE) {
        const n = cur.length(labelEnd);
        if (t === TAG_NAME) {
          nameBytes = n;
          if (n <= MAX_LABEL_PAIR_BYTES) name = text(buf, cur.pos, cur.pos + n, "a label name");
        } else {
          valueBytes = n;
          if (n <= MAX_LABEL_PAIR_BYTES) value = text(buf, cur.pos, cur.pos + n, "a label value");
        }
        cur.pos += n;
      } else {
        checkTag(t);
        if (t >>> 3 === 1 || t >>> 3 === 2)
          throw new InvalidWriteError("invalid protobuf: label name or value is not a string");
        cur.skip(t & 7, labelEnd);
      }
    }
    if (nameBytes + valueBytes > MAX_LABEL_PAIR_BYTES) {
      const who = nameBytes <= MAX_LABEL_PAIR_BYTES ? `label ${excerpt(name)}` : "a label";
      throw new InvalidWriteError(
        `invalid label: ${who} has ${nameBytes + valueBytes} bytes of name and value, more than ${MAX_LABEL_PAIR_BYTES}`,
      );
    }
    if (++count > MAX_LABELS)
      throw new InvalidWriteError(`invalid series: more than ${MAX_LABELS} labels`);
    if (!LABEL_NAME.test(name)) throw new InvalidWriteError(`invalid label name ${excerpt(name)}`);
    if (seen.has(name))
      throw new InvalidWriteError(`invalid series: duplicate label name ${excerpt(name)}`);
    seen.add(name);
    if (value.includes("\u0000"))
      throw new InvalidWriteError(`invalid label value of ${excerpt(name)}: contains NUL`);
    if (value !== "") pairs.push([name, value]);
  }
  pairs.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  const metric = pairs.find((p) => p[0] === "__name__")?.[1];
  if (metric === undefined) throw new InvalidWriteError("invalid series: no __name__ label");
  if (!METRIC_NAME.test(metric))
    throw new InvalidWriteError(`invalid metric name ${excerpt(metric)}`);
  return { pairs, name: metric };
}
