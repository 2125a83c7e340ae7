/**
 * `npm run staging`: the whole system on loopback, per the contract's "Staging" section.
 * Starts the Machines emulator and the worker in workerd (wrangler dev), prints `staging ready`
 * once each answers, and stops everything on Ctrl-C.
 */
import { mkdirSync, rmSync } from "node:fs";
import { startWorkerProcess } from "../src/dev/worker-process";
import { startEmulator } from "../src/emulator/server";

const MACHINES_PORT = Number(process.env.MACHINELET_MACHINES_PORT ?? 4280);
const WORKER_PORT = Number(process.env.MACHINELET_WORKER_PORT ?? 8787);
const STAGING = {
  cluster: "staging",
  app: "fks-staging",
  token: "staging-token",
  relaySecret: "staging-relay-secret",
};

const closers: Array<() => Promise<void>> = [];
let stopping = false;

async function stop(code: number): Promise<never> {
  if (!stopping) {
    stopping = true;
    for (const close of closers.reverse()) await close().catch(() => undefined);
  }
  process.exit(code);
}
process.on("SIGINT", () => void stop(0));
process.on("SIGTERM", () => void stop(0));

async function main(): Promise<void> {
  // Every part of staging keeps its state in memory, so the worker starts empty too.
  rmSync(".staging/worker-state", { recursive: true, force: true });
  mkdirSync(".staging", { recursive: true });
  const emulator = await startEmulator({ port: MACHINES_PORT, tokens: [STAGING.token], apps: [STAGING.app] });
  closers.push(() => emulator.close());
  console.log(`machines emulator on ${emulator.url} (token ${STAGING.token}, app ${STAGING.app})`);

  const worker = await startWorkerProcess({
    port: WORKER_PORT,
    persistTo: ".staging/worker-state",
    stdio: "inherit",
    vars: { MACHINES_API_URL: emulator.url, FLY_API_TOKEN: STAGING.token, RELAY_SECRET: STAGING.relaySecret },
  });
  closers.push(() => worker.stop());
  void worker.exited.then((code) => {
    console.error(`worker (wrangler dev) exited with ${code}`);
    void stop(1);
  });
  console.log(`worker on http://127.0.0.1:${WORKER_PORT} (cluster ${STAGING.cluster}, RELAY_SECRET=${STAGING.relaySecret})`);
  console.log("staging ready");
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  void stop(1);
});
