/**
 * Fly `Duration` fields are accepted as Go duration strings ("10s", "1m30s") or integer
 * nanoseconds, and always emitted as Go duration strings.
 */
const UNIT_NS: Record<string, number> = { ns: 1, us: 1e3, "µs": 1e3, "μs": 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9 };
const PART = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)/y;

/** Parses a Go duration string into nanoseconds; undefined when it is not one. */
export function parseGoDuration(text: string): number | undefined {
  let s = text;
  let sign = 1;
  if (s.startsWith("-") || s.startsWith("+")) {
    if (s[0] === "-") sign = -1;
    s = s.slice(1);
  }
  if (s === "0") return 0;
  if (s === "") return undefined;
  let total = 0;
  PART.lastIndex = 0;
  while (PART.lastIndex < s.length) {
    const m = PART.exec(s);
    if (!m) return undefined;
    total += Number(m[1]) * (UNIT_NS[m[2] ?? ""] ?? Number.NaN);
  }
  return Number.isFinite(total) ? sign * Math.round(total) : undefined;
}

function trimFraction(whole: number, frac: number, digits: number): string {
  const f = frac.toString().padStart(digits, "0").replace(/0+$/, "");
  return f ? `${whole}.${f}` : `${whole}`;
}

/** Request-level durations (stop `timeout`, restart `?timeout=`): a Go duration or plain seconds. */
export const isRequestDuration = (text: string): boolean => parseGoDuration(text) !== undefined || /^\d+$/.test(text);

/** Formats nanoseconds the way Go's `time.Duration.String()` does ("1h0m0s", "1.5s", "250ms"). */
export function formatGoDuration(ns: number): string {
  if (ns === 0) return "0s";
  const neg = ns < 0;
  let n = Math.abs(Math.round(ns));
  let out: string;
  if (n < 1e3) out = `${n}ns`;
  else if (n < 1e6) out = `${trimFraction(Math.floor(n / 1e3), n % 1e3, 3)}µs`;
  else if (n < 1e9) out = `${trimFraction(Math.floor(n / 1e6), n % 1e6, 6)}ms`;
  else {
    const h = Math.floor(n / 3600e9);
    n -= h * 3600e9;
    const m = Math.floor(n / 60e9);
    n -= m * 60e9;
    const s = trimFraction(Math.floor(n / 1e9), n % 1e9, 9);
    out = h > 0 ? `${h}h${m}m${s}s` : m > 0 ? `${m}m${s}s` : `${s}s`;
  }
  return neg ? `-${out}` : out;
}
