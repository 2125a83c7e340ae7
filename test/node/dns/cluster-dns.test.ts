import { Resolver } from "node:dns/promises";
import { connect } from "node:net";
import * as packet from "dns-packet";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ClusterZone, type DnsPod } from "../../../src/dns/cluster-zone";
import { startDnsServer, type RunningDnsServer } from "../../../src/dns/server";
import { forwardQuery, lengthPrefix } from "../../../src/dns/upstream";
import type { Service } from "../../../src/shared/k8s";

let rv = 0;
const meta = (name: string, namespace = "default", extra: Record<string, unknown> = {}) => ({ name, namespace, uid: `uid-${name}-${namespace}`, resourceVersion: String(++rv), ...extra });
const svc = (name: string, spec: Record<string, unknown>, annotations?: Record<string, string>, namespace = "default"): Service =>
  ({ apiVersion: "v1", kind: "Service", metadata: meta(name, namespace, annotations ? { annotations } : {}), spec }) as Service;
const pod = (name: string, ip: string, labels: Record<string, string>, ready: boolean, spec: DnsPod["spec"] = {}): DnsPod => ({
  metadata: meta(name, "default", { labels }),
  spec,
  status: { phase: "Running", podIP: ip, podIPs: [{ ip }], conditions: [{ type: "Ready", status: ready ? "True" : "False" }] },
});
const ADDR = "machinelet.fly.io/address";

const services = [
  svc("web", { selector: { app: "web" }, ports: [{ name: "http", port: 80, targetPort: 8080 }] }, { [ADDR]: "fdaa:0:1:0:1::a" }),
  svc("api", { selector: { app: "api" }, ports: [{ port: 80 }] }, { [ADDR]: "fdaa:0:1:0:1::b" }, "shop"),
  svc("pending", { selector: { app: "x" }, ports: [{ port: 80 }] }),
  svc("db", { clusterIP: "None", selector: { app: "db" }, ports: [{ name: "pg", port: 5432 }] }),
  svc("docs", { type: "ExternalName", externalName: "docs.default.svc.example.org" }),
  svc("big", { clusterIP: "None", selector: { app: "big" }, ports: [{ port: 9000 }] }),
];
const pods: DnsPod[] = [
  pod("db-0", "fdaa:0:1:a7b:1::2", { app: "db" }, true, { hostname: "db-0", subdomain: "db" }),
  pod("db-1", "fdaa:0:1:a7b:2::2", { app: "db" }, true, { hostname: "db-1", subdomain: "db" }),
  pod("db-2", "fdaa:0:1:a7b:3::2", { app: "db" }, false, { hostname: "db-2", subdomain: "db" }),
  ...Array.from({ length: 40 }, (_, i) => pod(`big-${i}`, `fdaa:0:1:a7b:100::${(i + 1).toString(16)}`, { app: "big" }, true)),
];

let zone = new ClusterZone("cluster.local", services, pods);
let upstream: RunningDnsServer;
let dns: RunningDnsServer;
let resolver: Resolver;

beforeAll(async () => {
  // Fly's resolver, stood in by a DNS server of its own that knows example.org.
  const flyZone = new ClusterZone("example.org", [svc("docs", {}, { [ADDR]: "2a09:8280:1::50" }, "default")], []);
  const nxdomain = async (q: Buffer) => {
    const query = packet.decode(q);
    return packet.encode({ type: "response", id: query.id, flags: 3, questions: query.questions });
  };
  upstream = await startDnsServer({ host: "127.0.0.1", port: 0, zone: () => flyZone, searchNamespace: "default", ttl: 30, forward: nxdomain });
  const up = { host: "127.0.0.1", port: upstream.port };
  dns = await startDnsServer({ host: "127.0.0.1", port: 0, zone: () => zone, searchNamespace: "default", ttl: 5, forward: (q, tcp) => forwardQuery(up, q, tcp) });
  resolver = new Resolver({ timeout: 2000, tries: 1 });
  resolver.setServers([`127.0.0.1:${dns.port}`]);
});
afterAll(async () => {
  await dns?.close();
  await upstream?.close();
});

const code = (p: Promise<unknown>) => p.then(() => "ok", (e: NodeJS.ErrnoException) => e.code);

describe("cluster DNS over real sockets", () => {
  it("answers every form of a Service name with its own address", async () => {
    for (const name of ["web.default.svc.cluster.local", "web.default.svc", "web.default", "web", "WEB.Default.svc.cluster.local."]) {
      expect(await resolver.resolve6(name), name).toEqual(["fdaa:0:1:0:1::a"]);
    }
    expect(await resolver.resolve6("api.shop.svc.cluster.local")).toEqual(["fdaa:0:1:0:1::b"]);
    expect(await resolver.resolve6("api.shop")).toEqual(["fdaa:0:1:0:1::b"]);
    // Short names expand with the default namespace only, as that namespace's pods would.
    expect(await code(resolver.resolve6("api"))).toBe("ENOTFOUND");
  });

  it("NODATA for the other family and for names that only exist as parents; NXDOMAIN for unknown names", async () => {
    expect(await code(resolver.resolve4("web.default.svc.cluster.local"))).toBe("ENODATA");
    expect(await code(resolver.resolve6("default.svc.cluster.local"))).toBe("ENODATA");
    expect(await code(resolver.resolve6("nope.default.svc.cluster.local"))).toBe("ENOTFOUND");
    // A Service still waiting for its Fly address has no records yet.
    expect(await code(resolver.resolve6("pending.default.svc.cluster.local"))).toBe("ENOTFOUND");
  });

  it("headless Services answer with their Ready pods, StatefulSet pods by hostname, named ports as SRV", async () => {
    expect((await resolver.resolve6("db.default.svc.cluster.local")).sort()).toEqual(["fdaa:0:1:a7b:1::2", "fdaa:0:1:a7b:2::2"]);
    expect(await resolver.resolve6("db-1.db.default.svc.cluster.local")).toEqual(["fdaa:0:1:a7b:2::2"]);
    expect(await code(resolver.resolve6("db-2.db.default.svc.cluster.local"))).toBe("ENOTFOUND");
    expect((await resolver.resolveSrv("_pg._tcp.db.default.svc.cluster.local")).map((s) => `${s.name}:${s.port}`).sort()).toEqual([
      "db-0.db.default.svc.cluster.local:5432",
      "db-1.db.default.svc.cluster.local:5432",
    ]);
    expect(await resolver.resolveSrv("_http._tcp.web.default.svc.cluster.local")).toEqual([expect.objectContaining({ name: "web.default.svc.cluster.local", port: 80, priority: 0, weight: 100 })]);
  });

  it("ExternalName is a CNAME, followed to the target's addresses upstream", async () => {
    expect(await resolver.resolveCname("docs.default.svc.cluster.local")).toEqual(["docs.default.svc.example.org"]);
    expect(await resolver.resolve6("docs.default.svc.cluster.local")).toEqual(["2a09:8280:1::50"]);
  });

  it("other names fall through to the upstream resolver, over UDP and TCP", async () => {
    expect(await resolver.resolve6("docs.default.svc.example.org")).toEqual(["2a09:8280:1::50"]);
    const query = packet.encode({ type: "query", id: 7, flags: packet.RECURSION_DESIRED, questions: [{ name: "docs.default.svc.example.org", type: "AAAA", class: "IN" }] });
    const viaTcp = packet.decode((await forwardQuery({ host: "127.0.0.1", port: dns.port }, query, true))!);
    expect(viaTcp.answers?.map((a) => (a as { data?: unknown }).data)).toEqual(["2a09:8280:1::50"]);
  });

  it("an answer too large for UDP is truncated and the resolver retries over TCP", async () => {
    const udp = await forwardQuery({ host: "127.0.0.1", port: dns.port }, packet.encode({ type: "query", id: 9, questions: [{ name: "big.default.svc.cluster.local", type: "AAAA", class: "IN" }] }), false);
    const cut = packet.decode(udp!);
    expect(cut.flag_tc).toBe(true);
    expect(cut.answers).toEqual([]);
    expect(await resolver.resolve6("big.default.svc.cluster.local")).toHaveLength(40);
  });

  it("answers several queries on one TCP connection", async () => {
    const socket = connect(dns.port, "127.0.0.1");
    await new Promise((r) => socket.once("connect", r));
    const names = ["web.default.svc.cluster.local", "api.shop.svc.cluster.local"];
    for (const [i, name] of names.entries()) {
      const q = packet.encode({ type: "query", id: 100 + i, questions: [{ name, type: "AAAA", class: "IN" }] });
      socket.write(Buffer.concat([lengthPrefix(q.length), q]));
    }
    const replies = await new Promise<packet.DecodedPacket[]>((resolve) => {
      let buf = Buffer.alloc(0);
      const out: packet.DecodedPacket[] = [];
      socket.on("data", (d) => {
        buf = Buffer.concat([buf, d]);
        while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
          out.push(packet.decode(buf.subarray(2, 2 + buf.readUInt16BE(0))));
          buf = buf.subarray(2 + buf.readUInt16BE(0));
        }
        if (out.length === names.length) resolve(out);
      });
    });
    socket.destroy();
    expect(replies.map((r) => [r.id, r.flag_aa, (r.answers?.[0] as { data?: unknown } | undefined)?.data]).sort()).toEqual([
      [100, true, "fdaa:0:1:0:1::a"],
      [101, true, "fdaa:0:1:0:1::b"],
    ]);
  });

  it("a data change is answered at once, without restarting anything", async () => {
    const before = zone;
    zone = new ClusterZone("cluster.local", [...services, svc("late", { ports: [{ port: 1 }] }, { [ADDR]: "fdaa:0:1:0:1::c" })], pods);
    expect(await resolver.resolve6("late")).toEqual(["fdaa:0:1:0:1::c"]);
    zone = before;
    expect(await code(resolver.resolve6("late.default.svc.cluster.local"))).toBe("ENOTFOUND");
  });
});
