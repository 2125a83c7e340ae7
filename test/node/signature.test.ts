import { describe, expect, it } from "vitest";
import { signRequest, verifySignature } from "../../src/shared/contract";

const secret = "s3cret";
const now = 1_750_000_000;

describe("relay request signatures", () => {
  it("matches an independently computed HMAC-SHA256 over t.METHOD.path.body", async () => {
    const { createHmac } = await import("node:crypto");
    const expected = createHmac("sha256", secret).update(`${now}.POST./v1/clusters/c/events?x=1.{"a":1}`).digest("hex");
    expect(await signRequest(secret, "post", "/v1/clusters/c/events?x=1", '{"a":1}', now)).toBe(`t=${now},v1=${expected}`);
  });

  const cases: Array<[string, string | undefined, string, string, number, RegExp | null]> = [
    ["valid", "SIGN", "POST", "{}", now, null],
    ["missing header", undefined, "POST", "{}", now, /missing/],
    ["no v1", `t=${now}`, "POST", "{}", now, /malformed/],
    ["uppercase hex", "UPPER", "POST", "{}", now, /malformed/],
    ["non-numeric t", "t=abc,v1=" + "0".repeat(64), "POST", "{}", now, /malformed/],
    ["other method", "SIGN", "PUT", "{}", now, /mismatch/],
    ["other body", "SIGN", "POST", "{} ", now, /mismatch/],
    ["301 s late", "SIGN", "POST", "{}", now + 301, /window/],
    ["300 s late", "SIGN", "POST", "{}", now + 300, null],
  ];
  it.each(cases)("%s", async (_name, header, method, body, at, error) => {
    const signed = await signRequest(secret, "POST", "/p", "{}", now);
    const h = header === "SIGN" ? signed : header === "UPPER" ? signed.toUpperCase().replace("T=", "t=").replace("V1=", "v1=") : header;
    const r = await verifySignature(secret, h, method, "/p", body, at);
    if (error === null) expect(r).toEqual({ ok: true });
    else expect(r.ok === false && r.reason).toMatch(error);
  });

  it("signs and checks with whichever secret it is given, one after the other (a rotated secret)", async () => {
    const { createHmac } = await import("node:crypto");
    for (const key of [secret, "rotated", secret]) {
      const expected = createHmac("sha256", key).update(`${now}.GET./p.`).digest("hex");
      const signed = await signRequest(key, "GET", "/p", "", now);
      expect(signed).toBe(`t=${now},v1=${expected}`);
      expect(await verifySignature(key, signed, "GET", "/p", "", now)).toEqual({ ok: true });
      const other = key === secret ? "rotated" : secret;
      expect(await verifySignature(other, signed, "GET", "/p", "", now)).toEqual({ ok: false, reason: "signature mismatch" });
    }
  });

  it("refuses everything when no secret is configured", async () => {
    const signed = await signRequest("", "GET", "/p", "", now).catch(() => "t=1,v1=" + "0".repeat(64));
    expect((await verifySignature("", signed, "GET", "/p", "", now)).ok).toBe(false);
  });
});
