import { describe, expect, it } from "vitest";
import { IMAGE, machinePath, useEmulator } from "./harness";

const h = useEmulator();
/** Far longer than any wait below: a boot that pulls cannot finish within one. */
const PULL_MS = 60_000;

/** Whether the machine reaches `started` within one second (a boot without a pull does; one with a pull cannot). */
async function startsWithinASecond(id: string): Promise<boolean> {
  const r = await h.fly("GET", machinePath(id, "/wait?state=started&timeout=1"));
  if (r.status !== 200 && r.status !== 408) throw new Error(`wait answered ${r.status}`);
  return r.status === 200;
}

describe("image pulls (create slower than start: fly-mapping.md §8)", () => {
  it("a create's first boot pulls the image; a start or an update of the same image does not; a new image does", async () => {
    await h.setConfig({ imagePullMs: PULL_MS });
    const fresh = await h.createMachine();
    expect(await startsWithinASecond(fresh.id)).toBe(false);

    await h.setConfig({ imagePullMs: 0 });
    const m = await h.createMachine();
    await h.waitFor(m.id, "started");
    await h.fly("POST", machinePath(m.id, "/stop"), { body: {} });
    await h.waitFor(m.id, "stopped");

    await h.setConfig({ imagePullMs: PULL_MS });
    expect((await h.fly("POST", machinePath(m.id, "/start"))).status).toBe(200);
    expect(await startsWithinASecond(m.id)).toBe(true);

    // An update of a running machine with the image it holds boots at start speed ...
    expect((await h.fly("POST", machinePath(m.id), { body: { config: { image: IMAGE, env: { A: "1" } } } })).status).toBe(200);
    await h.fly("GET", machinePath(m.id, "/wait?state=starting&timeout=5"));
    expect(await startsWithinASecond(m.id)).toBe(true);
    // ... one with another image pulls it first.
    expect((await h.fly("POST", machinePath(m.id), { body: { config: { image: "registry-1.docker.io/library/redis:7" } } })).status).toBe(200);
    await h.fly("GET", machinePath(m.id, "/wait?state=starting&timeout=5"));
    expect(await startsWithinASecond(m.id)).toBe(false);
  });
});
