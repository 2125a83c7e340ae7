/**
 * spdy-transport, made to speak SPDY/3.1 as Kubernetes does. Kubernetes' SPDY (moby/spdystream)
 * opens streams whose SYN_STREAM carries only its own headers (`streamtype`, `port`, ...), while
 * spdy-transport insists on HTTP's `:method` and `:path` and fails the whole connection without
 * them. This wraps the parser so a SYN_STREAM without them reads as `POST /`; nothing else changes.
 * Import `connection` from here, never from spdy-transport directly.
 */
import { createRequire } from "node:module";
import type * as SpdyTransport from "spdy-transport";

type HeaderCallback = (err: Error | null, headers?: Record<string, string>) => void;
interface SpdyParser {
  parseKVs(buffer: unknown, callback: HeaderCallback): void;
  onSynHeadFrame(type: number, flags: number, body: unknown, callback: unknown): void;
}

const SYN_STREAM = 0x01;
// CommonJS whose exports Node's ESM loader cannot name: loaded through require.
const require = createRequire(import.meta.url);
export const connection = (require("spdy-transport") as typeof SpdyTransport).connection;
const spdyParser = require("spdy-transport/lib/spdy-transport/protocol/spdy/parser.js") as { create(options: object): object };
// The module exports only a factory; the class is reached through one instance of it.
const Parser = { prototype: Object.getPrototypeOf(spdyParser.create({ window: null, isServer: true })) as SpdyParser & { __kubernetesCompat?: true } };

if (!Parser.prototype.__kubernetesCompat) {
  const { onSynHeadFrame, parseKVs } = Parser.prototype;
  Parser.prototype.onSynHeadFrame = function (this: SpdyParser, type, flags, body, callback) {
    if (type === SYN_STREAM) {
      // onSynHeadFrame calls parseKVs once, synchronously: this own property serves exactly that call.
      this.parseKVs = function (this: SpdyParser, buffer, next) {
        delete (this as Partial<SpdyParser>).parseKVs;
        parseKVs.call(this, buffer, (err, headers) => {
          if (headers) {
            headers[":method"] ??= "POST";
            headers[":path"] ??= "/";
          }
          next(err, headers);
        });
      };
    }
    onSynHeadFrame.call(this, type, flags, body, callback);
  };
  Parser.prototype.__kubernetesCompat = true;
}

export type { SpdyConnection, SpdyStream } from "spdy-transport";
