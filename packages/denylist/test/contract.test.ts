/**
 * One contract for every denylist: the published suite (`@tessera/denylist/testing`) on the memory
 * denylist, Redis, and a three-master Redis Cluster.
 */
import { describeDenylistContract } from '@tessera/denylist/testing';
import { KINDS, openProcess } from './support/harness.js';

for (const kind of KINDS) {
  describeDenylistContract(kind, async ({ clock }) => {
    const { denylist, close } = await openProcess(kind, { clock });
    return { denylist, close };
  });
}

// The sharded layouts: 4 shards on one server (one follower for all), 12 on the Cluster (one each).
for (const [kind, shards] of [
  ['redis', 4],
  ['cluster', 12],
] as const) {
  describeDenylistContract(`${kind}, ${shards} shards`, async ({ clock }) => {
    const { denylist, close } = await openProcess(kind, { clock, extra: { shards } });
    return { denylist, close };
  });
}
