import { UnavailableError } from '../errors.js';

/** A write's pipeline replies, `[script, WAIT]`, read: the script's reply and whether enough replicas confirmed it. */
export interface DurableReply<T> {
  readonly reply: T;
  /** Undefined when confirmed; else the ERR_UNAVAILABLE (reason `not_durable`) to report. */
  readonly unconfirmed: UnavailableError | undefined;
}

/**
 * Reads the replies of a durable write: one script followed by `WAIT replicas timeoutMs` in one
 * pipeline (the same connection; on a Cluster, the master of the script's slot). A script error or
 * a failed WAIT is thrown as it is; too few acknowledgements is reported, not thrown, since the
 * write did run on the primary and the caller decides what that means (a retry, or an undo).
 */
export function durableReply<T>(
  replies: readonly [Error | null, unknown][] | null,
  replicas: number,
): DurableReply<T> {
  if (replies === null || replies.length !== 2) throw new Error('unexpected pipeline reply');
  const [[scriptError, reply], [waitError, acknowledged]] = replies as [
    [Error | null, T],
    [Error | null, unknown],
  ];
  if (scriptError !== null) throw scriptError;
  if (waitError !== null) throw waitError;
  const count = Number(acknowledged);
  return {
    reply,
    unconfirmed:
      count >= replicas
        ? undefined
        : new UnavailableError(`the write reached ${count} of ${replicas} replicas in time`, {
            reason: 'not_durable',
          }),
  };
}
