import { describe, expect, it } from "vitest";
import { IMAGE, machinePath, useEmulator } from "./harness";

const h = useEmulator();

async function started(config: Record<string, unknown> = { image: IMAGE }) {
  const m = await h.createMachine({ config });
  await h.waitFor(m.id, "started");
  return m;
}

describe("exec", () => {
  it("answers the default result, then configured per-argv results", async () => {
    const m = await started();
    expect((await h.fly("POST", machinePath(m.id, "/exec"), { body: { command: ["true"] } })).body).toEqual({ exit_code: 0, stdout: "", stderr: "" });
    await h.setConfig({
      exec: {
        default: { exit_code: 127, stderr: "not found" },
        rules: [{ command: ["cat", "/etc/hostname"], exit_code: 0, stdout: "web-1\n" }],
      },
    });
    expect((await h.fly("POST", machinePath(m.id, "/exec"), { body: { command: ["cat", "/etc/hostname"] } })).body).toEqual({ exit_code: 0, stdout: "web-1\n", stderr: "" });
    expect((await h.fly("POST", machinePath(m.id, "/exec"), { body: { cmd: "cat  /etc/hostname" } })).body.stdout).toBe("web-1\n");
    expect((await h.fly("POST", machinePath(m.id, "/exec"), { body: { command: ["ls"] } })).body).toEqual({ exit_code: 127, stdout: "", stderr: "not found" });
  });

  it("needs a command, a known container, and a started machine", async () => {
    const m = await started({ image: IMAGE, containers: [{ name: "app", image: IMAGE }] });
    expect((await h.fly("POST", machinePath(m.id, "/exec"), { body: {} })).body.error).toBe("invalid command: required");
    expect((await h.fly("POST", machinePath(m.id, "/exec"), { body: { command: ["x"], container: "db" } })).body.error).toContain("invalid container");
    expect((await h.fly("POST", machinePath(m.id, "/exec"), { body: { command: ["x"], container: "app", machine: true } })).status).toBe(400);
    expect((await h.fly("POST", machinePath(m.id, "/exec"), { body: { command: ["x"], container: "app" } })).status).toBe(200);
    const idle = await h.createMachine({ skip_launch: true });
    expect((await h.fly("POST", machinePath(idle.id, "/exec"), { body: { command: ["x"] } })).status).toBe(412);
  });
});
