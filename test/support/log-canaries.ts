/**
 * Setup file of the worker tests: every console line a test file's worker code writes is kept and,
 * after the file, searched for the credentials the tests configure and for request signatures.
 * None may ever appear in a log line (a secret value, token or signature in logs is a leak).
 */
import { env } from "cloudflare:workers";
import { afterAll } from "vitest";

const canaries = [env.FLY_API_TOKEN, env.RELAY_SECRET, env.STATUS_TOKEN].filter((s): s is string => Boolean(s));
const SIGNATURE = /v1=[0-9a-f]{64}/;
const lines: string[] = [];

for (const method of ["log", "info", "warn", "error", "debug"] as const) {
  const original = console[method].bind(console);
  console[method] = (...args: unknown[]) => {
    lines.push(args.map((a) => (typeof a === "string" ? a : JSON.stringify(a))).join(" "));
    original(...args);
  };
}

afterAll(() => {
  const leaks = lines.filter((l) => SIGNATURE.test(l) || canaries.some((c) => l.includes(c)));
  if (leaks.length) throw new Error(`${leaks.length} log lines carry a secret, token or signature, e.g. ${leaks[0]!.slice(0, 300)}`);
});
