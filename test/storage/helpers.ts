import { randomUUID } from "node:crypto";
import { cp, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach } from "vitest";
import { prng } from "../support/prng.js";

const dirs: string[] = [];

/** A fresh real directory, removed after the test. */
export async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "gnocchi-ts-storage-"));
  dirs.push(dir);
  return dir;
}

afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

/**
 * A copy of a store's directory as a crash would leave it, taken while
 * background work (compaction, hint writing) may delete files: a file gone
 * between listing and copying makes the copy start over.
 */
export async function crashCopy(dir: string): Promise<string> {
  for (;;) {
    const copy = await tempDir();
    try {
      await cp(dir, copy, { recursive: true });
      return copy;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
    }
  }
}

export { prng };

export function uuids(n: number): string[] {
  return Array.from({ length: n }, () => randomUUID());
}

/** A UUID whose 128-bit value is `n` (n < 2^53). */
export function uuidOf(n: number): string {
  const hex = n.toString(16).padStart(32, "0");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

export function bytes(n: number, seed: number): Uint8Array {
  const rand = prng(seed);
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = Math.floor(rand() * 256);
  return out;
}
