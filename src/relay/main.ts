/**
 * The relay process: `npx tsx src/relay/main.ts [flags]` (see `--help`). Exits 2 on bad
 * configuration; on SIGINT/SIGTERM stops cleanly and exits 0 (a second signal exits at once).
 */
import { optionsFromArgs, USAGE } from "./config";
import { createLogger, errorMessage } from "./log";
import { startRelay } from "./relay";

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  if (argv.includes("--help") || argv.includes("-h")) {
    process.stdout.write(USAGE + "\n");
    return;
  }
  const boot = createLogger({ level: "info", fields: { component: "relay" } });
  let relay;
  try {
    const options = optionsFromArgs(argv, process.env);
    const log = createLogger({ level: options.logLevel ?? "info", fields: { component: "relay" } });
    relay = await startRelay(options, { log });
  } catch (e) {
    boot.error("relay cannot start", { error: errorMessage(e) });
    process.exitCode = 2;
    return;
  }
  let signals = 0;
  const shutdown = (signal: NodeJS.Signals) => {
    if (++signals > 1) process.exit(1);
    boot.info("signal received", { signal });
    relay.stop().then(
      () => process.exit(0),
      (e) => {
        boot.error("unclean stop", { error: errorMessage(e) });
        process.exit(1);
      },
    );
  };
  process.on("SIGINT", shutdown);
  process.on("SIGTERM", shutdown);
}

void main();
