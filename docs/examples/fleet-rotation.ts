import assert from 'node:assert/strict';
import { createAccessTokens, generateSigningKey, rotationKeys, rotationWaits } from '@tessera/core';

const issuer = 'https://auth.example.com';
const audience = 'https://api.example.com';
const current = await generateSigningKey('EdDSA', { kid: '2026-11' });
const next = await generateSigningKey('EdDSA', { kid: '2026-12' });

// How long to wait between the rollouts: one JWKS cache lifetime, then ttl + clockTolerance.
const waits = rotationWaits({ ttl: 900, clockTolerance: 5, jwksCacheLifetime: 300 });
assert.deepEqual(waits, { publishToSwitch: 300, switchToRetire: 905 });

// Phase 1, rolled out to every issuer instance: `current` signs, `next` is published and verifies.
const publish = createAccessTokens({ issuer, audience, keys: rotationKeys({ current, next }, 'publish') });
assert.deepEqual(
  publish.jwks().keys.map((key) => key.kid),
  ['2026-11', '2026-12'],
);
const beforeSwitch = publish.issue({ sub: 'user-42' }).token;

// Phase 2, at least `publishToSwitch` seconds after phase 1 is everywhere: `next` signs.
const switched = createAccessTokens({ issuer, audience, keys: rotationKeys({ current, next }, 'switch') });
await switched.verify(beforeSwitch); // tokens of `current` still verify
await publish.verify(switched.issue({ sub: 'user-42' }).token); // instances not yet restarted accept the new kid

// Phase 3, at least `switchToRetire` seconds after phase 2 is everywhere: `current` leaves the set.
const retired = createAccessTokens({ issuer, audience, keys: rotationKeys({ current, next }, 'retire') });
assert.deepEqual(
  retired.jwks().keys.map((key) => key.kid),
  ['2026-12'],
);
