/**
 * `Accept` header negotiation (spec rest §0.3, §0.4): whether a JSON endpoint
 * may answer (else 406), and whether an error body is JSON (only when the
 * client prefers it over text/plain and text/html).
 */

interface MediaRange {
  readonly type: string;
  readonly subtype: string;
  readonly q: number;
}

function parseAccept(header: string): MediaRange[] {
  const ranges: MediaRange[] = [];
  for (const part of header.split(",")) {
    const [mediaType = "", ...params] = part.split(";").map((s) => s.trim());
    if (mediaType === "") continue;
    const [type = "", subtype = "*"] = mediaType.toLowerCase().split("/");
    let q = 1;
    for (const param of params) {
      const [name, value] = param.split("=").map((s) => s.trim());
      if (name?.toLowerCase() === "q") {
        const parsed = Number(value);
        q = Number.isFinite(parsed) ? Math.min(Math.max(parsed, 0), 1) : 0;
      }
    }
    ranges.push({ type, subtype, q });
  }
  return ranges;
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
