import { Hono } from "hono";
import { controlRoutes } from "./control";
import { errorResponse } from "./errors";
import { specPath, type FlyApp, type FlyEnv } from "./hono-env";
import { appRoutes } from "./routes/apps";
import { execRoutes } from "./routes/exec";
import { ipAssignmentRoutes } from "./routes/ip-assignments";
import { leaseRoutes } from "./routes/leases";
import { logRoutes } from "./routes/logs";
import { machineActionRoutes } from "./routes/machine-actions";
import { machineWaitRoutes } from "./routes/machine-wait";
import { machineRoutes } from "./routes/machines";
import { metadataRoutes } from "./routes/metadata";
import { networkRoutes } from "./routes/network";
import { secretRoutes } from "./routes/secrets";
import { volumeRoutes } from "./routes/volumes";
import type { EmulatorState } from "./state";
import { v1Pipeline } from "./v1-middleware";

/** "<METHOD> <spec template>" of every /v1 route the app serves. */
function flyRouteTemplates(app: FlyApp): Set<string> {
  return new Set(app.routes.filter((r) => r.method !== "ALL" && r.path.startsWith("/v1/")).map((r) => `${r.method} ${specPath(r.path)}`));
}

/** The emulator as a Hono app over `state` (usable without a socket through `app.request`). */
export function createEmulatorApp(state: EmulatorState): FlyApp {
  const app = new Hono<FlyEnv>();
  app.onError(errorResponse);
  // What Go's mux answers for a path it does not serve.
  app.notFound((c) => c.text("404 page not found", 404));
  app.use("/v1/*", v1Pipeline(state));
  appRoutes(app, state);
  machineRoutes(app, state);
  machineActionRoutes(app, state);
  machineWaitRoutes(app, state);
  leaseRoutes(app, state);
  metadataRoutes(app, state);
  execRoutes(app, state);
  volumeRoutes(app, state);
  secretRoutes(app, state);
  ipAssignmentRoutes(app, state);
  logRoutes(app, state);
  let templates: Set<string> | undefined;
  controlRoutes(app, state, () => (templates ??= flyRouteTemplates(app)));
  networkRoutes(app, state);
  return app;
}
