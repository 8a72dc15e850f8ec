/**
 * PostgreSQL advisory sack locks against the run's real PostgreSQL server
 * (test/indexer/global-setup.ts). Two PgAdvisorySackLocks objects stand for
 * two processes: each has its own sessions, exactly as two processes would.
 */
import pg from "pg";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { acquireSacks, SackLockTimeoutError } from "../../src/storage/sack-lock.js";
import { type LockSession, PgAdvisorySackLocks } from "../../src/storage/sack-lock-pg.js";
import type { ProvidedPostgres } from "../indexer/global-setup.js";

const inCI = /^(1|true|yes)$/i.test(process.env.CI ?? "");
const provided: ProvidedPostgres | undefined = (() => {
  try {
    return inject("indexerPostgres");
  } catch {
    return undefined;
  }
})();
const url = provided !== undefined && "url" in provided ? provided.url : undefined;
if (url === undefined && inCI) throw new Error("PostgreSQL is required under CI");

// A namespace of this run's own, so parallel test files never share a lock key.
const namespace = Math.floor(Math.random() * 2 ** 30) + 1;

async function connect(): Promise<LockSession & pg.Client> {
  const client = new pg.Client({ connectionString: url, application_name: "sack-lock-test" });
  client.on("error", () => {}); // a terminated session must not crash the test process
  await client.connect();
  return client;
}

describe.skipIf(url === undefined)("PostgreSQL advisory sack locks", () => {
  let a: PgAdvisorySackLocks;
  let b: PgAdvisorySackLocks;
  let admin: pg.Client;

  beforeAll(async () => {
    a = new PgAdvisorySackLocks({ connect, namespace });
    b = new PgAdvisorySackLocks({ connect, namespace });
    admin = await connect();
  });

  afterAll(async () => {
    await a?.close();
    await b?.close();
    await admin?.end();
  });

  /** Backend pid holding the advisory lock of `sack`, if any. */
  async function holder(sack: number): Promise<number | undefined> {
    const { rows } = await admin.query(
      "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted AND classid = $1::oid AND objid = $2::oid",
      [namespace, sack],
    );
    return rows[0]?.pid as number | undefined;
  }

  it("two processes exclude each other; release hands the sack over", async () => {
    const lease = await a.tryAcquire(7);
    expect(lease).not.toBeNull();
    expect(await b.tryAcquire(7)).toBeNull();
    expect(await a.tryAcquire(7)).toBeNull(); // another worker of the same process too
    const other = await b.tryAcquire(8);
    expect(other).not.toBeNull();
    await lease!.release();
    await lease!.release(); // idempotent
    const again = await b.tryAcquire(7);
    expect(again).not.toBeNull();
    expect(await a.tryAcquire(7)).toBeNull();
    await again!.release();
    await other!.release();
    expect(await holder(7)).toBeUndefined();
  });

  it("acquire waits for the holder, then times out with SackLockTimeoutError", async () => {
    const held = (await a.tryAcquire(11))!;
    const t0 = performance.now();
    await expect(b.acquire(11, 300)).rejects.toBeInstanceOf(SackLockTimeoutError);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(250);
    await expect(b.acquire(11, 0)).rejects.toBeInstanceOf(SackLockTimeoutError);
    // A waiter gets the sack as soon as it is released.
    const waiting = b.acquire(11, 5_000);
    setTimeout(() => void held.release(), 200);
    const lease = await waiting;
    expect(lease.sack).toBe(11);
    expect(await a.tryAcquire(11)).toBeNull();
    await lease.release();
    // The session that timed out is usable again (its lock_timeout was reset).
    const blocking = (await b.acquire(12, 1_000))!;
    await blocking.release();
  });

  it("acquireSacks takes several sacks all or nothing", async () => {
    const busy = (await b.tryAcquire(22))!;
    await expect(acquireSacks(a, [21, 22, 23], 200)).rejects.toBeInstanceOf(SackLockTimeoutError);
    expect(await holder(21)).toBeUndefined(); // the first one was given back
    await busy.release();
    const leases = await acquireSacks(a, [23, 21, 22], 1_000);
    expect(leases.map((l) => l.sack)).toEqual([21, 22, 23]);
    for (const l of leases) await l.release();
  });

  it("a lost session (a killed process) releases its sacks", async () => {
    const lease = (await a.tryAcquire(31))!;
    expect(await b.tryAcquire(31)).toBeNull();
    const pid = await holder(31);
    expect(pid).toBeGreaterThan(0);
    await admin.query("SELECT pg_terminate_backend($1)", [pid]);
    let taken: Awaited<ReturnType<typeof b.tryAcquire>> = null;
    for (let i = 0; i < 50 && taken === null; i++) {
      taken = await b.tryAcquire(31);
      if (taken === null) await new Promise((r) => setTimeout(r, 20));
    }
    expect(taken).not.toBeNull();
    await lease.release(); // its session is gone: a no-op, not an error
    const now = await holder(31);
    expect(now).toBeGreaterThan(0);
    expect(now).not.toBe(pid); // held by b's session now
    expect(await a.tryAcquire(31)).toBeNull();
    await taken!.release();
    // a keeps working on fresh sessions.
    const fresh = await a.tryAcquire(31);
    expect(fresh).not.toBeNull();
    await fresh!.release();
  });

  it("close ends every session and frees held sacks", async () => {
    const c = new PgAdvisorySackLocks({ connect, namespace });
    await c.tryAcquire(41);
    await c.close();
    const lease = await b.tryAcquire(41);
    expect(lease).not.toBeNull();
    await lease!.release();
    await expect(c.tryAcquire(42)).rejects.toThrow(/closed/);
  });
});
