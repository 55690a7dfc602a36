import type { RequestLike } from '../types.js';

/** A request of Node's shape (`IncomingMessage`, as Express, Fastify and @hono/node-server hand it over). */
export interface RawRequest {
  readonly method?: string | undefined;
  readonly url?: string | undefined;
  /** Header names and values, alternating, every copy kept. */
  readonly rawHeaders: readonly string[];
}

/**
 * A header view of a Node request that sees every copy of a header. Node's `req.headers` keeps only
 * the first `Authorization` and silently drops the others; `rawHeaders` has them all, so two
 * Authorization headers arrive joined (", ") and are refused like a Fetch request's.
 */
export function nodeRequestLike(req: RawRequest): RequestLike {
  const raw = req.rawHeaders;
  return {
    method: req.method ?? 'GET',
    url: req.url ?? '/',
    headers: {
      get(name: string): string | null {
        let value: string | null = null;
        for (let i = 0; i < raw.length; i += 2) {
          if (raw[i]!.length === name.length && raw[i]!.toLowerCase() === name) {
            value = value === null ? raw[i + 1]! : `${value}${name === 'cookie' ? '; ' : ', '}${raw[i + 1]}`;
          }
        }
        return value;
      },
    },
  };
}
