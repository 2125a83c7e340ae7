/**
 * Owner of the `service_apps` table: what machinelet made on Fly for each addressed Service (by
 * Service UID): its app, Flycast address, forwarder machine and, for a LoadBalancer, public
 * addresses. The row is written before the first call that creates anything, so after a crash or
 * a lost answer every later step looks up (by the deterministic app name, the app's addresses,
 * the machine's metadata) before it creates: never a second app, address or machine. The row
 * outlives its Service until the app is confirmed deleted.
 */
export interface ServiceApp {
  serviceUid: string;
  namespace: string;
  name: string;
  app: string;
  /** The app is known to exist (created, or found). */
  appCreated: boolean;
  /** The Service app's Flycast address: the Service's address. */
  address: string | null;
  machineId: string | null;
  machineVersion: string | null;
  /** Set before a create call whose answer may be lost: the next step lists the app's machines first. */
  machineCreateIntentAt: number | null;
  /** Hash of the forwarder config the machine carries. */
  appliedHash: string | null;
  publicV6: string | null;
  publicV4: string | null;
}

type Row = {
  service_uid: string;
  namespace: string;
  name: string;
  app: string;
  app_created: number;
  address: string | null;
  machine_id: string | null;
  machine_version: string | null;
  machine_create_intent_at: number | null;
  applied_hash: string | null;
  public_v6: string | null;
  public_v4: string | null;
};

const fromRow = (r: Row): ServiceApp => ({
  serviceUid: r.service_uid,
  namespace: r.namespace,
  name: r.name,
  app: r.app,
  appCreated: r.app_created === 1,
  address: r.address,
  machineId: r.machine_id,
  machineVersion: r.machine_version,
  machineCreateIntentAt: r.machine_create_intent_at,
  appliedHash: r.applied_hash,
  publicV6: r.public_v6,
  publicV4: r.public_v4,
});

export class ServiceAppStore {
  constructor(private readonly sql: SqlStorage) {}

  all(): ServiceApp[] {
    return this.sql.exec<Row>("SELECT * FROM service_apps ORDER BY namespace, name").toArray().map(fromRow);
  }

  get(serviceUid: string): ServiceApp | undefined {
    const r = this.sql.exec<Row>("SELECT * FROM service_apps WHERE service_uid = ?", serviceUid).toArray()[0];
    return r && fromRow(r);
  }

  /** About to create the Service's app: the row (and so the app's name) exists first. Keeps an existing row. */
  plan(s: Pick<ServiceApp, "serviceUid" | "namespace" | "name" | "app">, now: number): ServiceApp {
    this.sql.exec(
      "INSERT INTO service_apps (service_uid, namespace, name, app, updated_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT(service_uid) DO NOTHING",
      s.serviceUid, s.namespace, s.name, s.app, now,
    );
    return this.get(s.serviceUid)!;
  }

  /** The app exists. */
  appCreated(serviceUid: string, now: number): void {
    this.sql.exec("UPDATE service_apps SET app_created = 1, updated_at = ? WHERE service_uid = ?", now, serviceUid);
  }

  /** The app's Flycast address (allocated, or found on the app). */
  setAddress(serviceUid: string, address: string, now: number): void {
    this.sql.exec("UPDATE service_apps SET address = ?, updated_at = ? WHERE service_uid = ?", address, now, serviceUid);
  }

  markMachineCreateIntent(serviceUid: string, now: number): void {
    this.sql.exec("UPDATE service_apps SET machine_create_intent_at = ?, updated_at = ? WHERE service_uid = ?", now, now, serviceUid);
  }

  /** A definite refusal made nothing: no machine to look for. */
  clearMachineCreateIntent(serviceUid: string, now: number): void {
    this.sql.exec("UPDATE service_apps SET machine_create_intent_at = NULL, updated_at = ? WHERE service_uid = ? AND machine_id IS NULL", now, serviceUid);
  }

  /** The forwarder machine as Fly answered, with the config hash it now carries (null: unknown, update it). */
  recordMachine(serviceUid: string, machine: { id: string; version: string | null }, appliedHash: string | null, now: number): void {
    this.sql.exec(
      "UPDATE service_apps SET machine_id = ?, machine_version = ?, applied_hash = ?, machine_create_intent_at = NULL, updated_at = ? WHERE service_uid = ?",
      machine.id, machine.version, appliedHash, now, serviceUid,
    );
  }

  /** The forwarder machine is gone (destroyed behind our back): the next step makes another. */
  forgetMachine(serviceUid: string, now: number): void {
    this.sql.exec("UPDATE service_apps SET machine_id = NULL, machine_version = NULL, applied_hash = NULL, updated_at = ? WHERE service_uid = ?", now, serviceUid);
  }

  /** The LoadBalancer's public addresses (null: none, or released). */
  setPublic(serviceUid: string, v6: string | null, v4: string | null, now: number): void {
    this.sql.exec("UPDATE service_apps SET public_v6 = ?, public_v4 = ?, updated_at = ? WHERE service_uid = ?", v6, v4, now, serviceUid);
  }

  /** The app is confirmed deleted: forget the row. */
  forget(serviceUid: string): void {
    this.sql.exec("DELETE FROM service_apps WHERE service_uid = ?", serviceUid);
  }
}
