import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { flySecretNameToSecretKey, secretKeyToFlySecretNames } from "../../../src/worker/translate/fly-secret-name";

const FLY_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const dnsLabel = fc.stringMatching(/^[a-z0-9]([-a-z0-9]{0,20}[a-z0-9])?$/);
const subdomain = fc.stringMatching(/^[a-z0-9]([-.a-z0-9]{0,30}[a-z0-9])?$/);
const secretKey = fc.stringMatching(/^[-._a-zA-Z0-9]{1,40}$/);

describe("secretKeyToFlySecretNames", () => {
  it.each([
    ["default", "db", "password", "MLS_default__db__password", "MLB_default__db__password"],
    ["my-ns", "tls.certs", "tls.crt", "MLS_my_2Dns__tls_2Ecerts__tls_2Ecrt", "MLB_my_2Dns__tls_2Ecerts__tls_2Ecrt"],
    ["a", "b", ".secret-file", "MLS_a__b___2Esecret_2Dfile", "MLB_a__b___2Esecret_2Dfile"],
    ["a", "b", "API_KEY", "MLS_a__b___41_50_49_5F_4B_45_59", "MLB_a__b___41_50_49_5F_4B_45_59"],
  ])("(%s, %s, %s) -> %s / %s", (ns, name, key, env, file) => {
    expect(secretKeyToFlySecretNames(ns, name, key)).toEqual({ env, file });
  });

  it("gives valid Fly names that decode back to their triple, so no two triples share a name, even ignoring case", () => {
    fc.assert(
      fc.property(dnsLabel, subdomain, secretKey, (ns, name, key) => {
        const { env, file } = secretKeyToFlySecretNames(ns, name, key);
        expect(env).toMatch(FLY_NAME);
        expect(file).toMatch(FLY_NAME);
        expect(flySecretNameToSecretKey(env)).toEqual({ namespace: ns, name, key, variant: "env" });
        expect(flySecretNameToSecretKey(file)).toEqual({ namespace: ns, name, key, variant: "file" });
      }),
    );
    fc.assert(
      fc.property(fc.tuple(dnsLabel, subdomain, secretKey), fc.tuple(dnsLabel, subdomain, secretKey), (a, b) => {
        fc.pre(a.join("\0") !== b.join("\0"));
        expect(secretKeyToFlySecretNames(...a).env.toUpperCase()).not.toBe(secretKeyToFlySecretNames(...b).env.toUpperCase());
      }),
    );
  });

  it("leaves other names alone", () => {
    for (const name of ["DATABASE_URL", "MLS_only__two", "MLS_a__b__c_zz", "MLS_A__b__c"]) expect(flySecretNameToSecretKey(name)).toBeUndefined();
  });
});
