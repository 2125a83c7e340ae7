import { startEmulator } from "./server";

/** `npx tsx src/emulator/main.ts`: the Machines API emulator on loopback, for staging. */
const list = (raw: string | undefined, fallback: string): string[] =>
  (raw ?? fallback).split(",").map((s) => s.trim()).filter(Boolean);

const port = Number(process.env.MACHINELET_MACHINES_PORT ?? 4280);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`MACHINELET_MACHINES_PORT must be a port number, got ${JSON.stringify(process.env.MACHINELET_MACHINES_PORT)}`);
  process.exit(2);
}

const emulator = await startEmulator({
  port,
  tokens: list(process.env.EMULATOR_TOKENS, "staging-token"),
  apps: list(process.env.EMULATOR_APPS, "fks-staging"),
  org: process.env.EMULATOR_ORG ?? "personal",
});
console.log(`machines emulator listening on ${emulator.url}`);

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    emulator.close().then(
      () => process.exit(0),
      (err: unknown) => {
        console.error("machines emulator: close failed", err);
        process.exit(1);
      },
    );
  });
}
