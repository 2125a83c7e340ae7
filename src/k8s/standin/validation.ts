/**
 * Field validation shared by the kinds of the K8s stand-in (staging and tests only), with the
 * wording of k8s.io/apimachinery/pkg/util/validation.
 */
import type { FieldError } from "./api-errors";
import { invalidValue, required } from "./api-errors";
import type { K8sObject } from "./k8s-object";
import { isJsonObject } from "./k8s-object";

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;

export type NameRule = "dns1123Label" | "dns1123Subdomain" | "dns1035Label";

export function nameErrors(field: string, name: string, rule: NameRule): FieldError[] {
  switch (rule) {
    case "dns1123Label":
      if (name.length > 63) return [invalidValue(field, name, "must be no more than 63 characters")];
      return DNS1123_LABEL.test(name)
        ? []
        : [
            invalidValue(
              field,
              name,
              "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')",
            ),
          ];
    case "dns1123Subdomain":
      if (name.length > 253) return [invalidValue(field, name, "must be no more than 253 characters")];
      return DNS1123_SUBDOMAIN.test(name)
        ? []
        : [
            invalidValue(
              field,
              name,
              "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')",
            ),
          ];
    case "dns1035Label":
      if (name.length > 63) return [invalidValue(field, name, "must be no more than 63 characters")];
      return DNS1035_LABEL.test(name)
        ? []
        : [
            invalidValue(
              field,
              name,
              "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')",
            ),
          ];
  }
}

const QUALIFIED_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

function qualifiedNameErrors(field: string, key: string): FieldError[] {
  const slash = key.lastIndexOf("/");
  const prefix = slash === -1 ? undefined : key.slice(0, slash);
  const name = slash === -1 ? key : key.slice(slash + 1);
  const prefixOk = prefix === undefined || (prefix.length <= 253 && DNS1123_SUBDOMAIN.test(prefix));
  if (!prefixOk || name.length > 63 || !QUALIFIED_NAME.test(name)) {
    return [
      invalidValue(
        field,
        key,
        "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')",
      ),
    ];
  }
  return [];
}

/** ObjectMeta checks every kind shares: name (or generateName), labels, annotations, namespace scope. */
export function objectMetaErrors(obj: K8sObject, nameRule: NameRule): FieldError[] {
  const errors: FieldError[] = [];
  const { name, labels, annotations } = obj.metadata;
  if (!name) errors.push({ ...required("metadata.name"), message: "Required value: name or generateName is required" });
  else errors.push(...nameErrors("metadata.name", name, nameRule));
  if (labels !== undefined) {
    if (!isJsonObject(labels)) errors.push(invalidValue("metadata.labels", labels, "must be a map of strings"));
    else
      for (const [key, value] of Object.entries(labels)) {
        errors.push(...qualifiedNameErrors("metadata.labels", key));
        if (typeof value !== "string" || value.length > 63 || !LABEL_VALUE.test(value)) {
          errors.push(
            invalidValue(
              "metadata.labels",
              value,
              "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')",
            ),
          );
        }
      }
  }
  if (annotations !== undefined) {
    if (!isJsonObject(annotations)) errors.push(invalidValue("metadata.annotations", annotations, "must be a map of strings"));
    else
      for (const [key, value] of Object.entries(annotations)) {
        errors.push(...qualifiedNameErrors("metadata.annotations", key));
        if (typeof value !== "string") errors.push(invalidValue(`metadata.annotations[${key}]`, value, "must be a string"));
      }
  }
  return errors;
}

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;
const RFC3339_MICRO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}(Z|[+-]\d{2}:\d{2})$/;

export function isTime(value: unknown): value is string {
  return typeof value === "string" && RFC3339.test(value) && !Number.isNaN(Date.parse(value));
}

/** metav1.MicroTime is parsed with layout RFC3339Micro: exactly six fractional digits. */
export function isMicroTime(value: unknown): value is string {
  return typeof value === "string" && RFC3339_MICRO.test(value) && !Number.isNaN(Date.parse(value));
}
