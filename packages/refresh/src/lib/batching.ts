/**
 * Batching of one kind of store call: calls made while others are in flight travel together, as
 * one command that does each call's work on its own and answers each caller with its own result.
 *
 * Why: at 64 concurrent rotations, most of this process's cost per rotation and much of Redis's is
 * the command around the rotation (encode, write system call, parse, promise; dispatch, read,
 * reply), not the rotation itself. Auto-pipelining would hold every command of a tick until the
 * tick ends, so 64 callers would move in lock step: this process encodes while Redis waits, then
 * the reverse. Here a batch closes at a quarter of the calls in flight (at most `maxBatch`), so
 * about four batches alternate between the two and both stay busy; a lone caller's call leaves at
 * once, alone. A batch is never held past the current tick.
 */
import { type Deadlines, platform, type Tracked } from '@tessera/core/internal';

export interface BatcherOptions {
  /** The most calls in one batch; 1 turns batching off (each call is sent alone, at once). */
  readonly maxBatch: number;
  /** Settles each call, or fails it at its deadline (see deadline.ts). */
  readonly track: Deadlines['track'];
}

/**
 * Returns `add(item)`: `item`'s own result, or its own failure, or the whole batch's failure, or a
 * timeout. `run` sends one batch and resolves to one result per item, in order (an Error fails that
 * item only).
 */
export function createBatcher<I, R>(
  run: (items: readonly I[]) => Promise<readonly (R | Error)[]>,
  { maxBatch, track }: BatcherOptions,
): (item: I) => Promise<R> {
  let inFlight = 0;
  let items: I[] = [];
  let callers: Tracked<R>[] = [];
  const settled = () => {
    inFlight--;
  };

  function flush(): void {
    if (items.length === 0) return;
    const batch = callers;
    const sent = items;
    items = [];
    callers = [];
    let reply: Promise<readonly (R | Error)[]>;
    try {
      reply = run(sent);
    } catch (error) {
      reply = Promise.reject(error);
    }
    reply.then(
      (results) => {
        for (let n = 0; n < batch.length; n++) {
          const result = results[n];
          if (n >= results.length) batch[n]!.reject(new Error('batch: no result for this call'));
          else if (result instanceof Error) batch[n]!.reject(result);
          else batch[n]!.resolve(result as R);
        }
      },
      (error: unknown) => {
        for (const caller of batch) caller.reject(error);
      },
    );
  }

  return (item) => {
    inFlight++;
    // A quarter of those in flight, counting this one: 1 for a lone caller (no wait at all).
    const limit = Math.min(maxBatch, Math.max(1, inFlight >> 2));
    return new Promise<R>((resolve, reject) => {
      // The first of a batch that may wait: never held past this tick.
      if (items.length === 0 && limit > 1) platform.defer(flush);
      items.push(item);
      callers.push(track(resolve, reject, settled));
      if (items.length >= limit) flush();
    });
  };
}
