import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createDenylist, migrateDenylist } from '@tessera/denylist';
import { Cluster } from 'ioredis';

/** A fleet on a three-master Cluster moves its denylist from one slot to 48 shards (16 a master). */
export async function migrateToShards(cluster: Cluster, prefix: string) {
  // 1. Every process rolls out with the new count and the old one: it writes both layouts, reads
  //    both and follows both, beside processes of the older release.
  const migrating = createDenylist({ client: cluster, prefix, shards: 48, reshardFrom: 1 });
  await migrating.start();
  await migrating.revokeUser('user-7');

  // 2. Once no process runs without reshardFrom: copy the epochs and the live log entries, once.
  const { counters, entries } = await migrateDenylist({
    client: cluster,
    prefix,
    shards: 48,
    reshardFrom: 1,
  });

  // 3. Every process rolls out with shards: 48 alone.
  const sharded = createDenylist({ client: cluster, prefix, shards: 48 });
  await sharded.start();
  const epochs = await sharded.epochs('user-7');
  await Promise.all([migrating.close(), sharded.close()]);
  return { counters, entries, epochs };
}

// Runs when the Cluster's ports are given (the docs test passes the test suite's own Cluster).
const ports = process.env['TESSERA_EXAMPLE_CLUSTER_PORTS'];
if (ports !== undefined) {
  const cluster = new Cluster(ports.split(',').map((port) => ({ host: '127.0.0.1', port: Number(port) })));
  try {
    const result = await migrateToShards(cluster, `example-${randomBytes(4).toString('hex')}`);
    // One user revoked: an epoch and a floor copied, one log entry; the new layout has her epoch.
    assert.deepEqual(result, { counters: 2, entries: 1, epochs: { epoch: 1, sessionFloor: 1 } });
  } finally {
    cluster.disconnect();
  }
}
