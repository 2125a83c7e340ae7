import type { Hono } from "hono";

/** Per-request values set by the /v1 pipeline. */
export type FlyEnv = {
  Variables: {
    /** "<METHOD> <spec path template>", e.g. "POST /v1/apps/{app_name}/machines". */
    route: string;
    /** The caller's token (lease owner identity). */
    token: string;
  };
};
export type FlyApp = Hono<FlyEnv>;

/** "/v1/apps/{app_name}" -> "/v1/apps/:app_name" (Hono's syntax). */
export const honoPath = (template: string): string => template.replace(/\{(\w+)\}/g, ":$1");
/** "/v1/apps/:app_name" -> "/v1/apps/{app_name}" (the spec's syntax). */
export const specPath = (path: string): string => path.replace(/:(\w+)/g, "{$1}");

/** A path parameter of the matched route (always present for routes that declare it). */
export const pathParam = (c: { req: { param(name: string): string | undefined } }, name: string): string => c.req.param(name) ?? "";
