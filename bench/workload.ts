/** What benchmarks generate and measure beside their timings: seeded randomness and disk use. */
import { readdir, stat } from "node:fs/promises";
import { join } from "node:path";

export { prng } from "../test/support/prng.js";

/** Bytes a directory tree occupies as `du` counts them (allocated blocks), its apparent size and file count. */
export async function du(
  path: string,
): Promise<{ allocated: number; apparent: number; files: number }> {
  let allocated = 0;
  let apparent = 0;
  let files = 0;
  for (const entry of await readdir(path, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile()) continue;
    const s = await stat(join(entry.parentPath, entry.name));
    allocated += s.blocks * 512;
    apparent += s.size;
    files++;
  }
  return { allocated, apparent, files };
}
