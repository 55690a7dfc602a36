import type { Cluster, Redis } from 'ioredis';
import type { DenylistKeys } from './keys.js';
import { MOVE_ORIGIN, STAMP_SERVER } from './scripts.js';

/** What {@link confirmServer} found. */
export type ServerVerdict = 'same' | 'first' | 'restarted_durable' | 'moved';

/**
 * Compares the Redis process serving the dataset now with the one recorded in it (`{p}:server`).
 * A different `run_id` means Redis restarted or failed over since: if the server persists every
 * write before acknowledging it (`appendonly yes` and `appendfsync always`), nothing acknowledged
 * can be missing; otherwise the data may be an older snapshot, or a replica that lagged, and the
 * origin moves (every token issued before now is rejected once). This is what lets a verifier that
 * starts after the loss, with no memory of what it saw before, still refuse the revived token.
 *
 * One pipeline (on a Cluster, it goes to the master of the denylist's slot: the GET names its key),
 * then at most one script. Scripts go through EVAL: a duplicated connection has no defined commands.
 */
export async function confirmServer(
  connection: Redis | Cluster,
  keys: DenylistKeys,
  heldOrigin: string,
  candidate: string,
): Promise<ServerVerdict> {
  const { stamp, runId, durable } = await serverState(connection, keys);
  if (stamp === runId) return 'same';
  if (stamp === null) {
    await connection.eval(STAMP_SERVER, 1, keys.server, '', runId);
    return 'first';
  }
  if (durable) {
    await connection.eval(STAMP_SERVER, 1, keys.server, stamp, runId);
    return 'restarted_durable';
  }
  await connection.eval(MOVE_ORIGIN, 3, keys.origin, keys.server, keys.seq, heldOrigin, candidate, runId);
  return 'moved';
}

/** Moves the origin after a loss the log showed (its counter went backwards), once per loss. */
export async function moveOrigin(
  connection: Redis | Cluster,
  keys: DenylistKeys,
  heldOrigin: string,
  candidate: string,
): Promise<void> {
  const { runId } = await serverState(connection, keys);
  await connection.eval(MOVE_ORIGIN, 3, keys.origin, keys.server, keys.seq, heldOrigin, candidate, runId);
}

/**
 * The recorded stamp, the serving process's run_id and whether it persists every write before
 * acknowledging it, in one pipeline. On a Cluster the pipeline goes to the master of the
 * denylist's slot (the GET names its key), so INFO and CONFIG describe that very node.
 */
async function serverState(
  connection: Redis | Cluster,
  keys: DenylistKeys,
): Promise<{ stamp: string | null; runId: string; durable: boolean }> {
  const replies = await connection
    .pipeline()
    .get(keys.server)
    .info('server')
    .config('GET', 'appendonly')
    .config('GET', 'appendfsync')
    .exec();
  if (replies === null || replies.length !== 4) throw new Error('unexpected pipeline reply');
  const [[stampError, stamp], [infoError, info]] = replies as [
    [Error | null, unknown],
    [Error | null, unknown],
  ];
  if (stampError !== null) throw stampError;
  if (infoError !== null) throw infoError;
  const runId = /^run_id:([0-9a-f]+)\r?$/m.exec(String(info))?.[1];
  if (runId === undefined) throw new Error('INFO server has no run_id');
  // CONFIG may be disabled (managed Redis): then durability cannot be shown, so it is not assumed.
  const setting = (reply: [Error | null, unknown] | undefined) =>
    reply?.[0] === null && Array.isArray(reply[1]) ? String(reply[1][1]) : undefined;
  return {
    stamp: typeof stamp === 'string' ? stamp : null,
    runId,
    durable: setting(replies[2]) === 'yes' && setting(replies[3]) === 'always',
  };
}
