import { env, exports } from "cloudflare:workers";
import { SignJWT, importJWK } from "jose";
import { beforeAll, describe, expect, inject, it } from "vitest";
import app from "../../src/worker/index";
import { newCluster, pod, podPhase, postEvents } from "./helpers";

const TOKEN = "test-status-token";
const AUD = "access-aud-0123456789abcdef";
const get = (path: string, headers: Record<string, string> = {}) => exports.default.fetch(`http://worker${path}`, { headers });

let cluster: string;
let podName: string;
beforeAll(async () => {
  ({ cluster } = newCluster("ops"));
  const p = pod({ name: "secret-sauce-api", namespace: "payments" });
  podName = p.metadata.name;
  await postEvents(cluster, [{ type: "ADDED", object: p }]);
  await podPhase(cluster, p.metadata.uid, "Running");
});

/** No refusal may carry anything of the cluster. */
async function expectRefused(res: Response, status = 401) {
  const body = await res.text();
  expect(res.status, body).toBe(status);
  expect(body).not.toContain(podName);
  expect(body).not.toContain("payments");
  expect(res.headers.get("cache-control")).toBe("no-store");
}

describe("status page and /metrics with STATUS_TOKEN", () => {
  const paths = () => [`/ui/clusters/${cluster}`, `/ui/clusters/${cluster}/live`, `/ui/clusters/${cluster}/view.json`, `/metrics?cluster=${cluster}`, "/ui/"];

  it("refuse requests without a credential or with a wrong token (401, no cluster data)", async () => {
    for (const path of paths()) {
      await expectRefused(await get(path));
      await expectRefused(await get(path, { authorization: "Bearer not-the-token" }));
      await expectRefused(await get(path, { authorization: `Bearer ${TOKEN}x` }));
      await expectRefused(await get(path, { authorization: `Basic ${btoa(`ops:${TOKEN}`)}` }));
    }
  });

  it("answer a browser without a credential with the sign-in form, not the page", async () => {
    const res = await get(`/ui/clusters/${cluster}`, { accept: "text/html" });
    expect(res.headers.get("www-authenticate")).toBe('Bearer realm="machinelet"');
    const html = await res.clone().text();
    expect(html).toContain('action="/ui/login"');
    expect(html).toContain(`value="/ui/clusters/${cluster}"`);
    await expectRefused(res);
  });

  it("serve the page, the live part and the metrics to the bearer token", async () => {
    const auth = { authorization: `Bearer ${TOKEN}` };
    const page = await get(`/ui/clusters/${cluster}`, auth);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain(podName);
    expect(page.headers.get("content-security-policy")).toContain("script-src 'self'");
    expect(await (await get(`/ui/clusters/${cluster}/live`, auth)).text()).toContain(podName);
    const metrics = await get(`/metrics?cluster=${cluster}`, auth);
    expect(metrics.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(await metrics.text()).toContain(`machinelet_pods{cluster="${cluster}",phase="Running"} 1`);
  });

  it("trade the token once for an HttpOnly, SameSite session cookie that stops working when tampered with", async () => {
    const login = (token: string, headers: Record<string, string> = {}) =>
      exports.default.fetch("http://worker/ui/login", {
        method: "POST",
        redirect: "manual",
        headers: { "content-type": "application/x-www-form-urlencoded", origin: "http://worker", ...headers },
        body: new URLSearchParams({ token, next: `/ui/clusters/${cluster}` }).toString(),
      });
    const wrong = await login("guess");
    await expectRefused(wrong);
    expect(wrong.headers.get("set-cookie")).toBeNull();
    expect((await login(TOKEN, { origin: "https://evil.example" })).status).toBe(403);

    const ok = await login(TOKEN);
    expect(ok.status).toBe(303);
    expect(ok.headers.get("location")).toBe(`/ui/clusters/${cluster}`);
    const setCookie = ok.headers.get("set-cookie")!;
    expect(setCookie).toMatch(/^machinelet_session=/);
    expect(setCookie).toMatch(/HttpOnly/);
    expect(setCookie).toMatch(/SameSite=Strict/);
    expect(setCookie).not.toContain(TOKEN);
    const cookie = setCookie.split(";")[0]!;
    expect(await (await get(`/ui/clusters/${cluster}`, { cookie })).text()).toContain(podName);

    const [name, value] = cookie.split("=") as [string, string];
    const decoded = decodeURIComponent(value);
    const forged = `${name}=${encodeURIComponent(decoded.replace(/^\d+/, "99999999999"))}`;
    await expectRefused(await get(`/ui/clusters/${cluster}`, { cookie: forged }));
  });

  it("serve the stylesheet and script without a credential: they hold no data", async () => {
    expect((await get("/ui/assets/status.css")).status).toBe(200);
    expect((await get("/ui/assets/status.js")).status).toBe(200);
  });
});

describe("Cloudflare Access", () => {
  const issuer = inject("accessIssuer");
  const accessEnv = { ...env, ACCESS_TEAM_DOMAIN: issuer, ACCESS_AUD: AUD, STATUS_TOKEN: undefined };
  const viaAccess = (jwt: string | undefined, path = `/ui/clusters/${cluster}`) =>
    app.request(path, { headers: jwt ? { "cf-access-jwt-assertion": jwt } : {} }, accessEnv);

  async function token(over: { key?: Record<string, unknown>; aud?: string; iss?: string; exp?: number; alg?: string } = {}): Promise<string> {
    const jwk = over.key ?? inject("accessSigningKey");
    const key = await importJWK(jwk as Parameters<typeof importJWK>[0], "RS256");
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT({ email: "ops@example.com", type: "app" })
      .setProtectedHeader({ alg: "RS256", kid: jwk.kid as string })
      .setSubject("user-1")
      .setIssuer(over.iss ?? issuer)
      .setAudience(over.aud ?? AUD)
      .setIssuedAt(now - 60)
      .setExpirationTime(over.exp ?? now + 600)
      .sign(key);
  }

  it("lets a valid Access JWT through to the page and /metrics", async () => {
    const jwt = await token();
    const res = await viaAccess(jwt);
    expect(res.status).toBe(200);
    expect(await res.text()).toContain(podName);
    expect((await viaAccess(jwt, `/metrics?cluster=${cluster}`)).status).toBe(200);
  });

  it("refuses a missing, expired, foreign-audience, foreign-issuer, unsigned-by-the-team or malformed token", async () => {
    const now = Math.floor(Date.now() / 1000);
    await expectRefused(await viaAccess(undefined));
    const expired = await viaAccess(await token({ exp: now - 30 }));
    expect(await expired.clone().json()).toEqual({ error: "Access token refused: expired" });
    await expectRefused(expired);
    await expectRefused(await viaAccess(await token({ aud: "another-app" })));
    await expectRefused(await viaAccess(await token({ iss: "https://other-team.cloudflareaccess.com" })));
    await expectRefused(await viaAccess(await token({ key: inject("strangerSigningKey") })));
    const unsigned = `${btoa(JSON.stringify({ alg: "none" }))}.${btoa(JSON.stringify({ aud: AUD, iss: issuer, sub: "x", exp: now + 600 }))}.`;
    await expectRefused(await viaAccess(unsigned));
    await expectRefused(await viaAccess("not-a-jwt"));
  });

  it("says what is wrong when only half of Access is configured, without data", async () => {
    const res = await app.request(`/ui/clusters/${cluster}`, {}, { ...env, ACCESS_TEAM_DOMAIN: issuer });
    expect(res.status).toBe(500);
    expect(await res.clone().text()).toContain("ACCESS_AUD");
    await expectRefused(res, 500);
  });
});
