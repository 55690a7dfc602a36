/** The Node side of the Express and Fastify adapters: Node requests in, Node responses out. */
import type { IncomingMessage, ServerResponse } from 'node:http';

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
