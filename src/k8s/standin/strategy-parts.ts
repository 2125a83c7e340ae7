/**
 * Small pieces the K8s stand-in's (staging and tests only) per-kind write rules share; `section`
 * and `keepStatus` are in strategy.ts.
 */
import type { FieldError } from "./api-errors";
import { invalidValue } from "./api-errors";
import { jsonEqual } from "./k8s-object";

export const noChange = (): void => undefined;
export const noErrors = (): FieldError[] => [];

export function immutable(field: string, now: unknown, before: unknown): FieldError[] {
  return jsonEqual(now, before) ? [] : [invalidValue(field, now ?? null, "field is immutable")];
}
