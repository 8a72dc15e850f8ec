/**
 * `Accept` header negotiation (spec rest §0.3, §0.4): whether a JSON endpoint
 * may answer (else 406), and whether an error body is JSON (only when the
 * client prefers it over text/plain and text/html). `Accept-Encoding`:
 * whether a body may be sent gzipped (RFC 9110 §12.5.3).
 */

interface MediaRange {
  readonly type: string;
  readonly subtype: string;
  readonly q: number;
}

/** The elements of a comma-separated header with their `q` (1 when absent, clamped to 0..1). */
function qualityList(header: string): { readonly token: string; readonly q: number }[] {
  const list: { token: string; q: number }[] = [];
  for (const part of header.split(",")) {
    const [token = "", ...params] = part.split(";").map((s) => s.trim());
    if (token === "") continue;
    let q = 1;
    for (const param of params) {
      const [name, value] = param.split("=").map((s) => s.trim());
      if (name?.toLowerCase() === "q") {
        const parsed = Number(value);
        q = Number.isFinite(parsed) ? Math.min(Math.max(parsed, 0), 1) : 0;
      }
    }
    list.push({ token: token.toLowerCase(), q });
  }
  return list;
}

function parseAccept(header: string): MediaRange[] {
  return qualityList(header).map(({ token, q }) => {
    const [type = "", subtype = "*"] = token.split("/");
    return { type, subtype, q };
  });
}

/** The quality the header gives `offer` (`type/subtype`): that of the most specific matching range, 0 if none. */
function quality(ranges: readonly MediaRange[], offer: string): number {
  const [type, subtype] = offer.split("/");
  let best = -1;
  let q = 0;
  for (const r of ranges) {
    let specificity: number;
    if (r.type === type && r.subtype === subtype) specificity = 2;
    else if (r.type === type && r.subtype === "*") specificity = 1;
    else if (r.type === "*" && r.subtype === "*") specificity = 0;
    else continue;
    if (specificity > best) {
      best = specificity;
      q = r.q;
    }
  }
  return q;
}

/** Whether a JSON body is acceptable: no `Accept`, or one that gives `application/json` a quality above 0. */
export function acceptsJson(accept: string | undefined): boolean {
  if (accept === undefined || accept.trim() === "") return true;
  return quality(parseAccept(accept), "application/json") > 0;
}

const ERROR_OFFERS = ["text/plain", "text/html", "application/json"] as const;

/**
 * Whether an error body should be JSON: the best of text/plain, text/html,
 * application/json (earlier wins ties) is application/json.
 */
export function prefersJsonErrors(accept: string | undefined): boolean {
  if (accept === undefined || accept.trim() === "") return false;
  const ranges = parseAccept(accept);
  let best: string | undefined;
  let bestQ = 0;
  for (const offer of ERROR_OFFERS) {
    const q = quality(ranges, offer);
    if (q > bestQ) {
      best = offer;
      bestQ = q;
    }
  }
  return best === "application/json";
}

/**
 * Whether `Accept-Encoding` gives gzip a quality above 0: `gzip` (or its
 * old alias `x-gzip`) by name, else `*`. No header: no (the RFC allows any
 * coding then, but a client that sends none may not decode one).
 */
export function acceptsGzip(acceptEncoding: string | undefined): boolean {
  if (acceptEncoding === undefined) return false;
  let named: number | undefined;
  let any: number | undefined;
  for (const { token, q } of qualityList(acceptEncoding)) {
    if (token === "gzip" || token === "x-gzip") named = Math.max(named ?? 0, q);
    else if (token === "*") any = q;
  }
  return (named ?? any ?? 0) > 0;
}
