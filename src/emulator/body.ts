import type { Context } from "hono";
import type { z } from "zod";
import { badRequest } from "./errors";

/** The JSON body, or undefined when there is none. Malformed JSON is a 400 like Fly's decoder errors. */
export async function readJsonBody(c: Context): Promise<unknown> {
  const text = await c.req.text();
  if (text.trim() === "") return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw badRequest(`invalid JSON body: ${(err as Error).message}`);
  }
}

/** `a.b[2].c` for an issue path, so a 400 names the field that is wrong. */
function issuePath(path: readonly PropertyKey[], prefix = ""): string {
  let out = prefix;
  for (const key of path) out += typeof key === "number" ? `[${key}]` : out === "" ? String(key) : `.${String(key)}`;
  return out;
}

/** Parses with zod; the first issue becomes `400 {"error": "invalid <field>: <reason>"}`. */
export function parseOr400<T>(schema: z.ZodType<T>, value: unknown, prefix = ""): T {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const field = issue ? issuePath(issue.path, prefix) : prefix;
  throw badRequest(`invalid ${field || "request body"}: ${issue?.message ?? "malformed"}`);
}

/** Go's `strconv.ParseBool`, which is what Fly uses for boolean query parameters. */
export function queryBool(c: Context, name: string): boolean {
  const raw = c.req.query(name);
  if (raw === undefined || raw === "") return false;
  if (["1", "t", "T", "true", "TRUE", "True"].includes(raw)) return true;
  if (["0", "f", "F", "false", "FALSE", "False"].includes(raw)) return false;
  throw badRequest(`invalid ${name}: ${JSON.stringify(raw)} is not a boolean`);
}

/** An optional integer query parameter within [min, max]. */
export function queryInt(c: Context, name: string, min: number, max: number): number | undefined {
  const raw = c.req.query(name);
  if (raw === undefined || raw === "") return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) throw badRequest(`invalid ${name}: must be an integer between ${min} and ${max}`);
  return n;
}
