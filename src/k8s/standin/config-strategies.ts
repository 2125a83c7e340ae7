/**
 * Write rules of Secrets and ConfigMaps in the K8s stand-in (staging and tests only), after
 * pkg/registry/core/{secret,configmap}/strategy.go and their validation.
 */
import type { FieldError } from "./api-errors";
import { forbiddenField, invalidValue, required } from "./api-errors";
import { isJsonObject, jsonEqual } from "./k8s-object";
import type { Strategy } from "./strategy";
import { immutable, noChange } from "./strategy-parts";

const DATA_KEY = /^[-._a-zA-Z0-9]+$/;

function dataKeyErrors(field: string, data: unknown): FieldError[] {
  if (data === undefined || data === null) return [];
  if (!isJsonObject(data)) return [invalidValue(field, data, "must be a map of strings")];
  return Object.keys(data)
    .filter((key) => !DATA_KEY.test(key))
    .map((key) => invalidValue(field, key, "a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')"));
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

const SECRET_TYPES_NEEDING_KEYS: Readonly<Record<string, string[]>> = {
  "kubernetes.io/dockerconfigjson": [".dockerconfigjson"],
  "kubernetes.io/dockercfg": [".dockercfg"],
  "kubernetes.io/tls": ["tls.crt", "tls.key"],
  "kubernetes.io/ssh-auth": ["ssh-privatekey"],
};

export const secretStrategy: Strategy = {
  nameRule: "dns1123Subdomain",
  normalize(secret) {
    secret.type ??= "Opaque";
    // stringData is write-only: merged into data (base64) and never stored.
    if (isJsonObject(secret.stringData)) {
      const data = isJsonObject(secret.data) ? secret.data : {};
      for (const [key, value] of Object.entries(secret.stringData)) data[key] = Buffer.from(String(value), "utf8").toString("base64");
      secret.data = data;
    }
    delete secret.stringData;
  },
  prepareForCreate: noChange,
  prepareForUpdate: noChange,
  validate(secret) {
    const errors = dataKeyErrors("data", secret.data);
    if (isJsonObject(secret.data)) {
      for (const [key, value] of Object.entries(secret.data)) {
        if (typeof value !== "string" || !BASE64.test(value)) errors.push(invalidValue(`data[${key}]`, value, "illegal base64 data"));
      }
    }
    const needed = SECRET_TYPES_NEEDING_KEYS[String(secret.type)] ?? [];
    for (const key of needed) if (!isJsonObject(secret.data) || secret.data[key] === undefined) errors.push(required(`data[${key}]`));
    return errors;
  },
  validateUpdate(secret, old) {
    const errors = immutable("type", secret.type, old.type);
    if (old.immutable === true) {
      errors.push(...(jsonEqual(secret.data, old.data) ? [] : [forbiddenField("data", "field is immutable when `immutable` is set")]));
      if (secret.immutable !== true) errors.push(forbiddenField("immutable", "field is immutable when `immutable` is set"));
    }
    return errors;
  },
};

export const configMapStrategy: Strategy = {
  nameRule: "dns1123Subdomain",
  normalize: noChange,
  prepareForCreate: noChange,
  prepareForUpdate: noChange,
  validate(cm) {
    return [...dataKeyErrors("data", cm.data), ...dataKeyErrors("binaryData", cm.binaryData)];
  },
  validateUpdate(cm, old) {
    if (old.immutable !== true) return [];
    const errors: FieldError[] = [];
    if (!jsonEqual(cm.data, old.data) || !jsonEqual(cm.binaryData, old.binaryData)) errors.push(forbiddenField("data", "field is immutable when `immutable` is set"));
    if (cm.immutable !== true) errors.push(forbiddenField("immutable", "field is immutable when `immutable` is set"));
    return errors;
  },
};
