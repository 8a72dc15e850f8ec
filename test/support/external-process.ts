/**
 * Real programs from Debian driven by the end-to-end tests (prometheus,
 * prometheus-node-exporter, …): whether they are installed, starting them
 * with their output kept for failure messages, and waiting until they
 * answer. Under CI=true the tests that need them fail instead of skipping
 * (`inCI`).
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";

export const inCI = /^(1|true|yes)$/i.test(process.env.CI ?? "");

/** Whether `binary --version` runs. */
export function installed(binary: string): boolean {
  try {
    execFileSync(binary, ["--version"], { stdio: "ignore", timeout: 10_000 });
    return true;
  } catch {
    return false;
  }
}

export interface StartedProcess {
  readonly child: ChildProcess;
  /** The last 20,000 characters it wrote to stdout and stderr. */
  output(): string;
  /** Throws (with its output) when it has exited. */
  assertRunning(what: string): void;
}

/** Starts `command` in `cwd`, adding it to `children` so the caller's afterAll can stop it. */
export function startProcess(
  children: ChildProcess[],
  cwd: string,
  command: string,
  args: string[],
): StartedProcess {
  const child = spawn(command, args, { cwd, stdio: ["ignore", "pipe", "pipe"] });
  children.push(child);
  let output = "";
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-20_000);
  };
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  return {
    child,
    output: () => output,
    assertRunning(what) {
      if (child.exitCode !== null || child.signalCode !== null) {
        throw new Error(`${what} exited with ${child.exitCode ?? child.signalCode}:\n${output}`);
      }
    },
  };
}

/** SIGTERM to every child still running, then waits (at most 10 s each) for it to exit. */
export async function stopProcesses(children: ChildProcess[]): Promise<void> {
  await Promise.all(
    children.map(async (child) => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
      await exited;
      clearTimeout(timer);
    }),
  );
}

/** Polls `url` until it answers 200 (within `timeoutMs`), checking that `proc` still runs. */
export async function waitReady(
  url: string,
  proc: StartedProcess,
  what: string,
  timeoutMs = 30_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    proc.assertRunning(what);
    try {
      if ((await fetch(url)).status === 200) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      throw new Error(`${what} did not answer ${url} within ${timeoutMs} ms:\n${proc.output()}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}
