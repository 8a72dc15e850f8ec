/** Metric id canonicalization: what every storage call keys its files and caches by. */
import { describe, expect, it } from "vitest";
import { bytesToUuid, canonicalMetricId, InvalidMetricIdError } from "../../src/storage/common.js";
import { prng } from "../support/prng.js";

describe("canonicalMetricId", () => {
  it("gives a canonical id back as it is, and writes any other form of a UUID canonically", () => {
    const id = "0f8e2c1a-7b3d-4e5f-9a6b-1c2d3e4f5a6b";
    expect(canonicalMetricId(id)).toBe(id);
    expect(canonicalMetricId(id.toUpperCase())).toBe(id);
    expect(canonicalMetricId(id.replaceAll("-", ""))).toBe(id);
    expect(canonicalMetricId("0f8e2c1a7b3d-4e5f-9a6b-1c2d3e4f-5a6b")).toBe(id); // dashes elsewhere
  });

  it("agrees with the byte round trip for random ids in every spelling", () => {
    const rand = prng(11);
    for (let k = 0; k < 500; k++) {
      const bytes = Uint8Array.from({ length: 16 }, () => Math.floor(rand() * 256));
      const canonical = bytesToUuid(bytes);
      for (const spelling of [canonical, canonical.toUpperCase(), canonical.replaceAll("-", "")])
        expect(canonicalMetricId(spelling)).toBe(canonical);
    }
  });

  it.each([
    "",
    "0f8e2c1a-7b3d-4e5f-9a6b-1c2d3e4f5a6", // 35 characters
    "0f8e2c1a-7b3d-4e5f-9a6b-1c2d3e4f5a6g", // not hex
    "0f8e2c1a-7b3d-4e5f-9a6b-1c2d3e4f5a6b0", // 33 digits
    "0f8e2c1a 7b3d-4e5f-9a6b-1c2d3e4f5a6b",
  ])("refuses %j", (id) => {
    expect(() => canonicalMetricId(id)).toThrow(InvalidMetricIdError);
  });
});
