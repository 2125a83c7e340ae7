// `logs -f` against a client that reads slowly: the relay reads Fly's logs no faster than the
// client takes them, and a client that leaves while its socket is full ends the stream.
import { createServer, type Server, type ServerResponse } from "node:http";
import { connect, type AddressInfo, type Socket } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { serveContainerLogs } from "../../../src/relay/kubelet/container-logs";
import type { WorkerClient } from "../../../src/relay/worker-client";
import { waitFor } from "./helpers";

/** 32 MiB in all: far more than the kernel buffers of a loopback connection hold. */
const PAGES = 128;
const LINES_PER_PAGE = 256;
const lines = Array.from({ length: LINES_PER_PAGE }, (_, i) => ({ timestamp: "2026-01-01T00:00:00.000000000Z", message: `${i}`.padEnd(1023, "x"), provider: "app" }));

let server: Server | undefined;
let client: Socket | undefined;
afterEach(async () => {
  client?.destroy();
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve) ?? resolve(undefined));
});

/** Serves `logs -f` of a pod whose machine has PAGES pages of logs; `needDrainAtFetch` says, per fetch after the first, whether the response was full then. */
async function followLogs() {
  const needDrainAtFetch: boolean[] = [];
  let res: ServerResponse | undefined;
  let served: Promise<void> | undefined;
  let fetched = 0;
  const worker = {
    signed: async () => {
      if (fetched > 0) needDrainAtFetch.push(res!.writableNeedDrain);
      if (fetched === PAGES) return { status: 404, text: JSON.stringify({ error: "machine destroyed" }) };
      fetched++;
      return { status: 200, text: JSON.stringify({ machineId: "m1", lines, next: String(fetched), more: true }) };
    },
  } as unknown as WorkerClient;
  const target = { namespace: "default", name: "web", uid: "u1", container: "main", containers: ["main"] };
  server = createServer((_req, r) => {
    res = r;
    served = serveContainerLogs({ worker, podAlive: () => true, poll: { baseMs: 10, maxMs: 20 } }, target, { follow: true, timestamps: false }, r);
  });
  await new Promise<void>((resolve) => server!.listen(0, "127.0.0.1", resolve));
  // A client that reads nothing until told to: its socket fills up.
  client = connect((server.address() as AddressInfo).port, "127.0.0.1");
  client.write("GET /containerLogs/default/web/main?follow=true HTTP/1.1\r\nHost: kubelet\r\nConnection: close\r\n\r\n");
  // Full now, or at a fetch already: a relay that does not wait may have written everything by now.
  await waitFor("the response to fill the client's socket", () => res?.writableNeedDrain === true || needDrainAtFetch.includes(true), 15_000);
  return { needDrainAtFetch, served: () => served!, res: res! };
}

describe("logs -f with a slow client", () => {
  it("fetches the next page only once the client has taken the last one", async () => {
    const logs = await followLogs();
    let received = 0;
    client!.on("data", (d: Buffer) => (received += d.length));
    await new Promise((resolve) => client!.once("end", resolve));
    await logs.served();
    expect(received).toBeGreaterThan(PAGES * LINES_PER_PAGE * 1024);
    expect(logs.needDrainAtFetch).toHaveLength(PAGES);
    expect(logs.needDrainAtFetch.filter(Boolean)).toEqual([]);
  });

  it("ends the stream when the client leaves while its socket is full", async () => {
    const logs = await followLogs();
    client!.destroy();
    await logs.served();
    expect(logs.res.writableEnded).toBe(true);
  });
});
