import { digestOf } from "./ids";

/** Splits an image reference the way Fly reports `image_ref` (docker.io defaults, fake but stable digest). */
export function imageRef(image: string) {
  let rest = image;
  let digest: string | undefined;
  const at = rest.indexOf("@");
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
  }
  const slash = rest.indexOf("/");
  const first = slash >= 0 ? rest.slice(0, slash) : "";
  const hasRegistry = slash >= 0 && (first.includes(".") || first.includes(":") || first === "localhost");
  const registry = hasRegistry ? first : "registry-1.docker.io";
  let repository = hasRegistry ? rest.slice(slash + 1) : rest;
  let tag = "latest";
  const colon = repository.lastIndexOf(":");
  if (colon >= 0) {
    tag = repository.slice(colon + 1);
    repository = repository.slice(0, colon);
  } else if (digest) {
    tag = "";
  }
  if (registry === "registry-1.docker.io" && !repository.includes("/")) repository = `library/${repository}`;
  return { registry, repository, tag, digest: digest ?? `sha256:${digestOf(image)}`, labels: {} };
}
