/**
 * Prometheus' own PromQL test corpus (../shared/promqltest) through our
 * runner: every case of the v2.42.0 set (the required one) is a test; the
 * current set (Prometheus 3 semantics, not required) is run and reported,
 * with the failing cases grouped by the features they use.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { type CaseResult, failureReport, parseScript, runScriptFile } from "./promqltest-runner.js";

const CORPUS = join(import.meta.dirname, "../../../shared/promqltest/testdata");
const V242 = join(CORPUS, "v2.42.0");

const testFiles = (dir: string) =>
  readdirSync(dir)
    .filter((f) => f.endsWith(".test"))
    .sort();

describe("PromQL corpus v2.42.0", () => {
  for (const file of testFiles(V242)) {
    describe(file, () => {
      const cases = parseScript(readFileSync(join(V242, file), "utf8"), file).flatMap((c) =>
        c.kind === "eval" ? [c.case] : [],
      );
      let results: CaseResult[] = [];
      beforeAll(async () => {
        results = await runScriptFile(join(V242, file));
      });
      cases.forEach((c, index) => {
        it(`line ${c.line}: ${c.expr}`, () => {
          const r = results[index]!;
          expect(r.case.line).toBe(c.line);
          expect({ outcome: r.outcome, reason: r.reason }).toEqual({
            outcome: "pass",
            reason: r.reason,
          });
        });
      });
    });
  }
});

describe("PromQL corpus, current set (Prometheus 3; reported, not required)", () => {
  it("runs every file and reports the failures by feature", async () => {
    const all: CaseResult[] = [];
    const lines: string[] = [];
    for (const file of testFiles(CORPUS)) {
      const results = await runScriptFile(join(CORPUS, file));
      all.push(...results);
      const count = (o: string) => results.filter((r) => r.outcome === o).length;
      lines.push(
        `  ${file.padEnd(26)} pass ${count("pass")}  fail ${count("fail")}  set aside ${count("set-aside")}`,
      );
    }
    const count = (o: string) => all.filter((r) => r.outcome === o).length;
    console.log(
      `current promqltest set: ${count("pass")} passed, ${count("fail")} failed, ${count("set-aside")} set aside of ${all.length}\n${lines.join("\n")}\nfailures by feature:\n${failureReport(all)}`,
    );
    // A floor, so a regression shows; raise it when the engine learns more.
    expect(count("pass")).toBeGreaterThanOrEqual(450);
  }, 120_000);
});
