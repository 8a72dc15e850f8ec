import { formatPythonFloat } from "../timespan.js";

/**
 * The few bits of Python formatting that leak into Gnocchi's error texts:
 * `%f` / `%.2f` (round half to even on the exact binary value), `str()` of a
 * float, `repr()` of the operation lists, `type()` names.
 */

/** Python `"%.{digits}f" % x`. */
export function formatFixed(x: number, digits: number): string {
  if (Number.isNaN(x)) return "nan";
  if (!Number.isFinite(x)) return x > 0 ? "inf" : "-inf";
  const negative = x < 0 || Object.is(x, -0);
  const abs = Math.abs(x);
  let intPart: bigint;
  let fraction: string;
  if (abs >= 1e21) {
    // Integral already; toFixed would switch to exponent notation.
    intPart = BigInt(abs);
    fraction = "0".repeat(digits);
  } else {
    // 100 digits is exact for every case a tie can occur in (see the tests).
    const exact = abs.toFixed(100);
    const dot = exact.indexOf(".");
    intPart = BigInt(exact.slice(0, dot));
    const all = exact.slice(dot + 1);
    fraction = all.slice(0, digits);
    const rest = all.slice(digits);
    const first = rest.charCodeAt(0) - 48;
    const tail = /[1-9]/.test(rest.slice(1));
    const lastKept = digits > 0 ? fraction.charCodeAt(digits - 1) - 48 : Number(intPart % 10n);
    const up = first > 5 || (first === 5 && (tail || lastKept % 2 === 1));
    if (up) {
      const scaled =
        intPart * 10n ** BigInt(digits) + BigInt(fraction === "" ? "0" : fraction) + 1n;
      const text = scaled.toString().padStart(digits + 1, "0");
      intPart = BigInt(text.slice(0, text.length - digits));
      fraction = text.slice(text.length - digits);
    }
  }
  const body = digits > 0 ? `${intPart}.${fraction}` : `${intPart}`;
  return negative ? `-${body}` : body;
}

function pythonString(s: string): string {
  const quote = s.includes("'") && !s.includes('"') ? '"' : "'";
  const escaped = s
    .replace(/\\/g, "\\\\")
    .replace(/\n/g, "\\n")
    .replace(/\r/g, "\\r")
    .replace(/\t/g, "\\t");
  return quote === "'" ? `'${escaped.replace(/'/g, "\\'")}'` : `"${escaped}"`;
}

/** Python `repr()` of a JSON-like value (lists, strings, numbers as floats, None, bools). */
export function pythonRepr(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(pythonRepr).join(", ")}]`;
  if (typeof value === "string") return pythonString(value);
  if (typeof value === "number") return formatPythonFloat(value);
  if (value === null || value === undefined) return "None";
  if (typeof value === "boolean") return value ? "True" : "False";
  if (typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>);
    return `{${entries.map(([k, v]) => `${pythonString(k)}: ${pythonRepr(v)}`).join(", ")}}`;
  }
  return String(value);
}

/** Python `str()`: strings as is, the rest as `repr()` (integers in JSON stay integers). */
export function pythonStr(value: unknown): string {
  if (typeof value === "string") return value;
  if (typeof value === "number" && Number.isInteger(value)) return String(value);
  return pythonRepr(value);
}

/** Python `str(type(v))` of a value decoded from JSON: `<class 'dict'>`. */
export function pythonTypeName(value: unknown): string {
  let name: string;
  if (value === null || value === undefined) name = "NoneType";
  else if (typeof value === "boolean") name = "bool";
  else if (typeof value === "number") name = Number.isInteger(value) ? "int" : "float";
  else if (typeof value === "string") name = "str";
  else if (Array.isArray(value)) name = "list";
  else name = "dict";
  return `<class '${name}'>`;
}
