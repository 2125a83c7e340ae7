import { spawn } from "node:child_process";
import { once } from "node:events";
import path from "node:path";
import { createInterface } from "node:readline";
import { expect, it } from "vitest";
import { validator } from "./harness";

const MAIN = path.resolve(import.meta.dirname, "../../../src/emulator/main.ts");

it("serves the staging defaults, prints its address, and exits cleanly on SIGTERM", async () => {
  const child = spawn(process.execPath, ["--import", "tsx", MAIN], {
    env: { ...process.env, MACHINELET_MACHINES_PORT: "0", EMULATOR_TOKENS: undefined, EMULATOR_APPS: undefined },
    stdio: ["ignore", "pipe", "inherit"],
  });
  try {
    const lines = createInterface({ input: child.stdout });
    const [line] = (await once(lines, "line")) as [string];
    const match = /^machines emulator listening on (http:\/\/127\.0\.0\.1:\d+)$/.exec(line);
    expect(match, line).not.toBeNull();
    const url = match?.[1] ?? "";
    const res = await fetch(`${url}/v1/apps/fks-staging`, { headers: { authorization: "Bearer staging-token" } });
    expect(res.status).toBe(200);
    validator.assertValid({ method: "GET", path: "/v1/apps/fks-staging", status: res.status, body: await res.json() });
    expect((await fetch(`${url}/v1/apps/fks-staging`, { headers: { authorization: "Bearer test-token" } })).status).toBe(401);
    child.kill("SIGTERM");
    const [code] = await once(child, "exit");
    expect(code).toBe(0);
  } finally {
    if (child.exitCode === null) child.kill("SIGKILL");
  }
});
