import { z } from "zod";

/**
 * Names as the API server validates them (k8s.io/apimachinery/pkg/util/validation), each refusal
 * saying which rule failed. Which rule applies to which field follows pkg/apis/core/validation:
 * pod, Secret, ConfigMap and PVC names are subdomains, namespaces and container/volume names are
 * labels, Service names are DNS-1035 labels, port names are IANA service names.
 */

const LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const LABEL_1035 = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const QUALIFIED_NAME_PART = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const IANA_SVC_NAME = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/;

const limited = (max: number) => z.string().max(max, { error: `must be no more than ${max} characters` });

/** RFC 1123 label: a namespace, a container or volume name. */
export const Dns1123Label = limited(63).regex(LABEL, {
  error: "must be a lowercase RFC 1123 label: lowercase letters, digits and '-', starting and ending with a letter or digit",
});

/** RFC 1123 subdomain: a pod, Secret, ConfigMap or PVC name. */
export const Dns1123Subdomain = limited(253).refine((s) => s.split(".").every((part) => LABEL.test(part)), {
  error: "must be a lowercase RFC 1123 subdomain: lowercase letters, digits, '-' and '.', each part starting and ending with a letter or digit",
});

/** RFC 1035 label: a Service name. */
export const Dns1035Label = limited(63).regex(LABEL_1035, {
  error: "must be an RFC 1035 label: lowercase letters, digits and '-', starting with a letter and ending with a letter or digit",
});

/** IANA_SVC_NAME: a port name. */
export const PortName = limited(15).refine((s) => IANA_SVC_NAME.test(s) && /[a-z]/.test(s) && !s.includes("--"), {
  error: "must be an IANA service name: lowercase letters, digits and '-', at least one letter, no '--', starting and ending with a letter or digit",
});

/** A label or annotation key: `[prefix/]name`, the prefix a subdomain of at most 253 characters, the name at most 63. */
export const QualifiedName = z.string().refine(
  (key) => {
    const slash = key.lastIndexOf("/");
    const name = slash < 0 ? key : key.slice(slash + 1);
    const prefix = slash < 0 ? undefined : key.slice(0, slash);
    const prefixOk = prefix === undefined || (prefix.length > 0 && prefix.length <= 253 && prefix.split(".").every((p) => LABEL.test(p)));
    return prefixOk && name.length <= 63 && QUALIFIED_NAME_PART.test(name);
  },
  { error: "must be a qualified name: an optional DNS subdomain prefix and '/', then at most 63 letters, digits, '-', '_' or '.', starting and ending alphanumeric" },
);

export const LabelValue = limited(63).regex(LABEL_VALUE, {
  error: "must be at most 63 letters, digits, '-', '_' or '.', starting and ending alphanumeric (or empty)",
});

/** An environment variable name: printable ASCII but '=' (RelaxedEnvironmentVariableValidation, GA in 1.34). */
export const EnvVarName = z.string().regex(/^[\x20-\x3c\x3e-\x7e]+$/, { error: "must be printable ASCII characters other than '='" });
