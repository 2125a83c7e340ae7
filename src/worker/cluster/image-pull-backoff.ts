import { parseImageReference } from "../../shared/image-reference";
import type { MachinesApiError } from "../../machines/errors";
import type { Pod } from "../../shared/k8s";
import type { Problem } from "../translate/machine-facts";

/**
 * The kubelet's image pull back-off (pkg/kubelet/images, a flowcontrol.Backoff of 10 s doubling
 * to 300 s), per pod and its images (the kubelet keys it by pod and image, so a corrected image is
 * pulled at once). A pull that Fly refused (create or update answered that an image cannot be
 * fetched) is ErrImagePull; until the back-off runs out the pod shows ImagePullBackOff and no
 * create or update is tried. Kept in memory, as the kubelet keeps it: an evicted object tries
 * again at once. An entry not failed for twice the maximum starts over at 10 s, as the kubelet's does.
 */
export class ImagePullBackoff {
  readonly #entries = new Map<string, { images: string; delayMs: number; lastFailure: number; message: string }>();

  constructor(
    private readonly initialMs = 10_000,
    private readonly maxMs = 300_000,
  ) {}

  /** Records a refused pull of the pod's `images` at `now`; returns the back-off now running. */
  failed(uid: string, images: readonly string[], now: number, pull: ErrImagePull): number {
    const key = images.join(" ");
    const before = this.#entries.get(uid);
    const fresh = !before || before.images !== key || now - before.lastFailure > 2 * this.maxMs;
    const delayMs = fresh ? this.initialMs : Math.min(before.delayMs * 2, this.maxMs);
    this.#entries.set(uid, { images: key, delayMs, lastFailure: now, message: `Back-off pulling image ${pull.images}: ErrImagePull: ${pull.error}` });
    return delayMs;
  }

  /**
   * The kubelet's waiting state while the pod's back-off for these `images` runs
   * (`Back-off pulling image "x": ErrImagePull: ...`) and how long it still runs; undefined when it may pull now.
   */
  backingOff(uid: string, images: readonly string[], now: number): { problem: Problem; ms: number } | undefined {
    const e = this.#entries.get(uid);
    const ms = e && e.images === images.join(" ") ? e.lastFailure + e.delayMs - now : 0;
    return ms > 0 ? { problem: { reason: "ImagePullBackOff", message: e!.message, terminal: false }, ms } : undefined;
  }

  /** The image is there (the create or update went through), or the pod is gone. */
  forget(uid: string): void {
    this.#entries.delete(uid);
  }
}

/**
 * What Fly answers when an image cannot be fetched: a refusal (4xx) of a create or update whose
 * message says the reference did not resolve or the registry denied the pull (src/emulator/README.md
 * cites and assumes the wording). Capacity, quota and region refusals are not pulls.
 */
const PULL_REFUSED = /failed to resolve reference|manifest unknown|pull access denied|repository does not exist|image not found/i;

export function isImagePullRefusal(e: MachinesApiError): boolean {
  return e.kind === "invalid" && PULL_REFUSED.test(e.message);
}

export interface ErrImagePull {
  problem: Problem;
  /** the images named, quoted */
  images: string;
  /** Fly's message */
  error: string;
}

/** The ErrImagePull a refusal shows, naming the images of `images` Fly's message names (all of them when it names none). */
export function errImagePull(e: MachinesApiError, images: readonly string[]): ErrImagePull {
  const error = e.message.replace(/^\w+: \d{3} /, "");
  const named = images.filter((image) => {
    const ref = parseImageReference(image);
    return error.includes(image) || (ref.ok && error.includes(ref.normalized));
  });
  const list = (named.length ? named : images).map((i) => JSON.stringify(i)).join(", ");
  return { problem: { reason: "ErrImagePull", message: `Failed to pull image ${list}: ${error}`, terminal: false }, images: list, error };
}

/** The images a pod pulls: its init containers' and containers', in order. */
export const podImages = (pod: Pod): string[] => [...(pod.spec.initContainers ?? []), ...pod.spec.containers].map((c) => c.image);
