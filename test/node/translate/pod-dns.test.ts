import { describe, expect, it } from "vitest";
import type { Pod } from "../../../src/shared/k8s";
import { FindingsLog } from "../../../src/worker/translate/findings";
import { clusterDnsFrom, podDnsConfig } from "../../../src/worker/translate/pod-dns";
import { podToMachineConfig } from "../../../src/worker/translate/pod-to-machine-config";
import { loadObjects } from "../../fixtures/manifests/load";

const frontend = loadObjects("guestbook.yaml", "Pod").find((p) => p.metadata.name.startsWith("frontend"))!;
const web0 = loadObjects("statefulset-web.yaml", "Pod")[0]!;
const CLUSTER_DNS = { nameservers: ["fdaa:0:1:a7b:ff::53"], domain: "cluster.local" };
const withSpec = (pod: Pod, spec: Partial<Pod["spec"]>): Pod => ({ ...pod, spec: { ...pod.spec, ...spec } });
const ndots5 = [{ name: "ndots", value: "5" }];

describe("pod dns config per dnsPolicy", () => {
  const cases: Array<[string, Pod, typeof CLUSTER_DNS | undefined, Record<string, unknown>, string[]]> = [
    [
      "ClusterFirst: cluster DNS, the namespace's search path, ndots:5",
      frontend,
      CLUSTER_DNS,
      { hostname: "frontend-795b566649-8bq4m", nameservers: ["fdaa:0:1:a7b:ff::53"], searches: ["default.svc.cluster.local", "svc.cluster.local", "cluster.local"], options: ndots5 },
      [],
    ],
    ["ClusterFirst without a cluster DNS: Fly's resolver, as the kubelet falls back to Default", frontend, undefined, { hostname: "frontend-795b566649-8bq4m" }, []],
    ["Default: Fly's resolver untouched", withSpec(frontend, { dnsPolicy: "Default" }), CLUSTER_DNS, { hostname: "frontend-795b566649-8bq4m" }, []],
    [
      "None: only dnsConfig",
      withSpec(frontend, { dnsPolicy: "None", dnsConfig: { nameservers: ["1.1.1.1"], searches: ["corp.example"], options: [{ name: "edns0" }] } }),
      CLUSTER_DNS,
      { hostname: "frontend-795b566649-8bq4m", nameservers: ["1.1.1.1"], searches: ["corp.example"], options: [{ name: "edns0" }] },
      [],
    ],
    [
      "ClusterFirst + dnsConfig: appended without duplicates, same-named options replaced",
      withSpec(frontend, { dnsConfig: { nameservers: ["fdaa:0:1:a7b:ff::53", "fdaa::3"], searches: ["svc.cluster.local", "corp.example"], options: [{ name: "ndots", value: "2" }, { name: "single-request-reopen" }] } }),
      CLUSTER_DNS,
      {
        hostname: "frontend-795b566649-8bq4m",
        nameservers: ["fdaa:0:1:a7b:ff::53", "fdaa::3"],
        searches: ["default.svc.cluster.local", "svc.cluster.local", "cluster.local", "corp.example"],
        options: [{ name: "ndots", value: "2" }, { name: "single-request-reopen" }],
      },
      [],
    ],
    [
      "more than 3 nameservers: the rest dropped and reported",
      withSpec(frontend, { dnsConfig: { nameservers: ["fdaa::3", "1.1.1.1", "8.8.8.8"] } }),
      CLUSTER_DNS,
      { nameservers: ["fdaa:0:1:a7b:ff::53", "fdaa::3", "1.1.1.1"] },
      ["spec.dnsConfig.nameservers: at most 3 nameservers are used; 8.8.8.8 dropped"],
    ],
    [
      "a StatefulSet pod gets its FQDN under its headless Service",
      web0,
      CLUSTER_DNS,
      { hostname: "web-0", hostname_fqdn: "web-0.nginx.default.svc.cluster.local" },
      [],
    ],
  ];
  it.each(cases)("%s", (_, pod, clusterDns, expected, unsupported) => {
    const log = new FindingsLog();
    expect(podDnsConfig(pod, clusterDns, log)).toMatchObject(expected);
    expect(log.unsupported).toEqual(unsupported);
  });

  it("is what the pod's machine config carries", () => {
    const t = podToMachineConfig(frontend, { cluster: "c", clusterDns: CLUSTER_DNS });
    expect(t.ok && t.config.dns).toEqual({
      hostname: "frontend-795b566649-8bq4m",
      nameservers: ["fdaa:0:1:a7b:ff::53"],
      searches: ["default.svc.cluster.local", "svc.cluster.local", "cluster.local"],
      options: ndots5,
    });
  });
});

describe("the worker's CLUSTER_DNS and CLUSTER_DOMAIN settings", () => {
  it("are read as the cluster DNS pods use; unset means none; a name that is not an address is an error", () => {
    expect(clusterDnsFrom({})).toBeUndefined();
    expect(clusterDnsFrom({ CLUSTER_DNS: " " })).toBeUndefined();
    expect(clusterDnsFrom({ CLUSTER_DNS: "fdaa:0:1:a7b:ff::53, 10.0.0.10" })).toEqual({ nameservers: ["fdaa:0:1:a7b:ff::53", "10.0.0.10"], domain: "cluster.local" });
    expect(clusterDnsFrom({ CLUSTER_DNS: "fdaa::53", CLUSTER_DOMAIN: "corp.internal." })).toEqual({ nameservers: ["fdaa::53"], domain: "corp.internal" });
    expect(() => clusterDnsFrom({ CLUSTER_DNS: "coredns.kube-system" })).toThrow('CLUSTER_DNS: "coredns.kube-system" is not an IP address');
  });
});
