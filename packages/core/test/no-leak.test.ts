/** No error message, property or rendering ever contains the token, a part of it, or a secret. */
import { createAccessTokens, type Jwk, type TesseraError } from '@tessera/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AUDIENCE, ISSUER, keyFor, setup, signCompact, validClaims, validHeader } from './helpers.js';

/** Every way an error may be rendered or inspected. */
function renderings(error: unknown): string[] {
  const e = error as TesseraError & Record<string, unknown>;
  return [
    e.message,
    String(e),
    e.stack ?? '',
    JSON.stringify(e),
    JSON.stringify(Object.fromEntries(Object.entries(e))),
    ...Object.values(e).map((value) => String(value)),
    String(e.cause ?? ''),
  ];
}

/** Pieces of the token long enough to identify it: each segment, the whole, and 24-char windows. */
function secretsOf(token: string): string[] {
  const pieces = [token, ...token.split('.').filter((s) => s.length >= 12)];
  for (let i = 0; i + 24 <= token.length; i += 12) pieces.push(token.slice(i, i + 24));
  return pieces;
}

function thrownBy(action: () => unknown): unknown {
  try {
    action();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
}

function expectClean(error: unknown, secrets: readonly string[]): void {
  expect(error).toBeInstanceOf(Error);
  for (const text of renderings(error)) {
    for (const secret of secrets)
      expect(text.includes(secret), `leaked a fragment into: ${text.slice(0, 200)}`).toBe(false);
  }
}

describe('errors never leak tokens or secrets', async () => {
  const hs = await keyFor('HS256');
  const ed = await keyFor('EdDSA');

  it('for arbitrary mutations of a valid token', async () => {
    const { tokens } = await setup('HS256');
    const { token } = tokens.issue({ sub: 'secret-subject-value', claims: { email: 'alice@example.com' } });
    await fc.assert(
      fc.asyncProperty(
        fc.nat({ max: token.length - 1 }),
        fc.constantFrom(...'A_-.=x'),
        async (index, char) => {
          const mutated = token.slice(0, index) + char + token.slice(index + 1);
          fc.pre(mutated !== token);
          const error = await tokens.verify(mutated).catch((e: unknown) => e);
          expectClean(error, [...secretsOf(mutated), hs.k!, 'secret-subject-value', 'alice@example.com']);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('for hostile tokens rejected at every stage', async () => {
    const { tokens } = await setup('EdDSA');
    const cases = [
      signCompact(
        JSON.stringify(validHeader(ed, { jku: 'https://evil/jwks-value-xyz' })),
        JSON.stringify(validClaims()),
        ed,
      ),
      signCompact(JSON.stringify(validHeader(ed)), '{"sub":"user-secret-1","sub":"admin-secret-2"}', ed),
      signCompact(JSON.stringify(validHeader(ed)), '{not json "payload-secret-3"', ed),
      signCompact(
        JSON.stringify(validHeader(ed)),
        JSON.stringify(validClaims({ iss: 'https://issuer-secret-4' })),
        ed,
      ),
      signCompact(
        JSON.stringify(validHeader(ed, { kid: 'kid-secret-5-long-enough' })),
        JSON.stringify(validClaims()),
        ed,
      ),
      'x'.repeat(10_000),
    ];
    for (const token of cases) {
      const error = await tokens.verify(token).catch((e: unknown) => e);
      expectClean(error, [
        ...secretsOf(token),
        ed.d!,
        'user-secret-1',
        'admin-secret-2',
        'payload-secret-3',
        'issuer-secret-4',
      ]);
    }
  });

  it('for a scope or revocation failure of a valid token (the cause is kept, scrubbed)', async () => {
    let token = '';
    const { tokens } = await setup('EdDSA', {
      revocation: {
        check() {
          // A backend whose message quotes what it was given: the token and a connection URL.
          throw Object.assign(
            new Error(`backend said: connection refused for ${token} at redis://app:hunter2-pass@db:6379`),
            { code: 'ECONNREFUSED', command: { name: 'eval', args: [token] } },
          );
        },
      },
    });
    token = tokens.issue({ sub: 'u', scope: 'read' }).token;
    expectClean(await tokens.verify(token, { scope: 'admin' }).catch((e: unknown) => e), secretsOf(token));
    const unavailable = (await tokens.verify(token).catch((e: unknown) => e)) as TesseraError;
    expectClean(unavailable, [...secretsOf(token), 'hunter2-pass']);
    const cause = unavailable.cause as Error & { code?: string; command?: unknown };
    expect(cause.message).toContain('connection refused');
    expect(cause.code).toBe('ECONNREFUSED');
    expect(cause.command).toBeUndefined();
  });

  it('for configuration errors about keys', () => {
    const weak: Jwk = {
      kty: 'oct',
      kid: 'w',
      alg: 'HS256',
      k: Buffer.from('short-secret-value').toString('base64url'),
    };
    const error = thrownBy(() =>
      createAccessTokens({ issuer: ISSUER, audience: AUDIENCE, keys: { sign: weak } }),
    );
    expectClean(error, [weak.k!, 'short-secret-value']);
    const privateAsVerify = thrownBy(() =>
      createAccessTokens({ issuer: ISSUER, audience: AUDIENCE, keys: { verify: [ed] } }),
    );
    expectClean(privateAsVerify, [ed.d!]);
  });
});
