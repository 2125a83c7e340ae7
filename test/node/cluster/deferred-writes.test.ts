import { describe, expect, it } from "vitest";
import { DeferredWrites } from "../../../src/worker/cluster/state/deferred-writes";

/** A store's held-back writes as DeferredWrites keeps them: every write call, with what it wrote. */
function store(limit: number) {
  const written: number[][] = [];
  const deferred = new DeferredWrites<number[]>(
    () => [],
    (rows) => written.push(rows),
    limit,
  );
  const add = (n: number) => {
    if (!deferred.hold((rows) => rows.push(n))) written.push([n]);
  };
  return { written, deferred, add };
}

describe("DeferredWrites", () => {
  it("writes at once outside a batch, and holds writes inside one until its end", () => {
    const s = store(10);
    s.add(1);
    expect(s.written).toEqual([[1]]);
    s.deferred.batch(() => {
      s.add(2);
      s.add(3);
      expect(s.written).toEqual([[1]]);
    });
    expect(s.written).toEqual([[1], [2, 3]]);
  });

  it("holds at most `limit` writes: past it, what is held is written then, in order, and the rest at the end", () => {
    const s = store(3);
    s.deferred.batch(() => {
      for (let n = 1; n <= 7; n++) s.add(n);
      expect(s.written).toEqual([
        [1, 2, 3],
        [4, 5, 6],
      ]);
    });
    expect(s.written).toEqual([[1, 2, 3], [4, 5, 6], [7]]);
  });

  it("writes nothing more once the batch throws (the caller's transaction undoes what was written)", () => {
    const s = store(3);
    expect(() =>
      s.deferred.batch(() => {
        for (let n = 1; n <= 5; n++) s.add(n);
        throw new Error("intake failed");
      }),
    ).toThrow("intake failed");
    expect(s.written).toEqual([[1, 2, 3]]);
    s.add(6); // the batch is over: written at once, nothing left over from it
    expect(s.written).toEqual([[1, 2, 3], [6]]);
  });

  it("joins a nested batch to the outer one and writes on an explicit flush only what was held", () => {
    const s = store(10);
    s.deferred.batch(() => {
      s.add(1);
      s.deferred.batch(() => s.add(2));
      expect(s.written).toEqual([]);
      s.deferred.flush();
      s.deferred.flush();
      s.add(3);
    });
    expect(s.written).toEqual([[1, 2], [3]]);
  });
});
