/**
 * X.509 certificates built with node:crypto alone (ECDSA P-256 keys, hand-encoded DER), so TLS
 * needs neither the openssl CLI nor an npm package: the K8s stand-in's serving certificate and
 * its kubelet client certificate (staging and tests), and the relay's self-signed kubelet
 * serving certificate when none is configured (what a kubelet does without --tls-cert-file).
 */
import { createPrivateKey, generateKeyPairSync, randomBytes, sign, type KeyObject } from "node:crypto";
import { isIP } from "node:net";

export interface SelfSignedCert {
  /** PEM certificate; also the CA clients trust. */
  cert: string;
  /** PEM PKCS#8 private key. */
  key: string;
}

function length(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  for (let rest = n; rest > 0; rest >>= 8) bytes.unshift(rest & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

function tlv(tag: number, ...content: Buffer[]): Buffer {
  const body = Buffer.concat(content);
  return Buffer.concat([Buffer.from([tag]), length(body.length), body]);
}

const sequence = (...parts: Buffer[]): Buffer => tlv(0x30, ...parts);
const set = (...parts: Buffer[]): Buffer => tlv(0x31, ...parts);
const octets = (content: Buffer): Buffer => tlv(0x04, content);
const bits = (content: Buffer, unusedBits = 0): Buffer => tlv(0x03, Buffer.from([unusedBits]), content);
const TRUE = tlv(0x01, Buffer.from([0xff]));

function integer(bytes: Buffer): Buffer {
  let trimmed = bytes;
  while (trimmed.length > 1 && trimmed[0] === 0 && ((trimmed[1] ?? 0) & 0x80) === 0) trimmed = trimmed.subarray(1);
  return tlv(0x02, (trimmed[0] ?? 0) & 0x80 ? Buffer.concat([Buffer.from([0]), trimmed]) : trimmed);
}

function oid(dotted: string): Buffer {
  const [first = 0, second = 0, ...rest] = dotted.split(".").map(Number);
  const bytes = [first * 40 + second];
  for (const arc of rest) {
    const chunk = [arc & 0x7f];
    for (let v = arc >> 7; v > 0; v >>= 7) chunk.unshift((v & 0x7f) | 0x80);
    bytes.push(...chunk);
  }
  return tlv(0x06, Buffer.from(bytes));
}

/** UTCTime before 2050, GeneralizedTime after, as RFC 5280 §4.1.2.5 requires. */
function time(date: Date): Buffer {
  const iso = date.toISOString();
  const digits = `${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}${iso.slice(11, 13)}${iso.slice(14, 16)}${iso.slice(17, 19)}Z`;
  return date.getUTCFullYear() < 2050 ? tlv(0x17, Buffer.from(digits.slice(2), "ascii")) : tlv(0x18, Buffer.from(digits, "ascii"));
}

function distinguishedName(cn: string, organizations: readonly string[] = []): Buffer {
  const rdn = (type: string, value: string) => set(sequence(oid(type), tlv(0x0c, Buffer.from(value, "utf8"))));
  return sequence(...organizations.map((o) => rdn("2.5.4.10", o)), rdn("2.5.4.3", cn));
}

function extension(id: string, critical: boolean, value: Buffer): Buffer {
  return critical ? sequence(oid(id), TRUE, octets(value)) : sequence(oid(id), octets(value));
}

function subjectAltNames(hosts: readonly string[]): Buffer {
  const names = hosts.map((host) => {
    if (isIP(host) === 4) return tlv(0x87, Buffer.from(host.split(".").map(Number)));
    if (isIP(host) === 6) throw new Error(`IPv6 subject alternative names are not supported by the stand-in's certificate: ${host}`);
    return tlv(0x82, Buffer.from(host, "ascii"));
  });
  return sequence(...names);
}

const ECDSA_WITH_SHA256 = sequence(oid("1.2.840.10045.4.3.2"));
const SERVER_AUTH = "1.3.6.1.5.5.7.3.1";
const CLIENT_AUTH = "1.3.6.1.5.5.7.3.2";

/** A certificate that signs others: its PEM and key, and the DER name its children name as issuer. */
export interface CertificateAuthority extends SelfSignedCert {
  readonly name: Buffer;
}

export interface CertificateRequest {
  commonName: string;
  /** O= entries (Kubernetes reads them as the user's groups). */
  organizations?: readonly string[];
  /** IPv4 addresses and DNS names (subjectAltName), for serving certificates. */
  hosts?: readonly string[];
  usage: "ca" | "server" | "client" | "server-ca";
  /** Signed by this CA; self-signed when absent. */
  issuer?: CertificateAuthority;
  days?: number;
  now?: Date;
}

function pem(der: Buffer): string {
  const base64 = der.toString("base64").replace(/.{64}/g, "$&\n");
  return `-----BEGIN CERTIFICATE-----\n${base64.trimEnd()}\n-----END CERTIFICATE-----\n`;
}

/** One certificate as `request` describes it, with a fresh key. */
export function createCertificate(request: CertificateRequest): CertificateAuthority {
  const { publicKey, privateKey } = generateKeyPairSync("ec", { namedCurve: "prime256v1" });
  const now = request.now ?? new Date();
  const days = request.days ?? 365;
  const subject = distinguishedName(request.commonName, request.organizations);
  const isCa = request.usage === "ca" || request.usage === "server-ca";
  const serial = randomBytes(16);
  serial[0] = (serial[0] ?? 0) & 0x7f;
  const extensions = [
    extension("2.5.29.19", true, isCa ? sequence(TRUE) : sequence()),
    // keyUsage: digitalSignature (bit 0), plus keyCertSign (bit 5) for a CA.
    extension("2.5.29.15", true, isCa ? bits(Buffer.from([0x84]), 2) : bits(Buffer.from([0x80]), 7)),
  ];
  if (request.usage !== "ca") extensions.push(extension("2.5.29.37", false, sequence(oid(request.usage === "client" ? CLIENT_AUTH : SERVER_AUTH))));
  if (request.hosts?.length) extensions.push(extension("2.5.29.17", false, subjectAltNames(request.hosts)));
  const tbs = sequence(
    tlv(0xa0, integer(Buffer.from([2]))),
    integer(serial),
    ECDSA_WITH_SHA256,
    request.issuer?.name ?? subject,
    sequence(time(new Date(now.getTime() - 3_600_000)), time(new Date(now.getTime() + days * 86_400_000))),
    subject,
    publicKey.export({ type: "spki", format: "der" }),
    tlv(0xa3, sequence(...extensions)),
  );
  const signingKey: KeyObject = request.issuer ? createPrivateKey(request.issuer.key) : privateKey;
  const signature = sign("sha256", tbs, signingKey);
  return {
    cert: pem(sequence(tbs, ECDSA_WITH_SHA256, bits(signature))),
    key: privateKey.export({ type: "pkcs8", format: "pem" }).toString(),
    name: subject,
  };
}

/**
 * A serving certificate for `hosts` (IPv4 addresses and DNS names), valid from an hour ago for
 * `days`. It is its own CA (basicConstraints CA:TRUE) so clients can trust it as
 * `certificate-authority-data`.
 */
export function createSelfSignedCert(hosts: readonly string[], days = 365, now = new Date(), commonName = "machinelet-k8s-standin"): SelfSignedCert {
  const { cert, key } = createCertificate({ commonName, hosts, usage: "server-ca", days, now });
  return { cert, key };
}
