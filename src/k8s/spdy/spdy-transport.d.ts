/** The part of spdy-transport (no types of its own) the kubelet API uses. */
declare module "spdy-transport" {
  import type { Duplex } from "node:stream";
  import type { EventEmitter } from "node:events";

  export interface SpdyStream extends Duplex {
    readonly id: number;
    /** Request headers, names lowercased. */
    readonly headers: Record<string, string>;
    respond(status: number, headers: Record<string, string>, callback?: (err?: Error) => void): void;
    abort(code?: string, callback?: () => void): void;
  }

  export interface SpdyConnection extends EventEmitter {
    start(version: number): void;
    end(callback?: () => void): void;
    on(event: "stream", listener: (stream: SpdyStream) => void): this;
    on(event: "error" | "close", listener: (...args: unknown[]) => void): this;
  }

  export const connection: {
    create(socket: Duplex, options: { protocol: "spdy"; isServer: boolean; windowSize?: number; maxStreams?: number }): SpdyConnection;
  };
}
