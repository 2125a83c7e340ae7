/**
 * The worker's wire contract (../shared/contract.md), the one module both sides import: every
 * body the relay sends and every answer the worker gives, as zod schemas and their types, the
 * limits, the cluster name rule and request signing. Runtime-neutral (zod and WebCrypto only),
 * so the worker (workerd), the relay (Node), the tests and the benchmarks share it as is.
 */
export * from "./admission";
export * from "./cluster-name";
export * from "./events";
export * from "./pod-view";
export * from "./signature";
export * from "./snapshot";
export * from "./status-feed";
export * from "./pod-io";
export * from "./service-view";
export * from "./claim-view";
