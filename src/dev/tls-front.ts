/**
 * A TLS front for the worker in staging: an HTTPS server on loopback, with a self-signed
 * certificate, that forwards every request to the worker's plain-HTTP `wrangler dev` address. It
 * exists because the Kubernetes API server calls admission webhooks over HTTPS only (a webhook's
 * `clientConfig.url` must be https, its CA in `caBundle`); in production Cloudflare terminates TLS
 * in front of the worker.
 */
import { createServer } from "node:https";
import type { AddressInfo } from "node:net";
import { createSelfSignedCert } from "../k8s/tls/x509";

export interface TlsFront {
  /** https://127.0.0.1:port */
  url: string;
  /** PEM certificate to trust (a webhook's caBundle, base64 of this). */
  ca: string;
  close(): Promise<void>;
}

export async function startTlsFront(target: string, port = 0): Promise<TlsFront> {
  const { cert, key } = await createSelfSignedCert(["127.0.0.1", "localhost"]);
  const server = createServer({ cert, key }, (req, res) => {
    void (async () => {
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      const headers = Object.fromEntries(Object.entries(req.headers).filter((e): e is [string, string] => typeof e[1] === "string" && e[0] !== "host" && e[0] !== "connection"));
      const body = chunks.length > 0 ? Buffer.concat(chunks) : undefined;
      const upstream = await fetch(new URL(req.url ?? "/", target), { method: req.method ?? "GET", headers, ...(body ? { body } : {}) });
      res.writeHead(upstream.status, { "Content-Type": upstream.headers.get("content-type") ?? "application/octet-stream" });
      res.end(Buffer.from(await upstream.arrayBuffer()));
    })().catch((err: unknown) => {
      if (!res.headersSent) res.writeHead(502, { "Content-Type": "text/plain" });
      res.end(`TLS front: the worker did not answer: ${(err as Error).message}`);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => resolve());
  });
  return {
    url: `https://127.0.0.1:${(server.address() as AddressInfo).port}`,
    ca: cert,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
