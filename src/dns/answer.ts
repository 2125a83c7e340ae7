import * as packet from "dns-packet";
import type { ClusterZone, NameRecords } from "./cluster-zone";

type Answer = packet.Answer;
type Question = packet.Question;

export interface ResolveOptions {
  /** The current names (replaced as Services and pods change; read per query). */
  zone: () => ClusterZone;
  /**
   * Short names (not under the cluster domain) are tried with this namespace's search path
   * (`<ns>.svc.<domain> svc.<domain> <domain>`), as a pod of that namespace would expand them.
   */
  searchNamespace: string;
  /** Seconds; CoreDNS's kubernetes plugin answers with 5. */
  ttl: number;
  /** Asks the upstream resolver (Fly's): the raw query in, its raw response out; undefined on failure. */
  forward: (query: Buffer, overTcp: boolean) => Promise<Buffer | undefined>;
}

const NOERROR = 0;
const SERVFAIL = 2;
const NXDOMAIN = 3;
const NOTIMP = 4;

function soa(zone: ClusterZone, ttl: number): Answer {
  return {
    type: "SOA",
    name: zone.domain,
    ttl,
    class: "IN",
    data: { mname: `ns.dns.${zone.domain}`, rname: `hostmaster.${zone.domain}`, serial: 1, refresh: 7200, retry: 1800, expire: 86400, minimum: ttl },
  };
}

/** The answers `records` give to a question of `type`, named `owner`. */
function recordsFor(owner: string, type: string, r: NameRecords, ttl: number): Answer[] {
  const base = { name: owner, ttl, class: "IN" as const };
  if (r.cname) return [{ ...base, type: "CNAME", data: r.cname }];
  const out: Answer[] = [];
  if (type === "A" || type === "ANY") out.push(...r.a.map((data): Answer => ({ ...base, type: "A", data })));
  if (type === "AAAA" || type === "ANY") out.push(...r.aaaa.map((data): Answer => ({ ...base, type: "AAAA", data })));
  if (type === "SRV" || type === "ANY") out.push(...r.srv.map((data): Answer => ({ ...base, type: "SRV", data })));
  return out;
}

const hasRecords = (r: NameRecords | undefined): r is NameRecords => !!r && (r.cname !== undefined || r.a.length + r.aaaa.length + r.srv.length > 0);

interface Reply {
  rcode: number;
  authoritative: boolean;
  answers: Answer[];
  authorities: Answer[];
}

/**
 * Answers one question as a pod's resolver expects: names under the cluster domain from the
 * zone (NXDOMAIN/NODATA with the zone's SOA); short names through the search path; a CNAME
 * (ExternalName) followed to its target's addresses; everything else from upstream, untouched.
 */
export async function resolveQuestion(q: Question, opts: ResolveOptions): Promise<Reply | "forward"> {
  const zone = opts.zone();
  const name = q.name.toLowerCase().replace(/\.$/, "");
  let records: NameRecords | undefined;
  if (zone.owns(name)) {
    records = zone.lookup(name);
    if (!records) return { rcode: NXDOMAIN, authoritative: true, answers: [], authorities: [soa(zone, opts.ttl)] };
  } else {
    const suffixes = [`${opts.searchNamespace}.svc.${zone.domain}`, `svc.${zone.domain}`, zone.domain];
    records = suffixes.map((s) => zone.lookup(`${name}.${s}`)).find(hasRecords);
    if (!records) return "forward";
  }
  const answers = recordsFor(q.name, q.type, records, opts.ttl);
  if (records.cname && q.type !== "CNAME") answers.push(...(await chase(records.cname, q.type, opts)));
  return { rcode: NOERROR, authoritative: true, answers, authorities: answers.length ? [] : [soa(zone, opts.ttl)] };
}

/** The target of a CNAME, from the zone or upstream (at most a few hops within the zone). */
async function chase(target: string, type: string, opts: ResolveOptions, hops = 0): Promise<Answer[]> {
  const zone = opts.zone();
  if (zone.owns(target)) {
    const r = zone.lookup(target);
    if (!r) return [];
    const out = recordsFor(target, type, r, opts.ttl);
    return r.cname && hops < 8 ? [...out, ...(await chase(r.cname, type, opts, hops + 1))] : out;
  }
  const query = packet.encode({ type: "query", id: 0, flags: packet.RECURSION_DESIRED, questions: [{ name: target, type: type as Question["type"], class: "IN" }] });
  const raw = await opts.forward(query, false);
  if (!raw) return [];
  try {
    return packet.decode(raw).answers ?? [];
  } catch {
    return [];
  }
}

/** The raw response to a raw query (FORMERR-free: an undecodable query gets no answer). */
export async function answerQuery(raw: Buffer, overTcp: boolean, opts: ResolveOptions): Promise<Buffer | undefined> {
  let query: packet.DecodedPacket;
  try {
    query = packet.decode(raw);
  } catch {
    return undefined;
  }
  const q = query.questions?.[0];
  const respond = (rcode: number, authoritative: boolean, answers: Answer[] = [], authorities: Answer[] = []) => {
    const flags = ((query.flags ?? 0) & packet.RECURSION_DESIRED) | packet.RECURSION_AVAILABLE | (authoritative ? packet.AUTHORITATIVE_ANSWER : 0) | rcode;
    const response: packet.Packet = { type: "response", id: query.id, flags, questions: query.questions, answers, authorities };
    return fit(packet.encode(response), response, query, overTcp);
  };
  // dns-packet decodes the header's opcode, but its types omit it.
  const opcode = (query as { opcode?: string }).opcode;
  if (!q || (query.questions?.length ?? 0) !== 1 || opcode !== "QUERY") return respond(NOTIMP, false);
  const reply = await resolveQuestion(q, opts);
  if (reply === "forward") return (await opts.forward(raw, overTcp)) ?? respond(SERVFAIL, false);
  return respond(reply.rcode, reply.authoritative, reply.answers, reply.authorities);
}

/** Over UDP a response larger than the client accepts (512, or its EDNS size) is cut to the header and question, flagged TC. */
function fit(encoded: Buffer, response: packet.Packet, query: packet.DecodedPacket, overTcp: boolean): Buffer {
  if (overTcp) return encoded;
  const opt = query.additionals?.find((a) => a.type === "OPT") as { udpPayloadSize?: number } | undefined;
  const limit = Math.max(512, opt?.udpPayloadSize ?? 512);
  if (encoded.length <= limit) return encoded;
  return packet.encode({ ...response, flags: (response.flags ?? 0) | packet.TRUNCATED_RESPONSE, answers: [], authorities: [] });
}
