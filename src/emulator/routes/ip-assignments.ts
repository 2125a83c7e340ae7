import { z } from "zod";
import { parseOr400, readJsonBody } from "../body";
import { rfc3339 } from "../clock";
import { badRequest, notFound } from "../errors";
import { honoPath, pathParam, type FlyApp } from "../hono-env";
import { randomHex } from "../ids";
import type { AppRecord, IpRecord } from "../model";
import type { EmulatorState } from "../state";

const IPS = "/v1/apps/{app_name}/ip_assignments";
const TYPES = ["v4", "v6", "shared_v4", "private_v6", "egress_v4", "egress_v6", "egress_pair"] as const;
const assignSchema = z.looseObject({
  type: z.enum(TYPES, { error: `required: one of ${TYPES.join(", ")}` }),
  region: z.string().optional(),
  org_slug: z.string().optional(),
  network: z.string().optional(),
  service_name: z.string().optional(),
});

const octet = () => Number.parseInt(randomHex(2), 16) % 254 + 1;

/** Addresses shaped like Fly's: Anycast v4/v6, one shared v4 per app, Flycast `fdaa:` for private_v6. */
function allocate(app: AppRecord, type: IpRecord["type"]): string {
  switch (type) {
    case "v4":
      return `137.66.${octet()}.${octet()}`;
    case "shared_v4":
      return app.ips.find((i) => i.type === "shared_v4")?.ip ?? `66.241.124.${octet()}`;
    case "v6":
      return `2a09:8280:1::${randomHex(2)}:${randomHex(4)}`.replace(/:0+(?=[0-9a-f])/g, ":");
    case "private_v6": {
      for (;;) {
        const ip = `fdaa:0:${app.netPrefix}:0:1::${Number.parseInt(randomHex(4), 16).toString(16)}`;
        if (!app.ips.some((i) => i.ip === ip)) return ip;
      }
    }
  }
}

function ipView(ip: IpRecord) {
  return {
    ip: ip.ip,
    region: ip.region,
    created_at: rfc3339(ip.createdAt),
    shared: ip.type === "shared_v4",
    ...(ip.serviceName ? { service_name: ip.serviceName } : {}),
    ...(ip.network ? { network: ip.network } : {}),
  };
}

export function ipAssignmentRoutes(app: FlyApp, st: EmulatorState): void {
  app.get(honoPath(IPS), (c) => c.json({ ips: st.app(pathParam(c, "app_name")).ips.map(ipView) }));

  app.post(honoPath(IPS), async (c) => {
    const target = st.app(pathParam(c, "app_name"));
    const body = parseOr400(assignSchema, (await readJsonBody(c)) ?? {});
    if (body.type.startsWith("egress")) throw badRequest(`invalid type: ${body.type} addresses are not emulated`);
    const type = body.type as IpRecord["type"];
    const ip: IpRecord = {
      ip: allocate(target, type),
      type,
      region: body.region ?? "global",
      createdAt: st.now(),
      ...(body.service_name ? { serviceName: body.service_name } : {}),
      ...(type === "private_v6" ? { network: { name: body.network ?? "", org_slug: target.orgSlug } } : {}),
    };
    target.ips.push(ip);
    return c.json(ipView(ip));
  });

  app.delete(honoPath(`${IPS}/{ip}`), (c) => {
    const target = st.app(pathParam(c, "app_name"));
    const wanted = pathParam(c, "ip");
    const index = target.ips.findIndex((i) => i.ip === wanted);
    if (index < 0) throw notFound("ip assignment");
    target.ips.splice(index, 1);
    return c.body(null, 204);
  });
}
