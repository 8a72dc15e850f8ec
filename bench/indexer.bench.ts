/**
 * Indexer figures, on embedded PGlite and on a real PostgreSQL (started like
 * the tests do, test/indexer/postgres-server.ts; skipped with a message when
 * it cannot start):
 * - label selection `{job="node", mode=~"idle|iowait"}` (~10,000 series)
 *   among 1,000,000 labelled series, through the in-memory index loaded from
 *   SQL (target ≤ 10 ms);
 * - attribute equality search returning 100 rows among 100,000 resources of
 *   a custom type with 5 attributes, compiled by search-sql.ts with the
 *   default sort (target p50 ≤ 5 ms on PostgreSQL);
 * - resolving 10,000 label sets that already exist (label-store.ts), held by
 *   the process's label index (`LabelStore.store`; target ≤ 50 ms) and not
 *   (`insertLabelSets` alone: SQL);
 * - the ingest fast path (ingest-resolver.ts) once the 1,000,000 metrics are
 *   spread 10 per resource: resolving 10,000 existing (resource, metric
 *   name) pairs written again (the per-process cache; target ≤ 50 ms) and
 *   seen for the first time (SQL), and creating 10,000 new metrics in one
 *   batch (target ≤ 1 s).
 * Beside each wall-clock p50, the CPU time per call of this process plus the
 * PostgreSQL backends (from /proc; PGlite runs in this process), which a
 * loaded machine inflates far less than wall time.
 * Data is generated in SQL (generate_series); the custom type's tables are
 * created directly with the layout of migrations.ts, label set hashes are
 * computed in SQL exactly as `labelSetHash` does.
 * GNOCCHI_BENCH_INDEXER_DRIVERS=pglite (or postgresql) runs one driver only.
 */
import { createHash, randomBytes } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { performance } from "node:perf_hooks";
import type { SqlDriver } from "../src/indexer/driver.js";
import { openPgDriver } from "../src/indexer/driver-pg.js";
import { openPgliteDriver } from "../src/indexer/driver-pglite.js";
import { type IngestTarget, resolveMetrics } from "../src/indexer/ingest-resolver.js";
import type { LabelMatcher, Labels } from "../src/indexer/label-index.js";
import { insertLabelSets, type LabelSetInput, LabelStore } from "../src/indexer/label-store.js";
import {
  orderBy,
  parsePagination,
  RESOURCE_DEFAULT_SORT,
  RESOURCE_TIEBREAKERS,
} from "../src/indexer/pagination.js";
import { parseJsonFilter } from "../src/indexer/search-filter.js";
import {
  compileFilter,
  resourceColumns,
  resourceSource,
  type SearchTarget,
} from "../src/indexer/search-sql.js";
import { sqlf } from "../src/indexer/sql-compose.js";
import { upgrade } from "../src/indexer/upgrade.js";
import { startPostgres } from "../test/indexer/postgres-server.js";
import { percentile, report, section } from "./harness.js";
import { prng } from "./workload.js";

const SERIES = 1_000_000;
const RESOURCES = 100_000;

async function timed<T>(fn: () => Promise<T>): Promise<[T, number]> {
  const start = performance.now();
  const value = await fn();
  return [value, performance.now() - start];
}

/** CPU ms used so far by this process and, on PostgreSQL, its client backends (NaN when /proc cannot tell). */
async function cpuMs(db: SqlDriver): Promise<number> {
  const own = process.cpuUsage();
  let total = (own.user + own.system) / 1000;
  if (db.kind === "postgresql") {
    const r = await db.query<{ pid: number }>(
      "SELECT pid FROM pg_stat_activity WHERE backend_type = 'client backend'",
    );
    for (const { pid } of r.rows) {
      const file = `/proc/${pid}/schedstat`;
      if (!existsSync(file)) return Number.NaN;
      total += Number(readFileSync(file, "utf8").split(" ")[0]) / 1e6;
    }
  }
  return total;
}

/**
 * Calls `make()` then times `call` on its value, `runs` times after `warmup`
 * untimed ones; reports the wall p50 and the mean CPU per call.
 */
async function measure<T>(
  db: SqlDriver,
  figure: { label: string; what: string; target: string },
  runs: number,
  warmup: number,
  make: (run: number) => T,
  call: (input: T) => Promise<void>,
): Promise<void> {
  const walls: number[] = [];
  let cpu = 0;
  for (let run = 0; run < warmup + runs; run++) {
    const input = make(run);
    const before = await cpuMs(db);
    const [, ms] = await timed(() => call(input));
    const used = (await cpuMs(db)) - before;
    if (run >= warmup) {
      walls.push(ms);
      cpu += used;
    }
  }
  report({
    name: `${figure.label}: ${figure.what} p50`,
    value: percentile(walls, 50),
    unit: "ms",
    target: figure.target,
  });
  if (!Number.isNaN(cpu)) {
    report({
      name: `${figure.label}: same, CPU per call (client + server)`,
      value: cpu / runs,
      unit: "ms",
    });
  }
}

/** `md5(text)::uuid`, computed client-side. */
function md5Uuid(text: string): string {
  const hex = createHash("md5").update(text).digest("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

const MODES = [
  "idle",
  "iowait",
  "user",
  "system",
  "nice",
  "irq",
  "softirq",
  "steal",
  "guest",
  "guest_nice",
];

/** The labels of seeded series i (see seedLabels). */
function seriesLabels(i: number): Labels {
  return {
    __name__: "node_cpu_seconds_total",
    job: i % 20 === 0 ? "node" : `job${i % 20}`,
    mode: MODES[Math.floor(i / 20) % 10]!,
    instance: `host-${Math.floor(i / 1000)}`,
    cpu: String(i % 1000),
  };
}

/**
 * `labelSetHash(seriesLabels(i))` in SQL: SHA-256 of `<bytes>:<name><bytes>:<value>`
 * over the names in code point order (__name__, cpu, instance, job, mode), first 16 bytes.
 */
const SQL_LABEL_SET_HASH = `encode(substr(sha256(convert_to(
    '8:__name__22:node_cpu_seconds_total'
    || '3:cpu' || length((i % 1000)::text) || ':' || (i % 1000)::text
    || '8:instance' || length('host-' || (i / 1000)) || ':host-' || (i / 1000)
    || '3:job' || length(job) || ':' || job
    || '4:mode' || length(mode) || ':' || mode, 'UTF8')), 1, 16), 'hex')::uuid`;

/** 1,000,000 series: job = i % 20 ("node" is job 0), mode = (i / 20) % 10, instance, cpu. */
async function seedLabels(db: SqlDriver): Promise<void> {
  const ap = await db.query<{ id: number }>("SELECT id FROM archive_policy ORDER BY id LIMIT 1");
  // Pair ids by construction: __name__ 1, job 2..21, mode 22..31, instance 32..1031, cpu 1032..2031.
  await db.query(
    `INSERT INTO label_pair (name, value)
     SELECT '__name__', 'node_cpu_seconds_total'
     UNION ALL SELECT * FROM (SELECT 'job', CASE WHEN j = 0 THEN 'node' ELSE 'job' || j END FROM generate_series(0, 19) j ORDER BY j) a
     UNION ALL SELECT * FROM (SELECT 'mode', m FROM unnest($1::text[]) WITH ORDINALITY AS t(m, o) ORDER BY o) b
     UNION ALL SELECT * FROM (SELECT 'instance', 'host-' || k FROM generate_series(0, 999) k ORDER BY k) c
     UNION ALL SELECT * FROM (SELECT 'cpu', c::text AS v FROM generate_series(0, 999) c ORDER BY c) d`,
    [MODES],
  );
  // (`c::text` is named `v`: unnamed it would be the `c` that ORDER BY sorts
  // by, as text, and cpu "10" would get the id of cpu 2.)
  const check = await db.query<{ id: number }>(
    "SELECT id FROM label_pair WHERE name = 'cpu' AND value IN ('10', '999') ORDER BY id",
  );
  if (check.rows[0]?.id !== 1042 || check.rows[1]?.id !== 2031)
    throw new Error("unexpected label pair ids");
  // Plain indexes are rebuilt after the bulk load (much faster than maintaining them row by row).
  const rebuild = [
    "metric_label_set_label_ids_idx ON metric_label_set USING gin (label_ids)",
    "metric_label_set_last_seen_idx ON metric_label_set (last_seen)",
    "metric_archive_policy_id_idx ON metric (archive_policy_id)",
    "metric_name_idx ON metric (name)",
    "metric_creator_idx ON metric (creator)",
    "metric_created_by_project_id_idx ON metric (created_by_project_id)",
  ];
  for (const r of rebuild) await db.query(`DROP INDEX ${r.split(" ")[0]}`);
  const chunk = 250_000;
  for (let from = 0; from < SERIES; from += chunk) {
    const to = Math.min(SERIES, from + chunk) - 1;
    await db.query(
      `INSERT INTO metric (id, archive_policy_id)
       SELECT md5('m' || i)::uuid, $3 FROM generate_series($1::int, $2::int) i`,
      [from, to, ap.rows[0]!.id],
    );
    await db.query(
      `INSERT INTO metric_label_set (metric_id, scope_id, label_ids, label_set_hash, first_seen, last_seen)
       SELECT md5('m' || i)::uuid, md5('m' || i)::uuid,
              ARRAY[1, 2 + i % 20, 22 + (i / 20) % 10, 32 + i / 1000, 1032 + i % 1000],
              ${SQL_LABEL_SET_HASH}, now() - interval '1 day', now()
       FROM generate_series($1::int, $2::int) i,
            LATERAL (SELECT CASE WHEN i % 20 = 0 THEN 'node' ELSE 'job' || i % 20 END AS job,
                            ($3::text[])[1 + (i / 20) % 10] AS mode) l`,
      [from, to, MODES],
    );
  }
  for (const r of rebuild) await db.query(`CREATE INDEX ${r}`);
}

async function benchLabels(db: SqlDriver, label: string): Promise<void> {
  const [, seedMs] = await timed(() => seedLabels(db));
  report({
    name: `${label}: seed 1,000,000 labelled series (SQL)`,
    value: seedMs / 1000,
    unit: "s",
  });
  const [store, loadMs] = await timed(() => LabelStore.load(db));
  report({ name: `${label}: load label index from SQL`, value: loadMs / 1000, unit: "s" });
  const matchers: LabelMatcher[] = [
    { name: "job", op: "=", value: "node" },
    { name: "mode", op: "=~", value: "idle|iowait" },
  ];
  const count = store.select(matchers).length;
  if (count !== 10_000) throw new Error(`selected ${count} series, expected 10,000`);
  const samples: number[] = [];
  for (let i = 0; i < 100; i++) {
    const start = performance.now();
    store.select(matchers);
    samples.push(performance.now() - start);
  }
  report({
    name: `${label}: select {job="node", mode=~"idle|iowait"} p50`,
    value: percentile(samples, 50),
    unit: "ms",
    target: "≤ 10 ms",
  });
  report({ name: `${label}: same, p99`, value: percentile(samples, 99), unit: "ms" });
  const regex: LabelMatcher[] = [
    { name: "job", op: "=", value: "node" },
    { name: "instance", op: "=~", value: "host-1.*" },
    { name: "mode", op: "!=", value: "idle" },
  ];
  const rs: number[] = [];
  for (let i = 0; i < 20; i++) {
    const start = performance.now();
    store.select(regex);
    rs.push(performance.now() - start);
  }
  report({
    name: `${label}: select {job="node", instance=~"host-1.*", mode!="idle"} p50`,
    value: percentile(rs, 50),
    unit: "ms",
  });
  // What the remote-write adapter does for series its cache does not know:
  // sets this process's label index holds are answered from it; sets it
  // does not hold (stored by another process since its last refresh) go to SQL.
  const random = prng(11);
  const seenAt = Date.now() * 1000;
  const entries = (): LabelSetInput[] =>
    Array.from({ length: 10_000 }, () => {
      const i = Math.floor(random() * SERIES);
      return { metricId: md5Uuid(`m${i}`), labels: seriesLabels(i), seenAt };
    });
  const check = (entries: LabelSetInput[], stored: { inserted: boolean; ownerId: string }[]) => {
    if (stored.some((s, k) => s.inserted || s.ownerId !== entries[k]!.metricId))
      throw new Error("label set not resolved to its metric");
  };
  await measure(
    db,
    { label, what: "resolve 10,000 existing label sets (in the label index)", target: "≤ 50 ms" },
    20,
    // More warm-up: the garbage of loading 1,000,000 series is collected first.
    10,
    entries,
    async (batch) => check(batch, await store.store(db, batch)),
  );
  await measure(
    db,
    { label, what: "resolve 10,000 existing label sets (SQL, not in the index)", target: "—" },
    20,
    3,
    entries,
    async (batch) => check(batch, await db.transaction((tx) => insertLabelSets(tx, batch))),
  );
}

async function seedResources(db: SqlDriver): Promise<SearchTarget> {
  const tablename = `rt_${randomBytes(16).toString("hex")}`;
  const name = "bench_instance";
  await db.query("INSERT INTO resource_type (name, tablename, next_column) VALUES ($1, $2, 6)", [
    name,
    tablename,
  ]);
  await db.query(
    `CREATE TABLE "${tablename}" (id uuid PRIMARY KEY REFERENCES resource (id) ON DELETE CASCADE,
       a1 text COLLATE "C" NOT NULL, a2 double precision, a3 boolean, a4 timestamptz, a5 uuid)`,
  );
  await db.query(
    `CREATE TABLE "${tablename}_history" (revision bigint PRIMARY KEY REFERENCES resource_history (revision) ON DELETE CASCADE,
       a1 text COLLATE "C", a2 double precision, a3 boolean, a4 timestamptz, a5 uuid)`,
  );
  await db.query(
    `INSERT INTO resource (id, type, creator, original_resource_id, user_id, project_id, started_at, revision_start)
     SELECT md5('r' || i)::uuid, $2, 'admin', 'res-' || i, 'user-' || (i % 100), 'project-' || (i % 10),
            timestamptz '2024-01-01' + i * interval '1 second', timestamptz '2024-01-01' + i * interval '1 second'
     FROM generate_series(0, $1::int - 1) i`,
    [RESOURCES, name],
  );
  await db.query(
    `INSERT INTO "${tablename}" (id, a1, a2, a3, a4, a5)
     SELECT md5('r' || i)::uuid, 'name-' || (i % 1000), i % 97, i % 2 = 0,
            timestamptz '2024-01-01' + (i % 500) * interval '1 hour', md5('u' || (i % 5000))::uuid
     FROM generate_series(0, $1::int - 1) i`,
    [RESOURCES],
  );
  for (const c of ["a1", "a2", "a3", "a4", "a5"]) {
    await db.query(`CREATE INDEX "${tablename}_${c}_idx" ON "${tablename}" (${c})`);
  }
  await db.query("ANALYZE");
  return {
    name,
    tablename,
    attributes: [
      { name: "display_name", column: "a1", type: "string" },
      { name: "size", column: "a2", type: "number" },
      { name: "enabled", column: "a3", type: "bool" },
      { name: "launched_at", column: "a4", type: "datetime" },
      { name: "image_id", column: "a5", type: "uuid" },
    ],
  };
}

async function benchSearch(db: SqlDriver, label: string): Promise<void> {
  const [target, seedMs] = await timed(() => seedResources(db));
  report({ name: `${label}: seed 100,000 resources (SQL)`, value: seedMs / 1000, unit: "s" });
  const columns = resourceColumns(target);
  const page = parsePagination(
    {},
    { columns, defaults: RESOURCE_DEFAULT_SORT, tiebreakers: RESOURCE_TIEBREAKERS },
  );
  const source = resourceSource(target);
  const run = async (i: number): Promise<number> => {
    const filter = parseJsonFilter(
      { "=": { display_name: `name-${i % 1000}` } },
      { creator: "admin" },
    );
    const where = compileFilter(filter, target);
    const q = sqlf`SELECT r.id, r.type, r.creator, r.created_by_user_id, r.created_by_project_id,
        r.original_resource_id, r.user_id, r.project_id, r.started_at, r.ended_at, r.revision_start,
        x.a1, x.a2, x.a3, x.a4, x.a5
      FROM ${source} WHERE ${where} ORDER BY ${orderBy(page.sorts, columns)} LIMIT ${page.limit}`;
    const r = await db.query(q.sql, q.params);
    return r.rows.length;
  };
  for (let i = 0; i < 20; i++) await run(i);
  const samples: number[] = [];
  for (let i = 0; i < 200; i++) {
    const start = performance.now();
    const n = await run(i * 7);
    samples.push(performance.now() - start);
    if (n !== 100) throw new Error(`search returned ${n} rows, expected 100`);
  }
  report({
    name: `${label}: attribute equality search (100 of 100,000) p50`,
    value: percentile(samples, 50),
    unit: "ms",
    target: "≤ 5 ms on PostgreSQL",
  });
  report({ name: `${label}: same, p99`, value: percentile(samples, 99), unit: "ms" });
}

/** Ten named metrics per resource: the labelled metrics get a resource and a name `m0`..`m9`. */
async function attachMetrics(db: SqlDriver): Promise<void> {
  const chunk = 250_000;
  for (let from = 0; from < SERIES; from += chunk) {
    await db.query(
      `UPDATE metric m SET resource_id = md5('r' || (i / 10))::uuid, name = 'm' || (i % 10)
         FROM generate_series($1::int, $2::int) i WHERE m.id = md5('m' || i)::uuid`,
      [from, Math.min(SERIES, from + chunk) - 1],
    );
  }
  await db.query("ANALYZE metric");
}

function resourceUuid(i: number): string {
  return md5Uuid(`r${i}`);
}

async function benchResolver(db: SqlDriver, label: string): Promise<void> {
  const [, attachMs] = await timed(() => attachMetrics(db));
  report({
    name: `${label}: attach 1,000,000 metrics to resources (SQL)`,
    value: attachMs / 1000,
    unit: "s",
  });
  const random = prng(7);
  const pairs = (): IngestTarget[] =>
    Array.from({ length: 10_000 }, () => {
      const r = Math.floor(random() * RESOURCES);
      return {
        resourceId: resourceUuid(r),
        originalResourceId: `res-${r}`,
        metricName: `m${Math.floor(random() * 10)}`,
      };
    });
  const resolve = async (targets: IngestTarget[], cache: boolean) => {
    const result = await resolveMetrics(db, targets, { creator: "admin", cache });
    if (result.metricIds.some((id) => id === undefined)) throw new Error("unresolved pair");
  };
  // A batch written again (the next scrape, flush or batch of the same
  // series): answered by the process's (resource, name) cache after one
  // statement checking that no metric was unbound since.
  const again = pairs();
  await measure(
    db,
    { label, what: "resolve 10,000 existing pairs written again (cache)", target: "≤ 50 ms" },
    20,
    1,
    () => again,
    (targets) => resolve(targets, true),
  );
  // Pairs this process has not resolved before: the SQL statement.
  await measure(
    db,
    { label, what: "resolve 10,000 existing pairs, first time (SQL)", target: "≤ 50 ms" },
    20,
    3,
    pairs,
    (targets) => resolve(targets, false),
  );
  await measure(
    db,
    { label, what: "create 10,000 new metrics in one batch", target: "≤ 1,000 ms" },
    5,
    0,
    (run): IngestTarget[] =>
      Array.from({ length: 10_000 }, (_, k) => {
        const r = (run * 10_000 + k) % RESOURCES;
        return {
          resourceId: resourceUuid(r),
          originalResourceId: `res-${r}`,
          metricName: `new-${run}`,
        };
      }),
    async (targets) => {
      const result = await resolveMetrics(db, targets, {
        creator: "admin",
        createMetrics: true,
        archivePolicyName: "low",
      });
      if (result.metricIds.some((id) => id === undefined)) throw new Error("metric not created");
    },
  );
}

async function benchDriver(db: SqlDriver, label: string): Promise<void> {
  await upgrade(db);
  await benchSearch(db, label);
  await benchLabels(db, label);
  await benchResolver(db, label);
}

export async function run(): Promise<void> {
  section("Indexer: label selection, resource search and the ingest fast path");
  const drivers = (process.env.GNOCCHI_BENCH_INDEXER_DRIVERS ?? "pglite,postgresql").split(",");
  if (drivers.includes("pglite")) {
    const lite = await openPgliteDriver({ memory: true });
    try {
      await benchDriver(lite, "pglite");
    } finally {
      await lite.close();
    }
  }
  if (!drivers.includes("postgresql")) return;
  let server: Awaited<ReturnType<typeof startPostgres>> | undefined;
  try {
    server = await startPostgres();
  } catch (error) {
    console.log(`  (PostgreSQL figures skipped: ${(error as Error).message.split("\n")[0]})`);
    return;
  }
  const db = openPgDriver({ connectionString: server.url });
  try {
    await benchDriver(db, "postgresql");
  } finally {
    await db.close();
    await server.stop();
  }
}
