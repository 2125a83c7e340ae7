import { startEmulator } from "../../src/emulator/server";
import { TEST_EMULATOR_PORT } from "../../vitest.config";
import { SpecValidator } from "./spec-validator";

/**
 * The Machines emulator the workerd tests reach over HTTP (its URL is the worker's MACHINES_API_URL
 * binding). Every /v1 response it sends them is checked against the OpenAPI spec; the run fails
 * at teardown if one did not match.
 */
export default async function setup(): Promise<() => Promise<void>> {
  const validator = new SpecValidator();
  const mismatches: string[] = [];
  const emulator = await startEmulator({
    port: TEST_EMULATOR_PORT,
    tokens: ["test-token"],
    config: { bootMs: 30, transitionMs: 20, destroyedRetentionMs: 600_000 },
    onResponse: (res) => {
      try {
        validator.assertValid(res);
      } catch (e) {
        mismatches.push(e instanceof Error ? e.message : String(e));
      }
    },
  });
  return async () => {
    await emulator.close();
    if (mismatches.length) throw new Error(`${mismatches.length} emulator responses did not match the spec:\n${mismatches.slice(0, 5).join("\n")}`);
  };
}
