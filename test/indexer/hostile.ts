/** Strings that must survive the indexer unchanged: SQL and LIKE metacharacters, unicode, 10 kB. */
import { randomBytes } from "node:crypto";

/** 10,000 random BMP characters: incompressible, so well over any btree entry limit. */
function randomText(length: number): string {
  const bytes = randomBytes(length * 2);
  let s = "";
  for (let i = 0; i < length; i++) {
    let c = 0x20 + (bytes.readUInt16LE(i * 2) % (0xd7ff - 0x20));
    if (c === 0x7f) c = 0x41;
    s += String.fromCharCode(c);
  }
  return s;
}

export const HOSTILE_STRINGS: readonly string[] = [
  "it's",
  'double "quoted"',
  "'; DROP TABLE archive_policy; --",
  ";--",
  "%",
  "_",
  "a%b_c",
  "\\",
  "$1",
  "back\\slash\\'",
  "✔éñ☃",
  "\u{1F600} emoji",
  "\u202Eright-to-left",
  " leading and trailing ",
  "tab\tnew\nline",
  "x".repeat(10_000),
  randomText(10_000),
];
