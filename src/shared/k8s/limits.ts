/**
 * Limits on what machinelet accepts and stores, each as tight as Kubernetes' own validation or
 * tighter. Where Kubernetes bounds a field only by the object's size (1.5 MiB in etcd), the limit
 * here comes from what a machine can use, so that no refused value could have run.
 */

/** Kubernetes' TotalAnnotationSizeLimitB: keys plus values. */
export const MAX_ANNOTATIONS_BYTES = 256 * 1024;
/** Linux's MAX_ARG_STRLEN (bytes), here in characters: the longest argument or environment string a process can be given. */
export const MAX_ARG_LENGTH = 128 * 1024;
/** A reference is at most a 253-character registry host, a 255-character name, a 128-character tag and a digest. */
export const MAX_IMAGE_LENGTH = 1024;
/** Linux's PATH_MAX; also the bound of other free-form strings the worker reads (header values, gRPC service). */
export const MAX_STRING_LENGTH = 4096;
/** Entries of `command`, `args` and an exec probe's command. */
export const MAX_ARGS = 4096;
export const MAX_ENV = 4096;
export const MAX_CONTAINERS = 64;
export const MAX_PORTS = 256;
export const MAX_VOLUMES = 256;
