/**
 * A provider-side problem attached to a pod and shown in its status.
 * `terminal` problems end the pod (phase Failed) until its spec changes; the others say why
 * the pod is still waiting (rate budget, transient API errors) while retries go on.
 */
export interface Problem {
  reason: string;
  message: string;
  terminal: boolean;
}

export const waitingForBudget = (action: string, scope: string, ms: number): Problem => ({
  reason: "RateBudget",
  message: `waiting ${Math.ceil(ms / 100) / 10} s for the Machines API rate budget (${action} on ${scope})`,
  terminal: false,
});
