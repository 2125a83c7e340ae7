import { Hono } from "hono";
export { ClusterObject } from "./cluster-object";

const app = new Hono<{ Bindings: Env }>();
app.get("/healthz", (c) => c.json({ ok: true }));

export default app;
