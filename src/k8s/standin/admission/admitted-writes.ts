/**
 * Writes through admission, for the K8s stand-in's routes and controllers (staging and tests only):
 * the registry computes the object as it would store it (a dry run: decoding, defaults, built-in
 * admission, validation), the webhooks admit it (webhooks.ts), and the admitted object is written.
 * An update written after admission carries the resourceVersion admission saw, so a change in
 * between is a 409 Conflict rather than a write of an object no webhook checked. Without any
 * webhook configuration, a write is the registry call alone.
 */
import type { K8sObject } from "../k8s-object";
import type { PatchType } from "../patch";
import type { Registry, WriteOptions } from "../registry";
import type { ResourceType } from "../resources";
import type { WebhookAdmission } from "./webhooks";

export class AdmittedWrites {
  constructor(
    readonly registry: Registry,
    private readonly webhooks: WebhookAdmission,
  ) {}

  async create(rt: ResourceType, namespace: string | undefined, body: unknown, options: WriteOptions = {}): Promise<K8sObject> {
    if (!this.webhooks.anyConfigured()) return this.registry.create(rt, namespace, body, options);
    const preview = this.registry.create(rt, namespace, body, { ...options, dryRun: true });
    const redefault = (obj: K8sObject): K8sObject => this.registry.create(rt, namespace, obj, { ...options, dryRun: true });
    const admitted = await this.webhooks.admit({ rt, operation: "CREATE", namespace, name: preview.metadata.name ?? "", object: preview, dryRun: options.dryRun ?? false }, redefault);
    return this.registry.create(rt, namespace, admitted ?? preview, options);
  }

  async update(rt: ResourceType, namespace: string | undefined, name: string, body: unknown, options: WriteOptions = {}): Promise<K8sObject> {
    if (!this.webhooks.anyConfigured()) return this.registry.update(rt, namespace, name, body, options);
    return this.admitUpdate(rt, namespace, name, this.registry.update(rt, namespace, name, body, { ...options, dryRun: true }), options);
  }

  async patch(rt: ResourceType, namespace: string | undefined, name: string, type: PatchType, patch: unknown, options: WriteOptions = {}): Promise<K8sObject> {
    if (!this.webhooks.anyConfigured()) return this.registry.patch(rt, namespace, name, type, patch, options);
    return this.admitUpdate(rt, namespace, name, this.registry.patch(rt, namespace, name, type, patch, { ...options, dryRun: true }), options);
  }

  private async admitUpdate(rt: ResourceType, namespace: string | undefined, name: string, preview: K8sObject, options: WriteOptions): Promise<K8sObject> {
    const oldObject = this.registry.find(rt, namespace, name);
    // A PUT of a missing lease or event creates it: admitted as a create.
    if (!oldObject) return this.create(rt, namespace, preview, options);
    const redefault = (obj: K8sObject): K8sObject => this.registry.update(rt, namespace, name, obj, { ...options, dryRun: true });
    const admitted = await this.webhooks.admit(
      { rt, ...(options.subresource ? { subresource: options.subresource } : {}), operation: "UPDATE", namespace, name, object: preview, oldObject, dryRun: options.dryRun ?? false },
      redefault,
    );
    return this.registry.update(rt, namespace, name, admitted ?? preview, options);
  }
}
