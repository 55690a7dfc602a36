/**
 * Socket-write coalescing for one connection: commands sent while others are in flight leave in
 * one `writev` instead of one write system call each.
 *
 * Why: on loopback, the write system call is the largest single cost of a rotation in this process
 * (more than its crypto). Auto-pipelining also batches writes, but it holds every command of a tick
 * until the tick ends, so 64 callers move in lock step: this process encodes a whole batch while
 * Redis waits, then Redis runs the batch while this process waits. Here a batch closes at a quarter
 * of the commands in flight (at most `maxBatch`), so about four batches alternate between the two
 * and both stay busy; a lone caller's command leaves at once.
 *
 * Only the timing of writes changes: each command is still sent, answered and failed on its own by
 * the client, in order. The socket is corked for at most the rest of the current tick.
 */

/** The part of a socket this needs (a Node.js `net.Socket` has it). */
export interface CorkableStream {
  cork(): void;
  uncork(): void;
  readonly writable: boolean;
}

export interface WriteCoalescer {
  /**
   * Runs `send` (which writes one command to the current stream and returns its reply) as part of
   * a batch. The caller reports the end of the command with {@link WriteCoalescer.settled}.
   */
  send<T>(send: () => Promise<T>): Promise<T>;
  /** Called once per `send` when its reply arrived, failed or was given up on. */
  readonly settled: () => void;
}

/**
 * Coalesces the writes made through `send` on whatever stream `streamOf` returns at the time (a
 * reconnecting client replaces its stream; undefined means no batching).
 */
export function createWriteCoalescer(
  streamOf: () => CorkableStream | undefined,
  maxBatch = 16,
): WriteCoalescer {
  let inFlight = 0;
  let corked: CorkableStream | undefined;
  let batched = 0;

  function flush(): void {
    const stream = corked;
    corked = undefined;
    batched = 0;
    stream?.uncork();
  }

  return {
    send<T>(send: () => Promise<T>): Promise<T> {
      inFlight++;
      // A quarter of those in flight, counting this one: 1 for a lone caller (no wait at all).
      const batch = Math.min(maxBatch, Math.max(1, inFlight >> 2));
      if (corked === undefined && batch > 1) {
        const stream = streamOf();
        if (stream?.writable) {
          stream.cork();
          corked = stream;
          // Never left corked past this tick, whatever happens to the batch.
          process.nextTick(flush);
        }
      }
      try {
        return send();
      } catch (error) {
        inFlight--;
        throw error;
      } finally {
        if (corked !== undefined && ++batched >= batch) flush();
      }
    },
    // Counted by the caller's own callbacks rather than a `.then` here: one promise fewer per command.
    settled: () => {
      inFlight--;
    },
  };
}
