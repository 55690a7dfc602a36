import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RequestLike } from '../types.js';
import { MAX_BODY_BYTES } from './limits.js';
import { type RouteEntry, routesAt } from './route-table.js';

/**
 * A header view of a Node request that sees every copy of a header. Node's `req.headers` keeps only
 * the first `Authorization` and silently drops the others; `rawHeaders` has them all, so two
 * Authorization headers arrive joined (", ") and are refused like a Fetch request's.
 */
export function nodeRequestLike(req: IncomingMessage): RequestLike {
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

/** A Fetch `Request` for a Node request whose body was read (or parsed) already. */
export function toFetchRequest(req: IncomingMessage, body: string | undefined): Request {
  const headers = new Headers();
  const raw = req.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) {
    try {
      headers.append(raw[i]!, raw[i + 1]!);
    } catch {
      // A header Fetch cannot represent is not one tessera reads.
    }
  }
  headers.delete('content-length');
  const host = headers.get('host') ?? 'localhost';
  const method = req.method ?? 'GET';
  const hasBody = body !== undefined && body !== '' && method !== 'GET' && method !== 'HEAD';
  return new Request(`http://${host}${req.url ?? '/'}`, { method, headers, ...(hasBody ? { body } : {}) });
}

/** Reads a Node request body as text, up to `limit` bytes (more is cut off: the caller then refuses it). */
export async function readBody(req: IncomingMessage, limit: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size > limit) {
      chunks.push(buffer.subarray(0, Math.max(0, limit - (size - buffer.length)) + 1));
      break;
    }
    chunks.push(buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** Writes a Fetch `Response` to a Node response (every Set-Cookie kept separate). */
export async function sendResponse(res: ServerResponse, response: Response): Promise<void> {
  res.statusCode = response.status;
  for (const [name, value] of response.headers) if (name !== 'set-cookie') res.setHeader(name, value);
  const cookies = response.headers.getSetCookie();
  if (cookies.length > 0) res.setHeader('set-cookie', cookies);
  res.end(response.body === null ? undefined : Buffer.from(await response.arrayBuffer()));
}

/** What the Node adapters read of a body for the built-in routes: one byte past what the handlers accept. */
export const BODY_LIMIT = MAX_BODY_BYTES + 1;

/** Does a path belong to the built-in routes? (Other requests pass through untouched.) */
export function isOwnPath(path: string, table: readonly RouteEntry[]): boolean {
  return routesAt(table, path).entries.length > 0;
}
