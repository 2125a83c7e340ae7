import { startEmulator } from "../../src/emulator/server";
import { TEST_EMULATOR_PORT } from "../../vitest.config";

/** The Machines emulator the workerd tests reach over HTTP (its URL is the worker's MACHINES_API_URL binding). */
export default async function setup(): Promise<() => Promise<void>> {
  const emulator = await startEmulator({
    port: TEST_EMULATOR_PORT,
    tokens: ["test-token"],
    config: { bootMs: 30, transitionMs: 20, destroyedRetentionMs: 600_000 },
  });
  return () => emulator.close();
}
