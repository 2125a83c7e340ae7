/** Values the worker tests' global setups provide (vitest `inject`). */
import "vitest";

declare module "vitest" {
  export interface ProvidedContext {
    /** Origin serving `/cdn-cgi/access/certs` as a Cloudflare Access team domain does. */
    accessIssuer: string;
    /** Private JWK (RS256) whose public half that origin serves. */
    accessSigningKey: Record<string, unknown>;
    /** A second key the team does not publish. */
    strangerSigningKey: Record<string, unknown>;
  }
}
