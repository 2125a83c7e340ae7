import { describe, expect, it } from "vitest";
import { parseQuantity } from "../../../src/shared/k8s";

describe("parseQuantity", () => {
  const cases: [string | number, number][] = [
    ["100m", 0.1],
    ["2", 2],
    [2, 2],
    ["1.5", 1.5],
    ["128Mi", 128 * 2 ** 20],
    ["1Gi", 2 ** 30],
    ["1G", 1e9],
    ["500k", 5e5],
    ["1e3", 1000],
    ["1E3", 1000],
    ["2E", 2e18],
    ["250u", 250e-6],
    [".5", 0.5],
  ];
  it.each(cases)("%s", (q, v) => expect(parseQuantity(q)).toBeCloseTo(v, 9));

  it.each(["", "Mi", "1mi", "1.2.3", "ten"])("rejects %j", (q) => expect(() => parseQuantity(q)).toThrow(/malformed quantity/));
});
