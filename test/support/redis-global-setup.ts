/**
 * Vitest global setup: one standalone Redis and one three-master Redis Cluster for a project's run.
 * Tests read their ports with `inject('redis')`. Tests that stop or break Redis start their own
 * server (RedisServer.start) instead of touching these.
 */
import type { TestProject } from 'vitest/node';
import { RedisCluster, RedisServer, type RedisTopology } from './redis.js';

declare module 'vitest' {
  export interface ProvidedContext {
    redis: RedisTopology;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const [standalone, cluster] = await Promise.all([RedisServer.start(), RedisCluster.start(3)]);
  project.provide('redis', {
    standalone: { port: standalone.port },
    cluster: { ports: cluster.nodes.map((n) => n.port) },
  });
  return async () => {
    await Promise.all([standalone.close(), cluster.close()]);
  };
}
