/**
 * X.509 certificates for staging and tests, built by @peculiar/x509 on WebCrypto (ECDSA P-256):
 * the K8s stand-in's serving certificate and its kubelet client certificate, staging's TLS front
 * for admission webhooks, and the relay's self-signed kubelet serving certificate when none is
 * configured (what a kubelet does without --tls-cert-file).
 */
import { webcrypto } from "node:crypto";
import { isIP } from "node:net";
// @peculiar/x509 resolves its ASN.1 parsers through tsyringe, which needs the Reflect metadata API.
import "reflect-metadata";
import * as x509 from "@peculiar/x509";

export interface SelfSignedCert {
  /** PEM certificate; also the CA clients trust. */
  cert: string;
  /** PEM PKCS#8 private key. */
  key: string;
}

/** A certificate that signs others: its PEM and key, plus what its children need to name and sign with it. */
export interface CertificateAuthority extends SelfSignedCert {
  readonly subject: string;
  readonly privateKey: CryptoKey;
}

export interface CertificateRequest {
  commonName: string;
  /** O= entries (Kubernetes reads them as the user's groups). */
  organizations?: readonly string[];
  /** IP addresses and DNS names (subjectAltName), for serving certificates. */
  hosts?: readonly string[];
  usage: "ca" | "server" | "client" | "server-ca";
  /** Signed by this CA; self-signed when absent. */
  issuer?: CertificateAuthority;
  days?: number;
  now?: Date;
}

const ALGORITHM = { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" } as const;
const crypto = webcrypto as unknown as Crypto;

/** One certificate as `request` describes it, with a fresh key, valid from an hour ago for `days` (365). */
export async function createCertificate(request: CertificateRequest): Promise<CertificateAuthority> {
  const keys = await crypto.subtle.generateKey(ALGORITHM, true, ["sign", "verify"]);
  const now = request.now ?? new Date();
  const subject = [`CN=${request.commonName}`, ...(request.organizations ?? []).map((o) => `O=${o}`)].join(", ");
  const isCa = request.usage === "ca" || request.usage === "server-ca";
  const serial = Buffer.from(crypto.getRandomValues(new Uint8Array(16)));
  serial[0] = (serial[0] ?? 0) & 0x7f;
  const extensions: x509.Extension[] = [
    new x509.BasicConstraintsExtension(isCa, undefined, true),
    new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | (isCa ? x509.KeyUsageFlags.keyCertSign : 0), true),
  ];
  if (request.usage !== "ca") extensions.push(new x509.ExtendedKeyUsageExtension([request.usage === "client" ? x509.ExtendedKeyUsage.clientAuth : x509.ExtendedKeyUsage.serverAuth]));
  if (request.hosts?.length) {
    extensions.push(new x509.SubjectAlternativeNameExtension(request.hosts.map((host) => ({ type: isIP(host) ? ("ip" as const) : ("dns" as const), value: host }))));
  }
  const cert = await x509.X509CertificateGenerator.create(
    {
      serialNumber: serial.toString("hex"),
      subject,
      issuer: request.issuer?.subject ?? subject,
      notBefore: new Date(now.getTime() - 3_600_000),
      notAfter: new Date(now.getTime() + (request.days ?? 365) * 86_400_000),
      signingAlgorithm: ALGORITHM,
      publicKey: keys.publicKey,
      signingKey: request.issuer?.privateKey ?? keys.privateKey,
      extensions,
    },
    crypto,
  );
  const pkcs8 = Buffer.from(await crypto.subtle.exportKey("pkcs8", keys.privateKey)).toString("base64");
  return {
    cert: cert.toString("pem") + "\n",
    key: `-----BEGIN PRIVATE KEY-----\n${pkcs8.replace(/.{64}/g, "$&\n").trimEnd()}\n-----END PRIVATE KEY-----\n`,
    subject,
    privateKey: keys.privateKey,
  };
}

/**
 * A serving certificate for `hosts` that is its own CA (basicConstraints CA:TRUE), so clients can
 * trust it as `certificate-authority-data`. kubectl (client-go clientcmd) only sends a kubeconfig's
 * bearer token over TLS, and the API server calls admission webhooks over HTTPS only.
 */
export async function createSelfSignedCert(hosts: readonly string[], days = 365, now = new Date(), commonName = "machinelet-k8s-standin"): Promise<SelfSignedCert> {
  const { cert, key } = await createCertificate({ commonName, hosts, usage: "server-ca", days, now });
  return { cert, key };
}
