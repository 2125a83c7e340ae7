/**
 * A self-signed X.509 certificate for the K8s stand-in and staging's TLS front (staging and tests
 * only): an ECDSA P-256 key from WebCrypto and a certificate built by @peculiar/x509. HTTPS is
 * needed because kubectl (client-go clientcmd) only sends a kubeconfig's bearer token over TLS, and
 * the API server calls admission webhooks over HTTPS only.
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

const ALGORITHM = { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" } as const;

/**
 * A certificate for `hosts` (IP addresses and DNS names), valid from an hour ago for `days`.
 * It is its own CA (basicConstraints CA:TRUE) so clients can trust it as `certificate-authority-data`.
 */
export async function createSelfSignedCert(hosts: readonly string[], days = 365, now = new Date()): Promise<SelfSignedCert> {
  const crypto = webcrypto as unknown as Crypto;
  const keys = await crypto.subtle.generateKey(ALGORITHM, true, ["sign", "verify"]);
  const serial = Buffer.from(crypto.getRandomValues(new Uint8Array(16)));
  serial[0] = (serial[0] ?? 0) & 0x7f;
  const cert = await x509.X509CertificateGenerator.createSelfSigned(
    {
      serialNumber: serial.toString("hex"),
      name: "CN=machinelet-k8s-standin",
      notBefore: new Date(now.getTime() - 3_600_000),
      notAfter: new Date(now.getTime() + days * 86_400_000),
      signingAlgorithm: ALGORITHM,
      keys,
      extensions: [
        new x509.BasicConstraintsExtension(true, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyCertSign, true),
        new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
        new x509.SubjectAlternativeNameExtension(hosts.map((host) => ({ type: isIP(host) ? ("ip" as const) : ("dns" as const), value: host }))),
      ],
    },
    crypto,
  );
  const pkcs8 = Buffer.from(await crypto.subtle.exportKey("pkcs8", keys.privateKey)).toString("base64");
  return {
    cert: cert.toString("pem") + "\n",
    key: `-----BEGIN PRIVATE KEY-----\n${pkcs8.replace(/.{64}/g, "$&\n").trimEnd()}\n-----END PRIVATE KEY-----\n`,
  };
}
