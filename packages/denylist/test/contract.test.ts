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
