import { cloudflareTest } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";

/** Port of the Machines emulator that the workerd tests talk to over HTTP (started by test/support/global-setup.ts). */
export const TEST_EMULATOR_PORT = Number(process.env.MACHINELET_TEST_EMULATOR_PORT ?? 42_800);
export const TEST_EMULATOR_URL = `http://127.0.0.1:${TEST_EMULATOR_PORT}`;

export default defineConfig({
  test: {
    reporters: process.env.CI ? ["default", ["json", { outputFile: "test-results.json" }]] : ["default"],
    projects: [
      {
        test: {
          name: "node",
          include: ["test/node/**/*.test.ts"],
          environment: "node",
          testTimeout: 20_000,
        },
      },
      {
        plugins: [
          cloudflareTest({
            wrangler: { configPath: "./wrangler.toml" },
            miniflare: {
              bindings: {
                MACHINES_API_URL: TEST_EMULATOR_URL,
                FLY_API_URL: TEST_EMULATOR_URL,
                FLY_API_TOKEN: "test-token",
                RELAY_SECRET: "test-relay-secret",
                FLY_ORG: "test-org",
                STATUS_TOKEN: "test-status-token",
                // Clusters with secrets of their own (cluster-secrets.test.ts); iso-b is mid-rotation.
                RELAY_SECRET_ISO_A: "secret-of-a",
                RELAY_SECRET_ISO_B: "new-secret-of-b old-secret-of-b",
                // Replays a seeded randomized test: FUZZ_SEED=<seed it printed> npm test
                FUZZ_SEED: process.env.FUZZ_SEED ?? "",
              },
            },
          }),
        ],
        test: {
          name: "worker",
          include: ["test/worker/**/*.test.ts"],
          globalSetup: ["test/support/global-setup.ts", "test/support/access-keys.ts"],
          setupFiles: ["test/support/log-canaries.ts"],
          testTimeout: 20_000,
        },
      },
    ],
  },
});
