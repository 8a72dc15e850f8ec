/**
 * Sack locks (spec carbonara §10.3–§10.5): metricd workers and API `refresh`
 * never process the same sack at once. Workers use the non-blocking
 * `tryAcquire` (skip a busy sack this round); `refresh` uses `acquire` with the
 * API's operation timeout (10 s; a timeout becomes 503).
 *
 * `InProcessSackLocks` serves a single process (the embedded default, metricd
 * in-process). A multi-process deployment implements `SackLocks` with
 * PostgreSQL advisory locks (`pg_try_advisory_lock(key)` /
 * `pg_advisory_lock` with `lock_timeout`, on a dedicated session per held lock).
 */

export interface SackLease {
  readonly sack: number;
  /** Releases the lock; calling it again does nothing. */
  release(): Promise<void>;
}

export interface SackLocks {
  /** The lease if the sack was free, else null (never waits). */
  tryAcquire(sack: number): Promise<SackLease | null>;
  /** Waits up to `timeoutMs` for the sack; throws SackLockTimeoutError after that. */
  acquire(sack: number, timeoutMs: number): Promise<SackLease>;
  close(): Promise<void>;
}

export class SackLockTimeoutError extends Error {
  constructor(
    readonly sack: number,
    readonly timeoutMs: number,
  ) {
    super(`sack ${sack} still locked after ${timeoutMs} ms`);
    this.name = "SackLockTimeoutError";
  }
}

interface Waiter {
  readonly grant: () => void;
}

/** In-memory locks, FIFO fair for blocking waiters. */
export class InProcessSackLocks implements SackLocks {
  private readonly held = new Set<number>();
  private readonly waiters = new Map<number, Waiter[]>();

  async tryAcquire(sack: number): Promise<SackLease | null> {
    if (this.held.has(sack)) return null;
    this.held.add(sack);
    return this.lease(sack);
  }

  acquire(sack: number, timeoutMs: number): Promise<SackLease> {
    if (!this.held.has(sack)) {
      this.held.add(sack);
      return Promise.resolve(this.lease(sack));
    }
    return new Promise<SackLease>((resolve, reject) => {
      let queue = this.waiters.get(sack);
      if (queue === undefined) {
        queue = [];
        this.waiters.set(sack, queue);
      }
      const waiter: Waiter = {
        grant: () => {
          clearTimeout(timer);
          resolve(this.lease(sack));
        },
      };
      const timer = setTimeout(() => {
        const q = this.waiters.get(sack);
        const i = q ? q.indexOf(waiter) : -1;
        if (i >= 0) q!.splice(i, 1);
        if (q && q.length === 0) this.waiters.delete(sack);
        reject(new SackLockTimeoutError(sack, timeoutMs));
      }, timeoutMs);
      queue.push(waiter);
    });
  }

  /** Whether the sack is locked (tests, status). */
  isHeld(sack: number): boolean {
    return this.held.has(sack);
  }

  private lease(sack: number): SackLease {
    let released = false;
    return {
      sack,
      release: async () => {
        if (released) return;
        released = true;
        const queue = this.waiters.get(sack);
        const next = queue?.shift();
        if (queue && queue.length === 0) this.waiters.delete(sack);
        if (next)
          next.grant(); // ownership passes straight to the next waiter
        else this.held.delete(sack);
      },
    };
  }

  async close(): Promise<void> {}
}

/**
 * Takes several sacks' locks (refresh over metrics of several sacks) in
 * ascending order, so two callers never deadlock; all or nothing.
 */
export async function acquireSacks(
  locks: SackLocks,
  sacks: Iterable<number>,
  timeoutMs: number,
): Promise<SackLease[]> {
  const ordered = [...new Set(sacks)].sort((a, b) => a - b);
  const deadline = Date.now() + timeoutMs;
  const leases: SackLease[] = [];
  try {
    for (const sack of ordered) {
      leases.push(await locks.acquire(sack, Math.max(0, deadline - Date.now())));
    }
    return leases;
  } catch (error) {
    for (const lease of leases.reverse()) await lease.release();
    throw error;
  }
}
