/**
 * One contract, every store: the published suite (`@tessera/refresh/testing`) on the memory store,
 * a real redis-server and a real three-master Redis Cluster.
 */
import { describeRefreshStoreContract } from '@tessera/refresh/testing';
import { BACKENDS, openBackend } from './support/backends.js';

for (const name of BACKENDS) describeRefreshStoreContract(name, (clock) => openBackend(name, clock));
