import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expressServer } from './apps/express.js';
import { fastifyServer } from './apps/fastify.js';
import { honoServer } from './apps/hono.js';
import type { Stack } from './stack.js';

export const FRAMEWORKS = ['express', 'fastify', 'hono'] as const;
export type Framework = (typeof FRAMEWORKS)[number];

export interface RunningServer {
  /** e.g. http://127.0.0.1:43117 */
  readonly url: string;
  close(): Promise<void>;
}

/** Starts the example API of `framework` on 127.0.0.1 (port 0: a free one). */
export async function startServer(framework: Framework, stack: Stack, port = 0): Promise<RunningServer> {
  const server: Server =
    framework === 'express'
      ? expressServer(stack)
      : framework === 'fastify'
        ? await fastifyServer(stack)
        : honoServer(stack);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const { port: bound } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${bound}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
