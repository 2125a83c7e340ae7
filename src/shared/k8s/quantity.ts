import { z } from "zod";

/**
 * Kubernetes resource quantities (`resource.Quantity`): a decimal number with an optional
 * binary (Ki..Ei), decimal (n, u, m, k, M..E) or exponent (e3, E-2) suffix. JSON carries them as
 * strings; YAML written by hand often gives plain numbers (`cpu: 2`), which the API accepts too.
 */
const QUANTITY = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[KMGTPE]i|[numkMGTPE]|[eE][+-]?\d+)?$/;

const BINARY: Record<string, number> = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60 };
const DECIMAL: Record<string, number> = { n: 1e-9, u: 1e-6, m: 1e-3, "": 1, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18 };

const QUANTITY_EXPECTED = 'expected a quantity such as "500m", "2", "128Mi" or "1G"';
export const Quantity = z.union([z.string().regex(QUANTITY, { error: QUANTITY_EXPECTED }), z.number()], { error: QUANTITY_EXPECTED });
export type Quantity = z.infer<typeof Quantity>;

/** A quantity that is not negative, as the API server requires of resource requests, limits and sizes. */
export const NonNegativeQuantity = Quantity.refine((q) => !(valueOrNaN(q) < 0), { error: "must be greater than or equal to 0" });
/** A quantity above zero: a downward API divisor. */
export const PositiveQuantity = Quantity.refine((q) => !(valueOrNaN(q) <= 0), { error: "must be greater than 0" });

/** zod runs refinements even on a value the union refused; that one has its own issue already. */
function valueOrNaN(q: unknown): number {
  return typeof q === "number" || (typeof q === "string" && QUANTITY.test(q)) ? parseQuantity(q) : NaN;
}

/** The value of a quantity in base units (cores for cpu, bytes for memory). Throws on a malformed quantity. */
export function parseQuantity(q: Quantity): number {
  if (typeof q === "number") return q;
  if (!QUANTITY.test(q)) throw new Error(`malformed quantity ${JSON.stringify(q)}`);
  const m = /^([+-]?(?:\d+\.?\d*|\.\d+))(.*)$/.exec(q)!;
  const value = Number(m[1]);
  const suffix = m[2]!;
  if (suffix in BINARY) return value * BINARY[suffix]!;
  if (suffix in DECIMAL) return value * DECIMAL[suffix]!;
  return value * 10 ** Number(suffix.slice(1)); // exponent form, e.g. "1e3"
}
