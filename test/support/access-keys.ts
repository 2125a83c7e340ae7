import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { exportJWK, generateKeyPair } from "jose";
import type { TestProject } from "vitest/node";
import "./provided-context";

/**
 * A Cloudflare Access team's key endpoint on loopback (port 0), for the status page's JWT tests:
 * `GET /cdn-cgi/access/certs` -> `{"keys":[...]}` as Access serves it (RS256 keys with a kid).
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const team = await generateKeyPair("RS256", { extractable: true });
  const stranger = await generateKeyPair("RS256", { extractable: true });
  const publicJwk = { ...(await exportJWK(team.publicKey)), kid: "team-key-1", alg: "RS256", use: "sig" };
  const server = createServer((req, res) => {
    if (req.method === "GET" && req.url === "/cdn-cgi/access/certs") {
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ keys: [publicJwk] }));
    } else {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  project.provide("accessIssuer", `http://127.0.0.1:${(server.address() as AddressInfo).port}`);
  project.provide("accessSigningKey", { ...(await exportJWK(team.privateKey)), kid: "team-key-1", alg: "RS256" });
  project.provide("strangerSigningKey", { ...(await exportJWK(stranger.privateKey)), kid: "team-key-1", alg: "RS256" });
  return () => new Promise<void>((resolve) => server.close(() => resolve()));
}
