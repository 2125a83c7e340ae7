// Exec stdin through the relay's kubelet API, over WebSocket and SPDY: more than Fly's stdin limit
// must never end the relay with an unhandled rejection. Stdin the options did not ask for is
// dropped (the session still answers); stdin they did ask for ends the session with the limit named.
import { request } from "node:https";
import type { Duplex } from "node:stream";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { connection, type SpdyStream } from "../../../src/k8s/spdy/spdy-transport-compat";
import { createCertificate, createSelfSignedCert } from "../../../src/k8s/tls/x509";
import type { KubeApi } from "../../../src/relay/kube-api";
import { KubeletAuth } from "../../../src/relay/kubelet/authn";
import { startKubeletServer, type KubeletServer } from "../../../src/relay/kubelet/server";
import { createLogger } from "../../../src/relay/log";
import type { WorkerClient } from "../../../src/relay/worker-client";
import { MAX_EXEC_STDIN_BYTES } from "../../../src/shared/contract";

const ca = await createCertificate({ commonName: "client-ca", usage: "ca" });
const apiserver = await createCertificate({ commonName: "kube-apiserver-kubelet-client", organizations: ["system:masters"], usage: "client", issuer: ca });
const pod = { metadata: { name: "web", namespace: "default", uid: "u1" }, spec: { containers: [{ name: "main" }] } };
const LIMIT_MESSAGE = `machinelet: stdin is limited to ${MAX_EXEC_STDIN_BYTES} bytes by Fly's exec`;
/** Past Fly's limit, in frames of 64 KiB. */
const OVER_LIMIT = Array.from({ length: Math.ceil(MAX_EXEC_STDIN_BYTES / 65_536) + 1 }, () => Buffer.alloc(65_536, "x"));

let kubelet: KubeletServer;
/** The exec requests the worker received; each is answered once the test opens the gate. */
let execs: unknown[];
let openGate: () => void;
let gate: Promise<void>;
const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => unhandled.push(reason);

const worker = {
  signed: async (_method: string, _suffix: string, body: string) => {
    execs.push(JSON.parse(body));
    await gate;
    return { status: 200, text: JSON.stringify({ exitCode: 0, stdout: "ran\n", stderr: "" }) };
  },
} as unknown as WorkerClient;

beforeAll(async () => {
  process.on("unhandledRejection", onUnhandled);
  const log = createLogger({ level: "error" });
  kubelet = await startKubeletServer({
    host: "127.0.0.1",
    port: 0,
    ...(await createSelfSignedCert(["127.0.0.1"])),
    clientCa: ca.cert,
    // Client certificates only: the API server is never asked.
    auth: new KubeletAuth({ api: {} as KubeApi, nodeName: "fks-test", log }),
    nodeName: "fks-test",
    worker,
    log,
    cachedPod: (ns, name) => (ns === "default" && name === "web" ? pod : undefined),
    logPoll: { baseMs: 50, maxMs: 100 },
  });
});
afterAll(async () => {
  process.off("unhandledRejection", onUnhandled);
  await kubelet?.close();
});
beforeEach(() => {
  execs = [];
  unhandled.length = 0;
  gate = new Promise((resolve) => (openGate = resolve));
});

/** A v5 WebSocket exec session; `done` resolves with what arrived on each channel once it closed. */
function webSocketExec(query: string) {
  const ws = new WebSocket(`wss://127.0.0.1:${kubelet.port}/exec/default/web/main?${query}`, ["v5.channel.k8s.io"], { ...apiserver, rejectUnauthorized: false });
  const channels = new Map<number, string>();
  ws.on("message", (data: Buffer) => channels.set(data[0]!, (channels.get(data[0]!) ?? "") + data.subarray(1).toString()));
  const done = new Promise<Map<number, string>>((resolve, reject) => {
    ws.on("close", () => resolve(channels));
    ws.on("error", reject);
  });
  const opened = new Promise<void>((resolve, reject) => ws.once("open", resolve).once("error", reject));
  const sendStdin = async (chunks: Buffer[]) => {
    for (const c of chunks) await new Promise<void>((resolve, reject) => ws.send(Buffer.concat([Buffer.from([0]), c]), (e) => (e ? reject(e) : resolve())));
  };
  // The relay answers a ping after every frame before it: then all of stdin has been handled.
  const ping = () => new Promise<void>((resolve) => ws.once("pong", () => resolve()).ping());
  return { opened, sendStdin, ping, done };
}

interface SpdyClient {
  start(version: number): void;
  request(uri: object, cb: (err: Error | null, stream: SpdyStream) => void): void;
  ping(cb: () => void): void;
}

/** An SPDY exec session as kube-apiserver opens it; streams are opened one by one by the test. */
async function spdyExec(query: string) {
  const socket = await new Promise<Duplex>((resolve, reject) => {
    const r = request({
      host: "127.0.0.1",
      port: kubelet.port,
      path: `/exec/default/web/main?${query}`,
      method: "POST",
      ...apiserver,
      rejectUnauthorized: false,
      headers: { Connection: "Upgrade", Upgrade: "SPDY/3.1", "X-Stream-Protocol-Version": "v4.channel.k8s.io" },
    });
    r.on("upgrade", (_res, s: Duplex, head: Buffer) => {
      if (head.length) s.unshift(head);
      resolve(s);
    });
    r.on("response", (res) => reject(new Error(`no upgrade: HTTP ${res.statusCode}`)));
    r.on("error", reject);
    r.end();
  });
  const conn = connection.create(socket, { protocol: "spdy", isServer: false }) as unknown as SpdyClient;
  conn.start(3.1);
  const open = (type: string) =>
    new Promise<SpdyStream>((resolve, reject) =>
      conn.request({ method: "POST", path: "/", host: "kubelet", headers: { streamtype: type }, readable: true, writable: true }, (err, s) => (err ? reject(err) : resolve(s))),
    );
  const text = (s: SpdyStream) => {
    let out = "";
    s.on("data", (d: Buffer) => (out += d.toString()));
    return new Promise<string>((resolve) => s.once("end", () => resolve(out)).once("close", () => resolve(out)));
  };
  const write = (s: SpdyStream, chunks: Buffer[]) => Promise.all(chunks.map((c) => new Promise<void>((resolve) => s.write(c, () => resolve()))));
  const ping = () => new Promise<void>((resolve) => conn.ping(resolve));
  return { socket, open, text, write, ping };
}

describe("exec stdin past Fly's limit", () => {
  it("over WebSocket without stdin asked for: channel 0 is ignored and the command's output still comes", async () => {
    const session = webSocketExec("command=cat&stdout=1");
    await session.opened;
    await session.sendStdin(OVER_LIMIT);
    await session.ping();
    openGate();
    const channels = await session.done;
    expect(unhandled).toEqual([]);
    expect(channels.get(1)).toBe("ran\n");
    expect(JSON.parse(channels.get(3)!)).toMatchObject({ status: "Success" });
    expect(execs).toEqual([{ command: ["cat"], timeoutSeconds: expect.any(Number) }]);
  });

  it("over WebSocket with stdin asked for: the session ends with the limit named, the command never runs", async () => {
    const session = webSocketExec("command=cat&stdin=1&stdout=1");
    await session.opened;
    await session.sendStdin(OVER_LIMIT);
    const channels = await session.done;
    expect(unhandled).toEqual([]);
    expect(JSON.parse(channels.get(3)!)).toMatchObject({ status: "Failure", code: 400, message: LIMIT_MESSAGE });
    expect(execs).toEqual([]);
  });

  it("over SPDY without stdin asked for: a stdin stream is ignored and the command's output still comes", async () => {
    const session = await spdyExec("command=cat&stdout=1");
    const status = session.text(await session.open("error"));
    const stdout = session.text(await session.open("stdout"));
    const stdin = await session.open("stdin");
    await session.write(stdin, OVER_LIMIT);
    stdin.end();
    await session.ping();
    openGate();
    expect(await stdout).toBe("ran\n");
    expect(JSON.parse(await status)).toMatchObject({ status: "Success" });
    expect(unhandled).toEqual([]);
    session.socket.destroy();
  });

  it("over SPDY with stdin asked for and sent before the last stream opens: the session ends with the limit named", async () => {
    const session = await spdyExec("command=cat&stdin=1&stdout=1");
    const status = session.text(await session.open("error"));
    await session.write(await session.open("stdin"), OVER_LIMIT);
    await session.ping();
    session.text(await session.open("stdout"));
    expect(JSON.parse(await status)).toMatchObject({ status: "Failure", code: 400, message: LIMIT_MESSAGE });
    expect(unhandled).toEqual([]);
    expect(execs).toEqual([]);
    session.socket.destroy();
  });
});
