import { describe, expect, it } from "vitest";
import { formatGoDuration, parseGoDuration } from "../../../src/emulator/durations";

describe("Go durations", () => {
  it.each([
    [0, "0s"],
    [999, "999ns"],
    [1_500, "1.5µs"],
    [250_000_000, "250ms"],
    [1_500_000_000, "1.5s"],
    [10_000_000_000, "10s"],
    [90_000_000_000, "1m30s"],
    [3_600_000_000_000, "1h0m0s"],
    [-2_000_000_000, "-2s"],
  ])("formats %i ns as %s (Go's time.Duration.String)", (ns, text) => {
    expect(formatGoDuration(ns)).toBe(text);
    expect(parseGoDuration(text)).toBe(ns);
  });

  it.each([["10s", 10e9], ["1h30m", 5400e9], ["1.5h", 5400e9], ["300us", 300e3], ["2m0.5s", 120.5e9], ["0", 0]])("parses %s", (text, ns) => {
    expect(parseGoDuration(text)).toBe(ns);
  });

  it.each(["", "10", "s", "1x", "1s2", "soon"])("rejects %j", (text) => {
    expect(parseGoDuration(text)).toBeUndefined();
  });
});
