/**
 * Where the status-feed cursor survives relay restarts: a file (written atomically, so a crash
 * mid-write leaves the previous cursor) or, without a path, memory only. Losing the cursor is
 * safe: the feed then replays every pod's current status.
 */
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { dirname } from "node:path";

export interface CursorStore {
  load(): Promise<string | undefined>;
  save(cursor: string): Promise<void>;
}

export function memoryCursorStore(): CursorStore {
  let cursor: string | undefined;
  return {
    load: async () => cursor,
    save: async (c) => {
      cursor = c;
    },
  };
}

export function fileCursorStore(path: string): CursorStore {
  return {
    async load() {
      try {
        const text = (await readFile(path, "utf8")).trim();
        return text || undefined;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === "ENOENT") return undefined;
        throw new Error(`cannot read cursor file ${path}: ${(e as Error).message}`);
      }
    },
    async save(cursor) {
      await mkdir(dirname(path), { recursive: true });
      const tmp = `${path}.${process.pid}.tmp`;
      await writeFile(tmp, cursor + "\n", "utf8");
      await rename(tmp, path);
    },
  };
}
