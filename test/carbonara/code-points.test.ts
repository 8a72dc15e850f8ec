import { describe, expect, it } from "vitest";
import { compareCodePoints } from "../../src/carbonara/code-points.js";
import { prng } from "../support/prng.js";

describe("compareCodePoints", () => {
  it("orders like a comparison of code points, for any strings", () => {
    const byCodePoints = (a: string, b: string) => {
      const l = [...a].map((c) => c.codePointAt(0)!);
      const r = [...b].map((c) => c.codePointAt(0)!);
      for (let i = 0; i < Math.min(l.length, r.length); i++)
        if (l[i] !== r[i]) return l[i]! - r[i]!;
      return l.length - r.length;
    };
    // Both sides of the surrogate range, the private-use area, astral characters.
    const alphabet = ["a", "b", "\uD7FF", "\uE000", "\uFFFD", "😀", "𝄞", "\u0000", "z"];
    const random = prng(7);
    const pick = () => alphabet[Math.floor(random() * alphabet.length)]!;
    for (let k = 0; k < 2000; k++) {
      const a = Array.from({ length: (k * 7) % 5 }, pick).join("");
      const b = Array.from({ length: (k * 3) % 5 }, pick).join("");
      expect(Math.sign(compareCodePoints(a, b)), `${a} vs ${b}`).toBe(
        Math.sign(byCodePoints(a, b)),
      );
    }
  });
});
