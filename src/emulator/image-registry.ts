import { parseImageReference } from "../shared/image-reference";
import { badRequest, FlyError } from "./errors";
import type { MachineConfig } from "./machine-config";

/**
 * The images a create or update may use, checked before anything is made or changed (README,
 * "Images"): a reference that does not parse is a 400 naming the field; an image that "does not
 * exist" (its reference, as written or normalized, matches a `config.missingImages` glob) is the
 * 422 `failed to launch VM: ...` Fly answers for a launch it cannot make, in containerd's words.
 */
export function checkImages(config: MachineConfig, missing: readonly string[]): void {
  const images: [string, string][] = [["config.image", config.image], ...(config.containers ?? []).map((c, i): [string, string] => [`config.containers[${i}].image`, c.image])];
  for (const [field, image] of images) {
    const ref = parseImageReference(image);
    if (!ref.ok) throw badRequest(`invalid ${field}: ${JSON.stringify(image)} is not a valid image reference (${ref.error})`);
    if (missing.some((glob) => matches(glob, image) || matches(glob, ref.normalized))) {
      throw new FlyError(422, `failed to launch VM: failed to resolve reference ${JSON.stringify(ref.normalized)}: ${ref.normalized}: not found`);
    }
  }
}

/** `*` matches any run of characters; everything else matches itself. */
function matches(glob: string, s: string): boolean {
  const re = new RegExp(`^${glob.split("*").map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")).join(".*")}$`);
  return re.test(s);
}
