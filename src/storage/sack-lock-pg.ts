/**
 * Sack locks across processes (issue 4, spec carbonara §10.3–§10.5): a split
 * deployment (`gnocchi-ts api` + one or more `gnocchi-ts metricd` against
 * one PostgreSQL) must never process a sack in two processes at once, so the
 * locks are PostgreSQL session-level advisory locks on the key pair
 * (namespace, sack).
 *
 * - Each held lock owns a database session: the lock lives exactly as long as
 *   the session, so a process that dies (kill -9, lost network) releases its
 *   sacks with its connections, and nothing can leak a lock for longer.
 *   Released sessions go back to a small idle pool for the next lease.
 * - `tryAcquire` is `pg_try_advisory_lock` (never waits: metricd skips a busy
 *   sack); `acquire` is `pg_advisory_lock` under `lock_timeout` (API refresh,
 *   `operation_timeout`), its timeout (SQLSTATE 55P03) becoming
 *   SackLockTimeoutError like the in-process locks.
 * - Within one process the sessions exclude each other too (advisory locks
 *   are per session), so this replaces InProcessSackLocks entirely.
 *
 * Storage does not depend on the `pg` package: the caller passes a factory of
 * sessions (src/server.ts wraps `pg.Client`); every statement is
 * parameterized.
 */
import { type SackLease, type SackLocks, SackLockTimeoutError } from "./sack-lock.js";

/** One dedicated database session; `pg.Client` has this shape. */
export interface LockSession {
  query(sql: string, params: unknown[]): Promise<{ rows: Record<string, unknown>[] }>;
  /** Closes the session (the server then drops its advisory locks). */
  end(): Promise<void>;
}

export interface PgAdvisorySackLocksOptions {
  /** Opens a new connected session. */
  readonly connect: () => Promise<LockSession>;
  /** First key of every lock (default 0x476e6f63, "Gnoc"): keeps clear of other advisory lock users. */
  readonly namespace?: number;
  /** Sessions kept open for reuse when no lock needs them (default 4). */
  readonly maxIdleSessions?: number;
}

export const DEFAULT_LOCK_NAMESPACE = 0x476e6f63;

/** SQLSTATE of `lock_timeout` expiring. */
const LOCK_NOT_AVAILABLE = "55P03";

export class PgAdvisorySackLocks implements SackLocks {
  private readonly namespace: number;
  private readonly maxIdle: number;
  private readonly idle: LockSession[] = [];
  private readonly open = new Set<LockSession>();
  private closed = false;

  constructor(private readonly options: PgAdvisorySackLocksOptions) {
    this.namespace = options.namespace ?? DEFAULT_LOCK_NAMESPACE;
    this.maxIdle = options.maxIdleSessions ?? 4;
    if (!(Number.isInteger(this.namespace) && Math.abs(this.namespace) < 2 ** 31)) {
      throw new RangeError(`lock namespace must be a 32-bit integer, got ${this.namespace}`);
    }
  }

  async tryAcquire(sack: number): Promise<SackLease | null> {
    let session = await this.session();
    let ok = false;
    for (let attempt = 0; ; attempt++) {
      try {
        const { rows } = await session.query(
          "SELECT pg_try_advisory_lock($1::int4, $2::int4) AS ok",
          [this.namespace, sack],
        );
        ok = rows[0]?.ok === true;
        break;
      } catch (error) {
        await this.discard(session);
        // An idle session may have lost its connection meanwhile: one retry on a new one.
        if (attempt > 0) throw error;
        session = await this.session();
      }
    }
    if (!ok) {
      this.recycle(session);
      return null;
    }
    return this.lease(sack, session);
  }

  async acquire(sack: number, timeoutMs: number): Promise<SackLease> {
    // lock_timeout 0 would mean "wait forever": a zero budget is one try.
    const ms = Math.floor(timeoutMs);
    if (!(ms >= 1)) {
      const lease = await this.tryAcquire(sack);
      if (lease === null) throw new SackLockTimeoutError(sack, timeoutMs);
      return lease;
    }
    const session = await this.session();
    try {
      await session.query("SELECT set_config('lock_timeout', $1, false)", [`${ms}ms`]);
      try {
        await session.query("SELECT pg_advisory_lock($1::int4, $2::int4)", [this.namespace, sack]);
      } finally {
        await session.query("SELECT set_config('lock_timeout', '0', false)", []);
      }
    } catch (error) {
      if ((error as { code?: unknown }).code === LOCK_NOT_AVAILABLE) {
        this.recycle(session);
        throw new SackLockTimeoutError(sack, timeoutMs);
      }
      await this.discard(session);
      throw error;
    }
    return this.lease(sack, session);
  }

  /** Ends every session; leases still held are lost (their locks released by the server). */
  async close(): Promise<void> {
    this.closed = true;
    this.idle.length = 0;
    const sessions = [...this.open];
    this.open.clear();
    await Promise.all(sessions.map((s) => s.end().catch(() => {})));
  }

  private lease(sack: number, session: LockSession): SackLease {
    let released = false;
    return {
      sack,
      release: async () => {
        if (released) return;
        released = true;
        try {
          await session.query("SELECT pg_advisory_unlock($1::int4, $2::int4)", [
            this.namespace,
            sack,
          ]);
        } catch {
          // The session is gone (and its lock with it): nothing left to release.
          await this.discard(session);
          return;
        }
        this.recycle(session);
      },
    };
  }

  private async session(): Promise<LockSession> {
    if (this.closed) throw new Error("sack locks are closed");
    const reused = this.idle.pop();
    if (reused !== undefined) return reused;
    const session = await this.options.connect();
    if (this.closed) {
      await session.end().catch(() => {});
      throw new Error("sack locks are closed");
    }
    this.open.add(session);
    return session;
  }

  private recycle(session: LockSession): void {
    if (!this.closed && this.open.has(session) && this.idle.length < this.maxIdle) {
      this.idle.push(session);
    } else void this.discard(session);
  }

  private async discard(session: LockSession): Promise<void> {
    this.open.delete(session);
    const i = this.idle.indexOf(session);
    if (i >= 0) this.idle.splice(i, 1);
    await session.end().catch(() => {});
  }
}
