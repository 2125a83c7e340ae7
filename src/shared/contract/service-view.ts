import { z } from "zod";

const hop = z.object({ app: z.string(), ip: z.string(), port: z.number().int() });

/**
 * Answer of `GET /services/{namespace}/{name}`: one Service as the worker maps it (README,
 * Services). `address` and the Service app are null until the Service has them; `fly.hops` then
 * lists, per Service port, the `{app, ip, port}` a connection passes (the emulator's `route`
 * follows each); `fly.appPorts` maps each Service port to its port on the cluster app; `fly.public` is
 * a LoadBalancer's public edge, from which the relay writes `status.loadBalancer.ingress`.
 */
export const serviceViewSchema = z.object({
  namespace: z.string(),
  name: z.string(),
  type: z.string(),
  address: z.string().nullable(),
  names: z.array(z.string()),
  ports: z.array(z.object({ name: z.string().nullable(), port: z.number().int(), targetPort: z.union([z.number().int(), z.string()]), protocol: z.string() })),
  fly: z.object({
    clusterApp: z.string(),
    serviceApp: z.string().nullable(),
    appPorts: z.record(z.string(), z.number().int()),
    hops: z.record(z.string(), z.array(hop)),
    /** A LoadBalancer's public edge once allocated: `<service app>.fly.dev` and its public IPv6 and shared IPv4; else null. */
    public: z.object({ hostname: z.string(), ips: z.array(z.string()) }).nullable(),
  }),
  backends: z.array(z.object({ uid: z.string(), pod: z.string(), machineId: z.string().nullable(), ready: z.boolean() })),
});
export type ServiceView = z.infer<typeof serviceViewSchema>;
