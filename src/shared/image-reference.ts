/**
 * Container image references as the kubelet reads them: Docker's reference grammar
 * (distribution/reference `ParseNormalizedNamed`, through @swimlane/docker-reference's port of
 * it), with Docker Hub's defaults (`docker.io`, `library/`, tag `latest`). The worker refuses a
 * pod whose image does not parse (InvalidImageName) and the emulator refuses such a config.
 */
import { parseFamiliarName } from "@swimlane/docker-reference";

export type ImageReference = { ok: true; normalized: string } | { ok: false; error: string };

/** The reference with Docker Hub's defaults applied, or the parser's error (`invalid reference format...`). */
export function parseImageReference(image: string): ImageReference {
  try {
    const r = parseFamiliarName(image);
    const tag = r.tag ? `:${r.tag}` : r.digest ? "" : ":latest";
    return { ok: true, normalized: `${r.domain}/${r.repository}${tag}${r.digest ? `@${r.digest}` : ""}` };
  } catch (e) {
    const error = e instanceof Error ? e.message : String(e);
    // The port blames upper case even where lower case would not parse either; Go says the format is wrong then.
    if (/lowercase/.test(error) && !parseFamiliarNameOk(image.toLowerCase())) return { ok: false, error: "invalid reference format" };
    return { ok: false, error };
  }
}

function parseFamiliarNameOk(image: string): boolean {
  try {
    parseFamiliarName(image);
    return true;
  } catch {
    return false;
  }
}

/** The kubelet's message for a reference it cannot parse (image_manager.go `applyDefaultImageTag`). */
export function invalidImageMessage(image: string, error: string): string {
  return `Failed to apply default image tag ${JSON.stringify(image)}: couldn't parse image name ${JSON.stringify(image)}: ${error}`;
}
