/** Types of forwarder.mjs (plain JavaScript, shipped as it is). */
export interface ForwardRoute {
  listen: number;
  host: string;
  port: number;
}
export function parseForward(spec: string): ForwardRoute[];
export function startForwarder(routes: ForwardRoute[], listenHost: string): Promise<{ bound: number[]; close(): Promise<unknown> }>;
