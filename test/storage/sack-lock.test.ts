import { describe, expect, it } from "vitest";
import {
  acquireSacks,
  InProcessSackLocks,
  SackLockTimeoutError,
} from "../../src/storage/sack-lock.js";

describe("in-process sack locks", () => {
  it("tryAcquire never waits and excludes a second holder", async () => {
    const locks = new InProcessSackLocks();
    const lease = await locks.tryAcquire(3);
    expect(lease).not.toBeNull();
    expect(await locks.tryAcquire(3)).toBeNull();
    expect(await locks.tryAcquire(4)).not.toBeNull();
    await lease!.release();
    await lease!.release(); // idempotent
    expect(await locks.tryAcquire(3)).not.toBeNull();
  });

  it("acquire waits for the holder, FIFO, and hands the lock over", async () => {
    const locks = new InProcessSackLocks();
    const first = (await locks.tryAcquire(1))!;
    const order: string[] = [];
    const a = locks.acquire(1, 1000).then((l) => {
      order.push("a");
      return l;
    });
    const b = locks.acquire(1, 1000).then((l) => {
      order.push("b");
      return l;
    });
    await new Promise((r) => setTimeout(r, 10));
    expect(order).toEqual([]);
    await first.release();
    const la = await a;
    expect(order).toEqual(["a"]);
    expect(await locks.tryAcquire(1)).toBeNull(); // handed over, never free in between
    await la.release();
    const lb = await b;
    expect(order).toEqual(["a", "b"]);
    await lb.release();
    expect(locks.isHeld(1)).toBe(false);
  });

  it("acquire times out (refresh → 503) and leaves the queue clean", async () => {
    const locks = new InProcessSackLocks();
    const held = (await locks.tryAcquire(2))!;
    await expect(locks.acquire(2, 20)).rejects.toBeInstanceOf(SackLockTimeoutError);
    await held.release();
    expect(locks.isHeld(2)).toBe(false);
  });

  it("acquireSacks takes several sacks all or nothing", async () => {
    const locks = new InProcessSackLocks();
    const blocker = (await locks.tryAcquire(5))!;
    await expect(acquireSacks(locks, [7, 5, 1], 30)).rejects.toBeInstanceOf(SackLockTimeoutError);
    expect(locks.isHeld(1)).toBe(false);
    expect(locks.isHeld(7)).toBe(false);
    await blocker.release();
    const leases = await acquireSacks(locks, [7, 5, 1, 5], 30);
    expect(leases.map((l) => l.sack)).toEqual([1, 5, 7]);
    for (const l of leases) await l.release();
  });
});
