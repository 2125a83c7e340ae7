// Images at create and update (README "Images"): a reference that does not parse is a 400 naming
// the field; an image that does not exist is Fly's 422 "failed to launch VM", and nothing is made or changed.
import { describe, expect, it } from "vitest";
import { APP, IMAGE, machinePath, useEmulator } from "./harness";

const h = useEmulator();
const MACHINES = `/v1/apps/${APP}/machines`;
const machineCount = async () => (await h.control("GET", `/_emulator/apps/${APP}/machines`)).body.length;

describe("images", () => {
  it("an image matching the default missing pattern: 422 failed to launch VM, no machine", async () => {
    const res = await h.fly("POST", MACHINES, { body: { config: { image: "ghcr.io/acme/does-not-exist:1" } } });
    expect(res.status).toBe(422);
    expect(res.body).toEqual({ error: 'failed to launch VM: failed to resolve reference "ghcr.io/acme/does-not-exist:1": ghcr.io/acme/does-not-exist:1: not found' });
    expect(await machineCount()).toBe(0);
  });

  it("a container's image is checked too, normalized as Docker Hub names it", async () => {
    await h.setConfig({ missingImages: ["docker.io/library/busybox:*"] });
    const containers = [{ name: "a", image: IMAGE }, { name: "b", image: "busybox:9" }];
    const res = await h.fly("POST", MACHINES, { body: { config: { image: IMAGE, containers } } });
    expect(res.status).toBe(422);
    expect(res.body.error).toBe('failed to launch VM: failed to resolve reference "docker.io/library/busybox:9": docker.io/library/busybox:9: not found');
    expect((await h.fly("POST", MACHINES, { body: { config: { image: "busybox:9" } } })).status).toBe(422);
    await h.setConfig({ missingImages: [] });
    expect((await h.fly("POST", MACHINES, { body: { config: { image: "nginx:does-not-exist" } } })).status).toBe(200);
  });

  it("an update to a missing image is refused and the machine keeps its version and config", async () => {
    const m = await h.createMachine();
    await h.waitFor(m.id, "started");
    const res = await h.fly("POST", machinePath(m.id), { body: { config: { image: "nginx:does-not-exist" } } });
    expect(res.status).toBe(422);
    const after = (await h.fly("GET", machinePath(m.id))).body;
    expect(after).toMatchObject({ version: m.version, state: "started", config: { image: IMAGE } });
  });

  it.each([
    ["config.image", { image: "Not A Valid/Image::name" }, '"Not A Valid/Image::name" is not a valid image reference (invalid reference format)'],
    ["config.image", { image: "Nginx" }, '"Nginx" is not a valid image reference (invalid reference format: repository name must be lowercase)'],
    ["config.containers[0].image", { image: IMAGE, containers: [{ name: "a", image: "a b" }] }, '"a b" is not a valid image reference (invalid reference format)'],
  ])("an invalid reference in %s is a 400 naming it", async (field, config, why) => {
    const res = await h.fly("POST", MACHINES, { body: { config } });
    expect(res.status).toBe(400);
    expect(res.body.error).toBe(`invalid ${field}: ${why}`);
  });
});
