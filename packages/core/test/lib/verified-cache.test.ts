import type { AccessTokenClaims } from '@tessera/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { VerifiedTokenCache } from '../../src/lib/verified-cache.js';

// The cache is private; this unit test pins the two properties the public tests cannot observe.
const claims = { sub: 'u' } as unknown as AccessTokenClaims;

describe('VerifiedTokenCache', () => {
  it('never holds more than its capacity, whatever the insertions', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 20 }),
        fc.array(fc.string(), { maxLength: 200 }),
        (capacity, tokens) => {
          const cache = new VerifiedTokenCache(capacity);
          for (const token of tokens) {
            cache.set(token, claims, 1000);
            expect(cache.size).toBeLessThanOrEqual(capacity);
          }
        },
      ),
    );
  });

  it('never returns an entry at or after its expiry, and drops it then', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 1e6 }),
        fc.integer({ min: -1000, max: 1000 }),
        (expiresAt, delta) => {
          const cache = new VerifiedTokenCache(4);
          cache.set('t', claims, expiresAt);
          const hit = cache.get('t', expiresAt + delta);
          expect(hit === undefined).toBe(delta >= 0);
          if (delta >= 0) expect(cache.size).toBe(0);
        },
      ),
    );
  });
});
