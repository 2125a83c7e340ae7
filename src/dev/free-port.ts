/**
 * A loopback port free at the moment of asking, for what must be told its port up front
 * (`wrangler dev --port`, staging's port variables); anything that can listen on port 0 should.
 */
import { createServer, type AddressInfo } from "node:net";

export async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
  const { port } = srv.address() as AddressInfo;
  await new Promise((r) => srv.close(r));
  return port;
}
