/**
 * DPoP-bound sessions (RFC 9449 section 5), end to end on every store, with proofs made by panva's
 * `dpop` client: a login with a proof binds the session and its access tokens to the key; each
 * refresh needs a proof by that key; a genuine refresh token without it is a theft signal that the
 * anomaly policy judges (by default the session ends, access tokens included).
 */
import { createDpopVerifier, isTesseraError } from '@tessera/core';
import { createSessions, type SessionEvent } from '@tessera/sessions';
import * as dpop from 'dpop';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KINDS, openStack, outcome, type Stack } from './support/stack.js';

const TOKEN_URL = 'https://auth.test/auth/token';
const API_URL = 'https://api.test/orders';

const reasonOf = (promise: Promise<unknown>) =>
  promise.then(
    () => 'ok',
    (error: unknown) =>
      isTesseraError(error) ? `${error.code}:${error.reason}` : `foreign: ${String(error)}`,
  );

type KeyPair = Awaited<ReturnType<typeof dpop.generateKeyPair>>;

/** A token-endpoint presentation: a fresh proof (new jti) by `keys`. */
async function atTokenEndpoint(keys: KeyPair, method = 'POST') {
  return { proof: await dpop.generateProof(keys, TOKEN_URL, method), method, url: TOKEN_URL };
}

/** A resource request's presentation with the access token. */
async function atApi(keys: KeyPair, accessToken: string) {
  return {
    proof: await dpop.generateProof(keys, API_URL, 'GET', undefined, accessToken),
    method: 'GET',
    url: API_URL,
  };
}

const anomalies = (events: readonly SessionEvent[]) =>
  events.filter((e): e is Extract<SessionEvent, { type: 'session.anomaly' }> => e.type === 'session.anomaly');

describe.each(KINDS)('DPoP-bound sessions (%s)', (kind) => {
  let stack: Stack;
  let owner: KeyPair;
  let thief: KeyPair;
  beforeAll(async () => {
    stack = await openStack(kind, { dpop: createDpopVerifier() });
    owner = await dpop.generateKeyPair('ES256');
    thief = await dpop.generateKeyPair('ES256');
  });
  afterAll(() => stack.close());

  it('a login with a proof binds the session and its tokens; each refresh with a proof by the key works', async () => {
    const { sessions } = stack;
    const jkt = await dpop.calculateThumbprint(owner.publicKey);
    const login = await sessions.login('dpop-ann', {
      meta: { userAgent: 'UA/1' },
      dpop: await atTokenEndpoint(owner),
    });
    expect(login.refreshToken).toMatch(/^rd1\./);
    expect(login.session.bound).toBe(true);
    expect(login.accessToken.claims.cnf).toEqual({ jkt });
    // The access token needs a proof by the key at the API; as a bearer token it is refused.
    await expect(
      sessions.verify(login.accessToken.token, { dpop: await atApi(owner, login.accessToken.token) }),
    ).resolves.toMatchObject({ sub: 'dpop-ann' });
    expect(await reasonOf(sessions.verify(login.accessToken.token))).toBe('ERR_DPOP_PROOF:proof_required');
    let refreshToken = login.refreshToken;
    for (let i = 0; i < 3; i++) {
      const next = await sessions.refresh(refreshToken, { dpop: await atTokenEndpoint(owner) });
      expect(next.accessToken.claims.cnf).toEqual({ jkt });
      expect(next.session.bound).toBe(true);
      refreshToken = next.refreshToken;
    }
    expect((await sessions.list('dpop-ann')).map((s) => s.bound)).toEqual([true]);
    expect(anomalies(stack.events)).toEqual([]);
  });

  it.each([
    ["another key's proof", 'key_mismatch', true],
    ['no proof at all', 'proof_required', false],
  ] as const)(
    'a stolen refresh token with %s: refused, and the session ends by default',
    async (_, reason, withProof) => {
      const { sessions } = stack;
      const sub = `dpop-theft-${reason}`;
      const login = await sessions.login(sub, {
        meta: { userAgent: 'Owner/1' },
        dpop: await atTokenEndpoint(owner),
      });
      const attempt = withProof
        ? sessions.refresh(login.refreshToken, {
            meta: { userAgent: 'Thief/1' },
            dpop: await atTokenEndpoint(thief),
          })
        : sessions.refresh(login.refreshToken, { meta: { userAgent: 'Thief/1' } });
      expect(await reasonOf(attempt)).toBe(`ERR_DPOP_PROOF:${reason}`);
      const sessionId = login.session.sessionId;
      expect(anomalies(stack.events).filter((e) => e.sessionId === sessionId)).toEqual([
        expect.objectContaining({
          sub,
          changed: ['dpopKey'],
          previous: { userAgent: 'Owner/1' },
          current: { userAgent: 'Thief/1' },
          decision: 'revoke',
        }),
      ]);
      // The session is over: the owner's own refresh and access token stop working at once.
      expect(
        await outcome(sessions.refresh(login.refreshToken, { dpop: await atTokenEndpoint(owner) })),
      ).toBe('ERR_SESSION_REVOKED');
      expect(
        await outcome(
          sessions.verify(login.accessToken.token, { dpop: await atApi(owner, login.accessToken.token) }),
        ),
      ).toBe('ERR_TOKEN_REVOKED');
      expect(await sessions.list(sub)).toEqual([]);
    },
  );

  it('an unbound session refreshed with a proof: the new access token is bound, the session is not', async () => {
    const { sessions } = stack;
    const login = await sessions.login('dpop-bearer');
    expect(login.refreshToken).toMatch(/^rt1\./);
    expect(login.session.bound).toBe(false);
    expect(login.accessToken.claims.cnf).toBeUndefined();
    const next = await sessions.refresh(login.refreshToken, { dpop: await atTokenEndpoint(thief) });
    expect(next.accessToken.claims.cnf).toEqual({ jkt: await dpop.calculateThumbprint(thief.publicKey) });
    expect(next.refreshToken).toMatch(/^rt1\./);
    expect((await sessions.refresh(next.refreshToken)).accessToken.claims.cnf).toBeUndefined();
  });

  it('a bad or replayed proof at the token endpoint starts nothing and changes nothing', async () => {
    const { sessions } = stack;
    const used = await atTokenEndpoint(owner);
    const login = await sessions.login('dpop-replay', { dpop: used });
    expect(await reasonOf(sessions.login('dpop-replay', { dpop: used }))).toBe('ERR_DPOP_PROOF:replayed');
    const wrongMethod = await atTokenEndpoint(owner, 'GET');
    expect(await reasonOf(sessions.login('dpop-replay', { dpop: { ...wrongMethod, method: 'POST' } }))).toBe(
      'ERR_DPOP_PROOF:htm',
    );
    expect(await reasonOf(sessions.refresh(login.refreshToken, { dpop: used }))).toBe(
      'ERR_DPOP_PROOF:replayed',
    );
    expect(
      await reasonOf(
        sessions.refresh(login.refreshToken, { dpop: { ...(await atTokenEndpoint(owner)), proof: 'x.y.z' } }),
      ),
    ).toMatch(/^ERR_DPOP_PROOF:/);
    // Only the first login made a session, and the refusals did not end it.
    expect((await sessions.list('dpop-replay')).map((s) => s.sessionId)).toEqual([login.session.sessionId]);
    await expect(
      sessions.refresh(login.refreshToken, { dpop: await atTokenEndpoint(owner) }),
    ).resolves.toBeTruthy();
  });
});

describe('a stolen bound token replayed, and junk presentations', () => {
  it('replays after the session ended add nothing to the denylist (one revocation, however many tries)', async () => {
    const stack = await openStack('memory', { dpop: createDpopVerifier() });
    try {
      const counted = { revokeSession: 0 };
      const { denylist } = stack;
      const counting = {
        epochs: (sub: string) => denylist.epochs(sub),
        revokeUser: (sub: string, options?: { keepSessions?: boolean }) => denylist.revokeUser(sub, options),
        revokeSession: (sid: string) => {
          counted.revokeSession++;
          return denylist.revokeSession(sid);
        },
        check: (claims: Parameters<typeof denylist.check>[0]) => denylist.check(claims),
        status: () => denylist.status(),
      };
      const sessions = createSessions({
        access: stack.access,
        refresh: stack.refresh,
        denylist: counting as unknown as typeof denylist,
        dpop: createDpopVerifier(),
      });
      const owner = await dpop.generateKeyPair('ES256');
      const thief = await dpop.generateKeyPair('ES256');
      const login = await sessions.login('dpop-replayer', { dpop: await atTokenEndpoint(owner) });
      for (let i = 0; i < 5; i++) {
        expect(
          await reasonOf(sessions.refresh(login.refreshToken, { dpop: await atTokenEndpoint(thief) })),
        ).toBe('ERR_DPOP_PROOF:key_mismatch');
      }
      expect(counted.revokeSession).toBe(1);
    } finally {
      await stack.close();
    }
  });

  it('a presentation that is not { proof, method, url } is ERR_DPOP_PROOF, never a crash', async () => {
    const stack = await openStack('memory', { dpop: createDpopVerifier() });
    try {
      const login = await stack.sessions.login('dpop-junk');
      for (const junk of [null, 'junk', 5, [], { proof: 5 }, { proof: 'a.b.c', method: 7, url: {} }]) {
        const dpopJunk = junk as never;
        expect(await reasonOf(stack.sessions.login('dpop-junk', { dpop: dpopJunk }))).toMatch(
          /^ERR_DPOP_PROOF:/,
        );
        expect(await reasonOf(stack.sessions.refresh(login.refreshToken, { dpop: dpopJunk }))).toMatch(
          /^ERR_DPOP_PROOF:/,
        );
      }
      expect((await stack.sessions.list('dpop-junk')).length).toBe(1);
    } finally {
      await stack.close();
    }
  });
});

describe('the policy decides what a key mismatch costs', () => {
  it("'allow': the refusal stands, the session lives on for its key", async () => {
    const decided: string[] = [];
    const stack = await openStack('memory', {
      dpop: createDpopVerifier(),
      extra: {
        policy: {
          anomaly: (signal) => {
            decided.push(signal.changed.join(','));
            return 'allow';
          },
        },
      },
    });
    try {
      const owner = await dpop.generateKeyPair('Ed25519');
      const thief = await dpop.generateKeyPair('Ed25519');
      const login = await stack.sessions.login('dpop-lenient', { dpop: await atTokenEndpoint(owner) });
      expect(
        await reasonOf(stack.sessions.refresh(login.refreshToken, { dpop: await atTokenEndpoint(thief) })),
      ).toBe('ERR_DPOP_PROOF:key_mismatch');
      expect(decided).toEqual(['dpopKey']);
      const next = await stack.sessions.refresh(login.refreshToken, { dpop: await atTokenEndpoint(owner) });
      expect(next.retried).toBe(false);
    } finally {
      await stack.close();
    }
  });

  it('a proof without the dpop option is a configuration error, never ignored', async () => {
    const stack = await openStack('memory');
    try {
      const keys = await dpop.generateKeyPair('ES256');
      expect(await reasonOf(stack.sessions.login('dpop-none', { dpop: await atTokenEndpoint(keys) }))).toBe(
        'ERR_CONFIG:no_dpop_verifier',
      );
      expect(await stack.sessions.list('dpop-none')).toEqual([]);
    } finally {
      await stack.close();
    }
  });
});
