import assert from 'node:assert/strict';
import { createAccessTokens, generateSigningKey, isTesseraError } from '@tessera/core';
import { createDenylist, waitForRedis } from '@tessera/denylist';
import { Redis } from 'ioredis';

/** One server of a fleet: a denylist that follows the shared revocation log in Redis. */
export async function verifierOnRedis(url: string) {
  const client = new Redis(url, { enableOfflineQueue: false, maxRetriesPerRequest: 1 });
  await waitForRedis(client, { timeoutMs: 5000 }); // ERR_UNAVAILABLE naming the reason, never a hang
  const denylist = createDenylist({
    client,
    prefix: 'myapp:dl',
    accessTtl: 900, // the same ttl your access tokens have
    maxStaleness: 5, // fail closed (ERR_UNAVAILABLE) if this process cannot confirm it is current for 5 s
  });
  // Loads the recent revocations, then follows the log. (Forgotten, the first check starts it, with
  // a warning, and refuses tokens until it is.) denylist.status() serves a readiness probe.
  await denylist.start();
  const access = createAccessTokens({
    issuer: 'https://auth.example.com',
    audience: 'https://api.example.com',
    keys: { sign: await generateSigningKey('EdDSA') },
    ttl: 900,
    revocation: denylist,
  });
  const close = async () => {
    await denylist.close();
    client.disconnect();
  };
  return { denylist, access, close };
}

// Runs when a Redis URL is given (the docs test passes the test suite's own redis-server).
const url = process.env['TESSERA_EXAMPLE_REDIS_URL'];
if (url !== undefined) {
  const { denylist, access, close } = await verifierOnRedis(url);
  try {
    const { token } = access.issue({ sub: 'user-7', epoch: await denylist.epoch('user-7') });
    await access.verify(token);
    await denylist.revokeUser('user-7'); // resolves once Redis has it; every server rejects within ms
    await assert.rejects(access.verify(token), (error) => isTesseraError(error, 'ERR_TOKEN_REVOKED'));
  } finally {
    await close();
  }
}
