/**
 * The one InfluxQL statement `/v1/influxdb/query` understands (spec
 * ingest-adapters §c): `CREATE DATABASE <name>`, keywords in any case, the
 * name an identifier `[A-Za-z_][A-Za-z0-9_]*` or a double-quoted string with
 * `\` escapes, optionally followed by blanks and one `;`. Anything else
 * (including trailing text, which Gnocchi's parser ignored) is not
 * implemented.
 */

const CREATE_DATABASE =
  /^\s*create\s+database\s+(?:([A-Za-z_][A-Za-z0-9_]*)|"((?:[^"\\]|\\.)*)")\s*;?\s*$/is;

/** The database name of a `CREATE DATABASE` statement, or undefined for any other query. */
export function parseCreateDatabase(query: string): string | undefined {
  const match = CREATE_DATABASE.exec(query);
  if (match === null) return undefined;
  return match[1] ?? match[2]!.replace(/\\(.)/gs, "$1");
}
