/**
 * The relay's WorkerClient against a real HTTP server that compresses like workerd does (gzip
 * when the request accepts it): small answers are asked for uncompressed, large ones compressed.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { gzipSync } from "node:zlib";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { verifySignature } from "../../../src/shared/contract";
import { WorkerClient } from "../../../src/relay/worker-client";

let server: Server;
let url: string;
const seen: Array<{ path: string; acceptEncoding: string | undefined; signed: boolean }> = [];

beforeEach(async () => {
  seen.length = 0;
  server = createServer((req, res) => {
    const acceptEncoding = req.headers["accept-encoding"];
    void verifySignature("secret", req.headers["x-machinelet-signature"] as string | undefined, req.method ?? "", req.url ?? "", "").then((check) => {
      seen.push({ path: req.url ?? "", acceptEncoding, signed: check.ok });
      const body = JSON.stringify({ path: req.url });
      if (/\bgzip\b/.test(acceptEncoding ?? "")) {
        res.writeHead(200, { "content-type": "application/json", "content-encoding": "gzip" });
        res.end(gzipSync(body));
      } else {
        res.writeHead(200, { "content-type": "application/json" });
        res.end(body);
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterEach(async () => {
  await new Promise((r) => server.close(r));
});

describe("WorkerClient", () => {
  it("asks for uncompressed answers unless the caller expects a large one", async () => {
    const client = new WorkerClient(url, "c1", "secret", 5_000);
    const small = await client.signed("GET", "/pods/u1/logs?after=5");
    const large = await client.signed("GET", "/status?after=0", "", { compressed: true });

    expect(JSON.parse(small.text)).toEqual({ path: "/v1/clusters/c1/pods/u1/logs?after=5" });
    expect(JSON.parse(large.text)).toEqual({ path: "/v1/clusters/c1/status?after=0" });
    expect(seen).toEqual([
      { path: "/v1/clusters/c1/pods/u1/logs?after=5", acceptEncoding: "identity", signed: true },
      { path: "/v1/clusters/c1/status?after=0", acceptEncoding: expect.stringMatching(/\bgzip\b/), signed: true },
    ]);
  });
});
