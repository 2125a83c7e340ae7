import { describe, expect, it } from "vitest";
import { normalizeMachineConfig, resolveGuest } from "../../../src/emulator/machine-config";

describe("resolveGuest (machine sizing docs)", () => {
  it.each([
    [{}, { cpu_kind: "shared", cpus: 1, memory_mb: 256 }],
    [{ guest: { cpus: 2 } }, { cpu_kind: "shared", cpus: 2, memory_mb: 512 }],
    [{ guest: { cpu_kind: "shared" as const, cpus: 2, memory_mb: 4096 } }, { cpu_kind: "shared", cpus: 2, memory_mb: 4096 }],
    [{ guest: { cpu_kind: "performance" as const, cpus: 1 } }, { cpu_kind: "performance", cpus: 1, memory_mb: 2048 }],
    [{ guest: { cpu_kind: "performance" as const, cpus: 2, memory_mb: 16384 } }, { cpu_kind: "performance", cpus: 2, memory_mb: 16384 }],
    [{ size: "shared-cpu-4x" }, { cpu_kind: "shared", cpus: 4, memory_mb: 1024 }],
    [{ size: "performance-16x" }, { cpu_kind: "performance", cpus: 16, memory_mb: 32768 }],
  ])("%j -> %j", (config, guest) => {
    expect(resolveGuest({ image: "x", ...config })).toEqual(guest);
  });

  it.each([
    [{ guest: { cpus: 1, memory_mb: 2304 } }, /outside 256\.\.2048/],
    [{ guest: { cpus: 2, memory_mb: 256 } }, /outside 512\.\.4096/],
    [{ guest: { cpu_kind: "performance" as const, cpus: 1, memory_mb: 3072 } }, /not a multiple of 2048/],
    [{ guest: { cpu_kind: "performance" as const, cpus: 1, memory_mb: 10240 } }, /outside 2048\.\.8192/],
    [{ guest: { cpu_kind: "performance" as const, cpus: 3 } }, /cpus: 3 is not one of/],
    [{ size: "shared-cpu-3x" }, /unknown preset/],
    [{ size: "shared-cpu-1x", guest: { cpus: 1 } }, /mutually exclusive/],
  ])("rejects %j", (config, message) => {
    expect(() => resolveGuest({ image: "x", ...config })).toThrow(message);
  });
});

describe("normalizeMachineConfig", () => {
  it("does not modify its input", () => {
    const input = { image: "x", stop_config: { timeout: 5_000_000_000 } };
    const out = normalizeMachineConfig(input);
    expect(out.stop_config?.timeout).toBe("5s");
    expect(input.stop_config.timeout).toBe(5_000_000_000);
  });

  it("rejects duplicate container names", () => {
    expect(() => normalizeMachineConfig({ image: "x", containers: [{ name: "a", image: "x" }, { name: "a", image: "y" }] })).toThrow(/duplicate container name/);
  });
});
