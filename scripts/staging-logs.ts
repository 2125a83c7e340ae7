/**
 * Staging's log output: every component's lines on the terminal behind a short prefix (coloured
 * when stdout is a terminal and NO_COLOR is unset), and each component's raw lines in its own
 * file under `.staging/logs/`. Request lines for health checks and status-feed polls are dropped
 * unless LOG_LEVEL=debug: they arrive several times a second and say nothing.
 */
import { createWriteStream, mkdirSync, rmSync, type WriteStream } from "node:fs";
import { join } from "node:path";

export const LOG_DIR = ".staging/logs";
const COLOURS = { staging: 37, worker: 36, relay: 35, dns: 34, emulator: 33, k8s: 32 } as const;
export type Component = keyof typeof COLOURS;

const NOISE = /\b(GET|HEAD) \/(healthz|v1\/clusters\/[^/ ]+\/status)(\?\S*)? (200|304)\b/;
const WIDTH = Math.max(...Object.keys(COLOURS).map((k) => k.length));

export class StagingLogs {
  private readonly files = new Map<Component, WriteStream>();
  private readonly colour = Boolean(process.stdout.isTTY) && !process.env.NO_COLOR;
  private readonly debug = process.env.LOG_LEVEL === "debug";

  constructor() {
    rmSync(LOG_DIR, { recursive: true, force: true });
    mkdirSync(LOG_DIR, { recursive: true });
  }

  /** A line sink for one component. */
  sink(component: Component): (line: string) => void {
    return (line) => {
      if (!this.debug && NOISE.test(line)) return;
      this.file(component).write(line + "\n");
      const prefix = component.padEnd(WIDTH) + " |";
      process.stdout.write(`${this.colour ? `\x1b[${COLOURS[component]}m${prefix}\x1b[0m` : prefix} ${line}\n`);
    };
  }

  async close(): Promise<void> {
    await Promise.all([...this.files.values()].map((f) => new Promise<void>((resolve) => f.end(resolve))));
  }

  private file(component: Component): WriteStream {
    let f = this.files.get(component);
    if (!f) {
      f = createWriteStream(join(LOG_DIR, `${component}.log`), { flags: "a" });
      this.files.set(component, f);
    }
    return f;
  }
}
