/**
 * Staging's start-up check that a port is free, so a port already in use is reported with the
 * environment variable that moves it rather than as a bare EADDRINUSE (or, for wrangler, a timeout).
 */
import { createServer } from "node:net";

export async function ensurePortFree(port: number, variable: string, what: string): Promise<void> {
  if (port === 0) return;
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once("error", (err: NodeJS.ErrnoException) => {
      reject(err.code === "EADDRINUSE" ? new Error(`port ${port} (${what}) is already in use: set ${variable} to move it`) : err);
    });
    server.listen(port, "127.0.0.1", () => server.close(() => resolve()));
  });
}
