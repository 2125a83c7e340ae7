import { describe, expect, it } from "vitest";
import { expandReferences } from "../../../src/worker/translate/env";

describe("expandReferences (kubelet $(VAR) rules)", () => {
  const vars: Record<string, string> = { HOST: "db", PORT: "5432", EMPTY: "" };
  const lookup = (n: string) => vars[n];
  it.each([
    ["plain", "plain"],
    ["$(HOST):$(PORT)", "db:5432"],
    ["x$(EMPTY)y", "xy"],
    ["$(MISSING)", "$(MISSING)"],
    ["$$(HOST)", "$(HOST)"],
    ["$$$(HOST)", "$db"],
    ["cost $5", "cost $5"],
    ["$HOST", "$HOST"],
    ["trailing $", "trailing $"],
    ["$(HOST", "$(HOST"],
    ["$()", "$()"],
  ])("%j -> %j", (input, output) => expect(expandReferences(input, lookup)).toBe(output));
});

describe("expansion bounds", () => {
  it("stops once the result would be longer than the limit", () => {
    expect(expandReferences("$(A)$(A)", () => "x".repeat(10), 15)).toBeUndefined();
    expect(expandReferences("$(A)", () => "x".repeat(10), 15)).toBe("x".repeat(10));
  });
});
