import { randomBytes } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { inject } from 'vitest';
import { type Framework, type RunningServer, startServer } from '../../src/server.js';
import { createStack, type Stack, type StackOptions } from '../../src/stack.js';

export type Store = 'memory' | 'redis';

export interface App {
  readonly url: string;
  readonly stack: Stack;
  close(): Promise<void>;
}

/** The example API of `framework` on `store`, on a free loopback port. */
export async function startApp(framework: Framework, store: Store, options: StackOptions = {}): Promise<App> {
  const stack = await createStack({
    ...(store === 'redis'
      ? {
          redisUrl: `redis://127.0.0.1:${inject('redis').standalone.port}`,
          prefix: `e2e${randomBytes(5).toString('hex')}`,
        }
      : {}),
    ...options,
  });
  const server: RunningServer = await startServer(framework, stack);
  return {
    url: server.url,
    stack,
    async close() {
      await server.close();
      await stack.close();
    },
  };
}

/**
 * A request with raw header lines (fetch folds repeated headers into one; this sends them as
 * separate lines, as an attacker's client would).
 */
export function rawRequest(
  url: string,
  options: { method?: string; headers?: Record<string, string | string[]>; body?: string },
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: options.method ?? 'GET', headers: options.headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        body += chunk;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

export const ALICE = { username: 'alice', password: 'correct horse battery staple' } as const;
