/**
 * A DPoP-bound session can never be turned back into a bearer one, whatever the store: the bound
 * mark is in the token under its MAC, and a rotation the store does not vouch for with the request's
 * key (a custom store that drops `jkt`) ends the session instead of handing out its successor.
 */
import { isTesseraError } from '@tessera/core';
import { createMemoryStore, type RefreshStore } from '@tessera/refresh';
import { describe, expect, it } from 'vitest';
import { NOW, service, testClock } from './support/backends.js';

const KEY = 'k'.repeat(43);
const THIEF = 't'.repeat(43);

const reasonOf = (promise: Promise<unknown>) =>
  promise.then(
    () => 'resolved',
    (error: unknown) =>
      isTesseraError(error) ? `${error.code}:${error.reason}` : `foreign: ${String(error)}`,
  );

/** A store written before bindings existed: it drops `jkt` from what it keeps and what it is asked. */
function storeIgnoringBindings() {
  const inner = createMemoryStore({ clock: () => NOW });
  const calls = { rotate: 0 };
  const store: RefreshStore = {
    create: ({ jkt: _jkt, ...record }, max) => inner.create(record, max),
    rotate: ({ jkt: _jkt, ...request }) => {
      calls.rotate++;
      return inner.rotate(request);
    },
    revoke: (...args) => inner.revoke(...args),
    revokeAll: (...args) => inner.revokeAll(...args),
    list: (...args) => inner.list(...args),
  };
  return { store, calls };
}

describe('a bound session on a store that ignores bindings', () => {
  it.each([
    ['no proof', undefined],
    ["a thief's own key", THIEF],
  ])('%s gets no successor: the session is revoked and the store named (ERR_CONFIG)', async (_, jkt) => {
    const { store, calls } = storeIgnoringBindings();
    const refresh = service(store, testClock(NOW).clock);
    const { token } = await refresh.issue({ sub: 'ann', jkt: KEY });
    expect(await reasonOf(refresh.rotate(token, jkt === undefined ? {} : { jkt }))).toBe(
      'ERR_CONFIG:store_ignores_binding',
    );
    expect(calls.rotate).toBe(1);
    expect(await refresh.list('ann')).toEqual([]);
  });

  it("a thief's own key gets no successor: the session is revoked and the store named (ERR_CONFIG)", async () => {
    const { store } = storeIgnoringBindings();
    const refresh = service(store, testClock(NOW).clock);
    const { token, session } = await refresh.issue({ sub: 'bo', jkt: KEY });
    expect(await reasonOf(refresh.rotate(token, { jkt: THIEF }))).toBe('ERR_CONFIG:store_ignores_binding');
    expect(await refresh.list('bo')).toEqual([]);
    // The owner's token now names a revoked session too: the chain ended rather than forked.
    expect(await reasonOf(refresh.rotate(token, { jkt: KEY }))).toBe(
      'ERR_SESSION_REVOKED:store_ignores_binding',
    );
    expect(session.bound).toBe(true);
  });
});
