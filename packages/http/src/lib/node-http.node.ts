/** The Node side of the Express and Fastify adapters: Node requests in, Node responses out. */
import type { IncomingMessage, ServerResponse } from 'node:http';

/**
 * A Fetch `Request` for a Node request whose body was read (or parsed) already; undefined when the
 * request cannot be one (a `Host` that is no authority, a target that makes no URL): the caller
 * answers 400. Hostile input is the client's error, never a 500.
 */
export function toFetchRequest(req: IncomingMessage, body: string | undefined): Request | undefined {
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
  const target = req.url ?? '/';
  // Origin-form only ("/path?query"): concatenated, so "//elsewhere" stays a path on this host.
  if (!target.startsWith('/') || !URL.canParse(`http://${host}/`)) return undefined;
  const url = `http://${host}${target}`;
  if (!URL.canParse(url)) return undefined;
  const method = req.method ?? 'GET';
  const hasBody = body !== undefined && body !== '' && method !== 'GET' && method !== 'HEAD';
  try {
    return new Request(url, { method, headers, ...(hasBody ? { body } : {}) });
  } catch {
    // A method Fetch refuses (CONNECT, TRACE) or a body it cannot carry.
    return undefined;
  }
}

/** The answer to a request that cannot be served as a Fetch `Request` (see {@link toFetchRequest}). */
export function unreadableRequest(): Response {
  return Response.json(
    { error: 'invalid_request', error_description: 'the request target or Host header is not valid' },
    { status: 400, headers: { 'cache-control': 'no-store' } },
  );
}

/**
 * Reads a Node request body as text, up to `limit` bytes; more is cut off (the caller then refuses
 * it) and the rest is drained, never left for the next request. Never destroys the request: the
 * socket must stay to carry the answer (a destroyed request made Express answer 500).
 */
export function readBody(req: IncomingMessage, limit: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const finish = () => {
      req.off('data', onData);
      req.off('end', finish);
      req.off('error', onError);
      resolve(Buffer.concat(chunks).toString('utf8'));
    };
    const onError = (error: Error) => {
      req.off('data', onData);
      req.off('end', finish);
      reject(error);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) {
        chunks.push(chunk);
        return;
      }
      chunks.push(chunk.subarray(0, chunk.length - (size - limit)));
      finish();
      // Discard whatever else the client sends (the answer closes nothing early).
      req.on('error', () => {});
      req.resume();
    };
    if (req.readableEnded) {
      resolve('');
      return;
    }
    req.on('data', onData);
    req.on('end', finish);
    req.on('error', onError);
  });
}

/** Writes a Fetch `Response` to a Node response (every Set-Cookie kept separate). */
export async function sendResponse(res: ServerResponse, response: Response): Promise<void> {
  res.statusCode = response.status;
  for (const [name, value] of response.headers) if (name !== 'set-cookie') res.setHeader(name, value);
  const cookies = response.headers.getSetCookie();
  if (cookies.length > 0) res.setHeader('set-cookie', cookies);
  res.end(response.body === null ? undefined : Buffer.from(await response.arrayBuffer()));
}
