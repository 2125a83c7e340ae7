import { describe, expect, it } from "vitest";
import { emulatorUrl, newCluster, pod, podPhase, postEvents, signedFetch } from "./helpers";

async function runningPod(spec?: Record<string, unknown>) {
  const { cluster, app } = newCluster("io");
  const p = pod(spec ? { spec } : {});
  await postEvents(cluster, [{ type: "ADDED", object: p }]);
  const view = await podPhase(cluster, p.metadata.uid, "Running");
  return { cluster, app, uid: p.metadata.uid, machineId: view.machineId! };
}

const control = (path: string, body: unknown) => fetch(`${emulatorUrl}${path}`, { method: "POST", body: JSON.stringify(body), headers: { "content-type": "application/json" } });

describe("pod logs through the worker", () => {
  it("serves the machine's own lines, platform lines only when asked, and pages forward with next", async () => {
    const { cluster, app, uid, machineId } = await runningPod();
    await control(`/_emulator/apps/${app}/machines/${machineId}/logs`, { lines: ["one", "two"] });
    const res = await signedFetch(`/v1/clusters/${cluster}/pods/${uid}/logs`);
    expect(res.status).toBe(200);
    const page = (await res.json()) as any;
    expect(page).toMatchObject({ machineId, more: false });
    expect(page.lines.map((l: any) => l.message)).toEqual(["one", "two"]);
    const all = (await (await signedFetch(`/v1/clusters/${cluster}/pods/${uid}/logs?platform=true`)).json()) as any;
    expect(all.lines.map((l: any) => l.provider)).toContain("runner");
    await control(`/_emulator/apps/${app}/machines/${machineId}/logs`, { lines: ["three"] });
    const next = (await (await signedFetch(`/v1/clusters/${cluster}/pods/${uid}/logs?after=${page.next}`)).json()) as any;
    expect(next.lines.map((l: any) => l.message)).toEqual(["three"]);
  });

  it("keeps a multi-container machine's lines to the named container", async () => {
    const { cluster, app, uid, machineId } = await runningPod({ containers: [{ name: "web", image: "nginx" }, { name: "sidecar", image: "busybox" }] });
    await control(`/_emulator/apps/${app}/machines/${machineId}/logs`, { lines: ["from web"], container: "web" });
    await control(`/_emulator/apps/${app}/machines/${machineId}/logs`, { lines: ["from sidecar"], container: "sidecar" });
    const page = (await (await signedFetch(`/v1/clusters/${cluster}/pods/${uid}/logs?container=sidecar`)).json()) as any;
    expect(page.lines.map((l: any) => l.message)).toEqual(["from sidecar"]);
  });

  it("answers 404 for an unknown pod, 400 for a bad query, 401 unsigned", async () => {
    const { cluster } = newCluster("io");
    expect((await signedFetch(`/v1/clusters/${cluster}/pods/nope/logs`)).status).toBe(404);
    expect((await signedFetch(`/v1/clusters/${cluster}/pods/nope/logs?after=x`)).status).toBe(400);
    expect((await signedFetch(`/v1/clusters/${cluster}/pods/nope/logs`, { secret: "wrong" })).status).toBe(401);
  });
});

describe("pod exec through the worker", () => {
  it("runs the command and returns output and exit code; a non-zero exit is a result", async () => {
    const { cluster, app, uid, machineId } = await runningPod();
    await control(`/_emulator/apps/${app}/machines/${machineId}/exec-results`, { stdout: "hi\n", stderr: "oops\n", exit_code: 3 });
    const res = await signedFetch(`/v1/clusters/${cluster}/pods/${uid}/exec`, { body: { command: ["sh", "-c", "echo hi; exit 3"] } });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ exitCode: 3, stdout: "hi\n", stderr: "oops\n" });
  });

  it("names the deadline, a wrong container, and a bad request", async () => {
    const { cluster, app, uid, machineId } = await runningPod({ containers: [{ name: "web", image: "nginx" }, { name: "sidecar", image: "busybox" }] });
    await control(`/_emulator/apps/${app}/machines/${machineId}/exec-results`, { exit_code: 0, duration_ms: 1500 });
    const slow = await signedFetch(`/v1/clusters/${cluster}/pods/${uid}/exec`, { body: { command: ["sleep", "9"], container: "web", timeoutSeconds: 1 } });
    expect(slow.status).toBe(504);
    expect(((await slow.json()) as any).error).toMatch(/deadline/);
    const wrong = await signedFetch(`/v1/clusters/${cluster}/pods/${uid}/exec`, { body: { command: ["true"], container: "db" } });
    expect(wrong.status).toBe(400);
    expect(((await wrong.json()) as any).error).toMatch(/container db/);
    expect((await signedFetch(`/v1/clusters/${cluster}/pods/${uid}/exec`, { body: { command: [] } })).status).toBe(400);
    expect((await signedFetch(`/v1/clusters/${cluster}/pods/${uid}/exec`, { body: { command: ["x"], timeoutSeconds: 31 } })).status).toBe(400);
  });
});
