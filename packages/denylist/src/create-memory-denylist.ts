import { UnavailableError } from '@tessera/core';
import { requireRevocableId } from './lib/ids.js';
import { resolveMemoryOptions } from './lib/options.js';
import { RevocationView } from './lib/view.js';
import type { Denylist, MemoryDenylistOptions, RevokeUserOptions } from './types.js';

/**
 * The embedded denylist for one process: epochs and revocations in memory, `start` and `close` do
 * nothing. Its data begins when it is created, so access tokens issued before (by an earlier run of
 * the process) are rejected as `ERR_TOKEN_REVOKED` (reason `origin`): the revocations they might be
 * subject to are gone, and a lost revocation must never revive a token. Clients refresh and go on.
 *
 * @example
 * ```ts
 * const denylist = createMemoryDenylist();
 * const access = createAccessTokens({ issuer, audience, keys, revocation: denylist });
 * const { token } = access.issue({ sub: 'user-1', sid, epoch: await denylist.epoch('user-1') });
 * await denylist.revokeUser('user-1'); // verify(token) now rejects with ERR_TOKEN_REVOKED
 * ```
 */
export function createMemoryDenylist(options: MemoryDenylistOptions = {}): Denylist {
  const { clock, ...window } = resolveMemoryOptions(options);
  // The data begins with the process, at its whole second: tokens issued in that second are not refused.
  const view = new RevocationView(window, Math.floor(clock() / 1000) * 1000, window.maxViewEntries);
  /** Epochs never expire: one number per user ever revoked. */
  const epochs = new Map<string, number>();
  /** Session floors, also forever: the epoch of each user's last revocation that ended sessions. */
  const floors = new Map<string, number>();
  let closed = false;

  return Object.freeze({
    async epoch(sub: string) {
      return epochs.get(requireRevocableId(sub, 'sub')) ?? 0;
    },
    async epochs(sub: string) {
      requireRevocableId(sub, 'sub');
      return { epoch: epochs.get(sub) ?? 0, sessionFloor: floors.get(sub) ?? 0 };
    },
    async revokeUser(sub: string, revokeOptions: RevokeUserOptions = {}) {
      requireRevocableId(sub, 'sub');
      const epoch = (epochs.get(sub) ?? 0) + 1;
      epochs.set(sub, epoch);
      if (revokeOptions.keepSessions !== true) floors.set(sub, epoch);
      const now = clock();
      view.apply({ kind: 'user', sub, epoch, at: now }, now);
      return epoch;
    },
    async revokeSession(sid: string) {
      requireRevocableId(sid, 'sid');
      const now = clock();
      view.apply({ kind: 'session', sid, at: now }, now);
    },
    check(claims) {
      // Like the Redis denylist: once closed, nothing vouches for the view any more.
      if (closed) throw new UnavailableError('the denylist is closed', { reason: 'closed' });
      const now = clock();
      view.trim(now);
      view.check(claims, now);
    },
    horizon: window.horizonSeconds,
    async start() {},
    status: () => (closed ? { ready: false, state: 'closed' } : { ready: true, state: 'ready' }),
    async close() {
      closed = true;
    },
  } satisfies Denylist);
}
