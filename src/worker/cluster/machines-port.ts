import type { MachinesClient } from "../../machines/client";

/**
 * The Machines API calls convergence and reconcile make, and nothing more: the seam where the
 * table tests put an in-memory fake and production puts `MachinesClient` (errors are
 * `MachinesApiError`s either way).
 */
export type MachinesPort = Pick<
  MachinesClient,
  "createMachine" | "getMachine" | "updateMachine" | "startMachine" | "stopMachine" | "deleteMachine" | "waitMachine" | "listMachines"
>;

/** The calls that make sure the cluster's app exists. */
export type AppsPort = Pick<MachinesClient, "getApp" | "createApp">;
