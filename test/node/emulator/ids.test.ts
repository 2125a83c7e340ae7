import { describe, expect, it } from "vitest";
import { newAppId, newLeaseNonce, newMachineId, newVolumeId, ulidFactory } from "../../../src/emulator/ids";
import { imageRef } from "../../../src/emulator/image-ref";

describe("ids", () => {
  it("have Fly's shapes", () => {
    expect(newMachineId()).toMatch(/^[0-9a-f]{14}$/);
    expect(newLeaseNonce()).toMatch(/^[0-9a-f]{12}$/);
    expect(newAppId()).toMatch(/^[0-9a-z]{16}$/);
    expect(newVolumeId()).toMatch(/^vol_[0-9a-z]{16}$/);
  });

  it("ULIDs are 26 Crockford chars that sort in creation order, even within one millisecond and when the clock goes back", () => {
    let now = 1_700_000_000_000;
    const next = ulidFactory(() => now);
    const ids = [next(), next(), next()];
    now -= 5;
    ids.push(next());
    now += 1000;
    ids.push(next());
    for (const id of ids) expect(id).toMatch(/^[0-9A-HJKMNP-TV-Z]{26}$/);
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(ids.length);
  });
});

describe("imageRef", () => {
  it.each([
    ["nginx", { registry: "registry-1.docker.io", repository: "library/nginx", tag: "latest" }],
    ["nginx:1.27", { registry: "registry-1.docker.io", repository: "library/nginx", tag: "1.27" }],
    ["flyio/hellofly:latest", { registry: "registry-1.docker.io", repository: "flyio/hellofly", tag: "latest" }],
    ["registry.fly.io/app:deployment-1", { registry: "registry.fly.io", repository: "app", tag: "deployment-1" }],
    ["localhost:5000/x/y:2", { registry: "localhost:5000", repository: "x/y", tag: "2" }],
    ["ghcr.io/o/r@sha256:abc", { registry: "ghcr.io", repository: "o/r", tag: "", digest: "sha256:abc" }],
  ])("splits %s", (image, expected) => {
    expect(imageRef(image)).toMatchObject(expected);
    expect(imageRef(image).digest).toMatch(/^sha256:/);
  });
});
