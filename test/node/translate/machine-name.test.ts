import { describe, expect, it } from "vitest";
import { machineNameForPod, podHostname } from "../../../src/worker/translate/machine-name";

describe("machineNameForPod", () => {
  const uid = "1F0E6A5C-3b1d-4c5e-9f4a-0a1b2c3d4e5f";
  it.each([
    ["default", "web-0", "default-web-0-1f0e6a5c"],
    ["kube-system", "coredns.v1_x", "kube-system-coredns-v1-x-1f0e6a5c"],
    ["ns", "--odd--name--", "ns-odd-name-1f0e6a5c"],
  ])("%s/%s -> %s", (namespace, name, expected) => {
    expect(machineNameForPod({ namespace, name, uid })).toBe(expected);
  });

  it("cuts long names to 63 characters and keeps the uid suffix", () => {
    const name = machineNameForPod({ namespace: "a-very-long-namespace-name", name: "x".repeat(80), uid });
    expect(name).toHaveLength(63);
    expect(name).toMatch(/^a-very-long-namespace-name-x+-1f0e6a5c$/);
  });

  it("never ends the cut part with a dash", () => {
    const name = machineNameForPod({ namespace: "n".repeat(53), name: "b", uid });
    expect(name).toBe(`${"n".repeat(53)}-1f0e6a5c`);
  });

  it("tells apart same-named pods with different uids", () => {
    const a = machineNameForPod({ namespace: "default", name: "web", uid: "aaaaaaaa-0000-0000-0000-000000000000" });
    const b = machineNameForPod({ namespace: "default", name: "web", uid: "bbbbbbbb-0000-0000-0000-000000000000" });
    expect(a).not.toBe(b);
  });
});

describe("podHostname", () => {
  it.each([
    ["web-0", undefined, "web-0"],
    ["web-0", "db-0", "db-0"],
    [`${"a".repeat(62)}.b`, undefined, "a".repeat(62)],
  ])("%s (hostname %s) -> %s", (name, hostname, expected) => expect(podHostname(name, hostname)).toBe(expected));
});
