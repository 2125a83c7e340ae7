import { MachinesApiError } from "../../machines/errors";

/** `createMachine` -> `create_machine`: the `action` label of the API metrics. */
const actionOf = (method: string) => method.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

/**
 * A Machines API port (MachinesPort, AppsPort or the client) with every call reported: its action, its HTTP status code ("200" for an
 * answer, the error's status, or "network" when none came) and how long it took.
 */
export function instrumentMachines<P extends object>(port: P, observe: (action: string, code: string, ms: number) => void): P {
  return new Proxy(port, {
    get(target, prop, receiver) {
      const value: unknown = Reflect.get(target, prop, receiver);
      if (typeof value !== "function" || typeof prop !== "string") return value;
      return async (...args: unknown[]) => {
        const started = Date.now();
        try {
          const result: unknown = await value.apply(target, args);
          observe(actionOf(prop), "200", Date.now() - started);
          return result;
        } catch (e) {
          observe(actionOf(prop), e instanceof MachinesApiError && e.status !== undefined ? String(e.status) : "network", Date.now() - started);
          throw e;
        }
      };
    },
  });
}
