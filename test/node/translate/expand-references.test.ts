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
