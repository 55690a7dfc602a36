import assert from 'node:assert/strict';
import { createAccessTokens, generateSigningKey } from '@tessera/core';
import { createMemoryDenylist } from '@tessera/denylist';

// One process: the embedded denylist. verify() consults it on every call, in memory.
const denylist = createMemoryDenylist({ accessTtl: 900 });
const access = createAccessTokens({
  issuer: 'https://auth.example.com',
  audience: 'https://api.example.com',
  keys: { sign: await generateSigningKey('EdDSA') },
  ttl: 900,
  revocation: denylist,
});

// Stamp the user's current epoch into every access token you issue.
const laptop = access.issue({ sub: 'user-42', sid: 'laptop', epoch: await denylist.epoch('user-42') });
const phone = access.issue({ sub: 'user-42', sid: 'phone', epoch: await denylist.epoch('user-42') });

// "Sign out this device": the laptop's access tokens stop working now; the phone's still work.
await denylist.revokeSession('laptop');
await assert.rejects(access.verify(laptop.token), { code: 'ERR_TOKEN_REVOKED' });
await access.verify(phone.token);

// "Compromised account": every access token the user holds stops working now.
await denylist.revokeUser('user-42');
await assert.rejects(access.verify(phone.token), { code: 'ERR_TOKEN_REVOKED' });

// New tokens carry the new epoch and pass.
const fresh = access.issue({ sub: 'user-42', sid: 'phone', epoch: await denylist.epoch('user-42') });
assert.equal((await access.verify(fresh.token)).sub, 'user-42');
