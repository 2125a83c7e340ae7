import { DurableObject } from "cloudflare:workers";

export class ClusterObject extends DurableObject<Env> {}
