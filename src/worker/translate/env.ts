import { MAX_ARG_LENGTH, type Container } from "../../shared/k8s";
import type { SecretKeys } from "./context";
import { fieldRefValue, resourceFieldValue } from "./downward-api";
import { findConfigMap, findSecret, flySecretFor, missingKey, type RefInputs } from "./object-refs";
import type { EnvFrom, MachineGuest, MachineSecret } from "../../machines/machine-config";

type Source = { literal: string } | { machineField: "private_ip" } | { appSecret: string };

/** What Fly accepts as `secrets[].env_var` (S `fly.MachineSecret`). */
const ENV_VAR_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** A container's environment split by where Fly takes each value from. */
export interface ContainerEnv {
  env: Record<string, string>;
  envFrom: EnvFrom[];
  secrets: MachineSecret[];
  /** Expands `$(VAR)` references in command and args the way the kubelet does. */
  expand(text: string, path: string): string;
}

/** What `$(VAR)` references may add to one container's strings in total: a quarter of the machine config limit. */
const MAX_EXPANSION_GROWTH = 128 * 1024;

interface EnvInputs extends RefInputs {
  guest: MachineGuest;
  /** The Service variables (service-env.ts): set first, so the container's own override them and `$(VAR)` sees them, as in the kubelet. */
  serviceEnv: Record<string, string>;
}

/**
 * Resolves `envFrom` then `env` (later names win, as in Kubernetes). Literal values, ConfigMap
 * values and downward-API metadata become `env`; the pod IP becomes `env_from` `private_ip`;
 * Secret values become `secrets` naming the Fly app secret of that key, and only the keys the
 * container references. A missing ConfigMap/Secret (or key) makes the pod wait unless `optional`;
 * without a lookup the variable is reported unsupported.
 */
export function containerEnv(c: Container, path: string, inputs: EnvInputs): ContainerEnv {
  const { pod, guest, log } = inputs;
  const vars = new Map<string, Source>(Object.entries(inputs.serviceEnv).map(([k, v]) => [k, { literal: v }]));
  const use = { env: true } as const;
  // References can multiply a value (B=$(A)$(A), C=$(B)$(B), ...): each result is bounded as a
  // process bounds one string, and what expansion adds per container is bounded too.
  let growth = 0;
  const expand = (text: string, at: string): string => {
    const lookup = (name: string): string | undefined => {
      const s = vars.get(name);
      if (!s) return undefined;
      if ("literal" in s) return s.literal;
      log.notHonoured(at, `$(${name}) is only known when the Machine runs and is left unexpanded`);
      return undefined;
    };
    const out = expandReferences(text, lookup, MAX_ARG_LENGTH);
    if (out === undefined) {
      log.error(at, `expands to more than ${MAX_ARG_LENGTH} characters, the most a process takes as one argument or environment string`);
      return text;
    }
    growth += Math.max(0, out.length - text.length);
    if (growth > MAX_EXPANSION_GROWTH) {
      log.error(at, `references expand to more than ${MAX_EXPANSION_GROWTH} added characters in this container`);
      return text;
    }
    return out;
  };
  const setSecret = (name: string, secret: string, keys: SecretKeys, key: string, at: string) => {
    if (!ENV_VAR_NAME.test(name)) return log.notHonoured(at, `"${name}" is not a name Fly accepts for a secret environment variable`);
    const fly = flySecretFor(inputs, secret, keys, key, use);
    if (fly) vars.set(name, { appSecret: fly.env });
  };

  (c.envFrom ?? []).forEach((from, i) => {
    const at = `${path}.envFrom[${i}]`;
    const prefix = from.prefix ?? "";
    if (from.configMapRef) {
      const cm = findConfigMap(inputs, from.configMapRef.name ?? "", from.configMapRef.optional, `${at}.configMapRef`, use);
      for (const [k, v] of Object.entries(cm?.data ?? {})) vars.set(prefix + k, { literal: v });
    } else if (from.secretRef) {
      const name = from.secretRef.name ?? "";
      const keys = findSecret(inputs, name, from.secretRef.optional, `${at}.secretRef`, use);
      for (const k of Object.keys(keys ?? {}).sort()) setSecret(prefix + k, name, keys!, k, `${at}.secretRef`);
    }
  });

  (c.env ?? []).forEach((v, i) => {
    const at = `${path}.env[${i}]`;
    const from = v.valueFrom;
    if (!from) return void vars.set(v.name, { literal: expand(v.value ?? "", `${at}.value`) });
    if (from.fieldRef) {
      const value = fieldRefValue(pod, from.fieldRef.fieldPath);
      if ("unsupported" in value) return log.notHonoured(`${at}.valueFrom.fieldRef`, value.unsupported);
      return void vars.set(v.name, value);
    }
    if (from.resourceFieldRef) {
      const ref = from.resourceFieldRef;
      const owner = ref.containerName ? [...pod.spec.containers, ...(pod.spec.initContainers ?? [])].find((x) => x.name === ref.containerName) : c;
      if (!owner) return log.error(`${at}.valueFrom.resourceFieldRef.containerName`, `no container "${ref.containerName}"`);
      const value = resourceFieldValue(owner, ref.resource, ref.divisor, guest);
      if ("unsupported" in value) return log.notHonoured(`${at}.valueFrom.resourceFieldRef`, value.unsupported);
      return void vars.set(v.name, value);
    }
    if (from.configMapKeyRef) {
      const ref = from.configMapKeyRef;
      const name = ref.name ?? "";
      const cm = findConfigMap(inputs, name, ref.optional, `${at}.valueFrom.configMapKeyRef`, use);
      const value = cm?.data?.[ref.key];
      if (value !== undefined) return void vars.set(v.name, { literal: value });
      if (cm && !ref.optional) missingKey(inputs, "ConfigMap", name, ref.key, use);
      return;
    }
    if (from.secretKeyRef) {
      const ref = from.secretKeyRef;
      const name = ref.name ?? "";
      const keys = findSecret(inputs, name, ref.optional, `${at}.valueFrom.secretKeyRef`, use);
      if (keys && ref.key in keys) return setSecret(v.name, name, keys, ref.key, `${at}.name`);
      if (keys && !ref.optional) missingKey(inputs, "Secret", name, ref.key, use);
      return;
    }
    log.notHonoured(`${at}.valueFrom`, "this value source is not available on Fly Machines");
  });

  const out: ContainerEnv = { env: {}, envFrom: [], secrets: [], expand };
  for (const [name, s] of vars) {
    if ("literal" in s) out.env[name] = s.literal;
    else if ("machineField" in s) out.envFrom.push({ env_var: name, field_ref: s.machineField });
    else out.secrets.push({ env_var: name, name: s.appSecret });
  }
  return out;
}

/**
 * Kubernetes' `$(VAR)` expansion: `$$` is a literal `$`; `$(NAME)` becomes the value `lookup`
 * gives, or stays as written when it gives none; any other `$` is kept. Undefined once the result
 * would be longer than `maxLength`.
 */
export function expandReferences(text: string, lookup: (name: string) => string | undefined): string;
export function expandReferences(text: string, lookup: (name: string) => string | undefined, maxLength: number): string | undefined;
export function expandReferences(text: string, lookup: (name: string) => string | undefined, maxLength = Infinity): string | undefined {
  let out = "";
  for (let i = 0; i < text.length; i++) {
    if (out.length > maxLength) return undefined;
    const ch = text[i]!;
    if (ch !== "$" || i + 1 >= text.length) {
      out += ch;
      continue;
    }
    const next = text[i + 1];
    if (next === "$") {
      out += "$";
      i++;
    } else if (next === "(") {
      const close = text.indexOf(")", i + 2);
      if (close < 0) {
        out += text.slice(i);
        break;
      }
      const name = text.slice(i + 2, close);
      out += lookup(name) ?? `$(${name})`;
      i = close;
    } else {
      out += ch;
    }
  }
  return out.length > maxLength ? undefined : out;
}
