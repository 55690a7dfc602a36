/**
 * No accepted combination of options revives a revoked token: for random core `ttl` and
 * `clockTolerance`, denylist `accessTtl` and `clockTolerance` (attached to core as its revocation
 * check, or consulted after verify as `createSessions` does), and a clock that moves in random steps
 * up to `exp + tolerance`, a revoked token is never accepted again. Memory and Redis denylists.
 */
import { randomBytes } from 'node:crypto';
import { createAccessTokens, isTesseraError } from '@tessera/core';
import { createDenylist, createMemoryDenylist, type Denylist } from '@tessera/denylist';
import { createMemoryStore, createRefreshTokens } from '@tessera/refresh';
import { createSessions } from '@tessera/sessions';
import fc from 'fast-check';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { NOW } from './support/stack.js';

const SECRET = randomBytes(32);
const KEY = { kty: 'oct', alg: 'HS256', kid: 'k1', k: SECRET.toString('base64url') } as const;
type Revoke = 'revokeUser' | 'revokeSession' | 'logout' | 'logoutEverywhere' | 'credentialsChanged';

const scenario = fc.record({
  ttl: fc.integer({ min: 1, max: 3600 }),
  coreTolerance: fc.oneof(fc.integer({ min: 0, max: 60 }), fc.double({ min: 0, max: 60, noNaN: true })),
  accessTtl: fc.integer({ min: 1, max: 3600 }),
  denylistTolerance: fc.oneof(fc.integer({ min: 0, max: 60 }), fc.double({ min: 0, max: 60, noNaN: true })),
  attached: fc.boolean(),
  revoke: fc.constantFrom<Revoke>(
    'revokeUser',
    'revokeSession',
    'logout',
    'logoutEverywhere',
    'credentialsChanged',
  ),
  before: fc.integer({ min: 0, max: 30_000 }),
  steps: fc.array(fc.integer({ min: 1, max: 900_000 }), { minLength: 1, maxLength: 12 }),
});

describe.each(['memory', 'redis'] as const)(
  'no combination of options revives a revoked token: %s',
  (kind) => {
    let client: Redis | undefined;
    beforeAll(async () => {
      if (kind === 'redis') {
        client = new Redis({
          port: inject('redis').standalone.port,
          host: '127.0.0.1',
          enableOfflineQueue: false,
        });
        await new Promise((resolve) => client!.once('ready', resolve));
      }
    });
    afterAll(() => client?.disconnect());

    it('property', async () => {
      await fc.assert(
        fc.asyncProperty(scenario, async (s) => {
          let now = NOW;
          const clock = () => now;
          const timing = { accessTtl: s.accessTtl, clockTolerance: s.denylistTolerance, clock };
          const denylist: Denylist =
            client === undefined
              ? createMemoryDenylist(timing)
              : createDenylist({
                  ...timing,
                  client,
                  prefix: `nr${randomBytes(6).toString('hex')}`,
                  onWarning: () => {},
                });
          await denylist.start();
          try {
            let access: ReturnType<typeof createAccessTokens>;
            try {
              access = createAccessTokens({
                issuer: 'https://auth.test',
                audience: 'https://api.test',
                keys: { sign: KEY },
                ttl: s.ttl,
                clockTolerance: s.coreTolerance,
                clock,
                ...(s.attached ? { revocation: denylist } : {}),
              });
            } catch (error) {
              // Construction may refuse only the mismatch itself.
              expect(isTesseraError(error, 'ERR_CONFIG')).toBe(true);
              expect((error as { reason?: string }).reason).toBe('revocation_horizon');
              expect(s.ttl + s.coreTolerance).toBeGreaterThan(s.accessTtl + s.denylistTolerance);
              return;
            }
            const sessions = createSessions({
              access,
              refresh: createRefreshTokens({
                store: createMemoryStore({ clock }),
                secrets: [{ id: 's1', secret: SECRET }],
                clock,
              }),
              denylist,
              clock,
            });
            const { accessToken, refreshToken, session } = await sessions.login('ada');
            const token = accessToken.token;
            now += s.before;
            switch (s.revoke) {
              case 'revokeUser':
                await denylist.revokeUser('ada');
                break;
              case 'revokeSession':
                await denylist.revokeSession(session.sessionId);
                break;
              case 'logout':
                await sessions.logout(refreshToken);
                break;
              case 'logoutEverywhere':
                await sessions.logoutEverywhere('ada');
                break;
              case 'credentialsChanged':
                await sessions.credentialsChanged('ada');
                break;
            }
            /** Both ways an app verifies: core alone (with the check attached or not), and the session service. */
            const accepted = async () => {
              const viaSessions = await sessions.verify(token).then(
                () => true,
                () => false,
              );
              const viaCore = await access
                .verify(token)
                .then(
                  (claims) => {
                    denylist.check(claims);
                    return true;
                  },
                  () => false,
                )
                .catch(() => false);
              return viaSessions || viaCore;
            };
            const end = accessToken.claims.exp * 1000 + s.coreTolerance * 1000;
            expect(await accepted()).toBe(false);
            for (const step of s.steps) {
              now = Math.min(now + step, end);
              expect(await accepted()).toBe(false);
            }
            now = end - 1;
            expect(await accepted()).toBe(false);
          } finally {
            await denylist.close();
          }
        }),
        {
          numRuns: kind === 'memory' ? 300 : 40,
          // Shrunk from the first failure (before tokens were judged by their own iat): a 7 s token,
          // a denylist told 1 s, revoked, then accepted again once the revocation was dropped.
          examples: [
            [
              {
                ttl: 7,
                coreTolerance: 0,
                accessTtl: 1,
                denylistTolerance: 0,
                attached: false,
                revoke: 'revokeUser',
                before: 0,
                steps: [1],
              },
            ],
          ],
        },
      );
    });
  },
);
