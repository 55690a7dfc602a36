import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** How the server answers the next requests; tests change it between steps. */
export interface JwksBehaviour {
  /** The body (an object is sent as JSON; a function is called per request, as a fleet behind a balancer). */
  body: unknown;
  status: number;
  /** Extra response headers (Cache-Control, Content-Length lies, ...). */
  headers: Record<string, string>;
  /** Wait before sending headers, in ms. */
  delayMs: number;
  /** Send the body in this many pieces, `pieceDelayMs` apart (a slow body). */
  pieces: number;
  pieceDelayMs: number;
  /** Reset the connection instead of answering. */
  reset: boolean;
}

/** A real HTTP server that serves a JWK Set on loopback and counts the requests it gets. */
export interface JwksServer {
  readonly url: string;
  readonly behaviour: JwksBehaviour;
  /** Requests received so far. */
  requests: number;
  close(): Promise<void>;
}

/** A prompt, plain 200 answer: what a test resets the behaviour to between steps. */
export const ANSWER_AT_ONCE = {
  status: 200,
  headers: {},
  delayMs: 0,
  pieces: 1,
  pieceDelayMs: 0,
  reset: false,
} as const satisfies Omit<JwksBehaviour, 'body'>;

export async function startJwksServer(initial: Partial<JwksBehaviour> = {}): Promise<JwksServer> {
  const behaviour: JwksBehaviour = { body: { keys: [] }, ...ANSWER_AT_ONCE, ...initial };
  const timers = new Set<NodeJS.Timeout>();
  const later = (ms: number, task: () => void) => {
    const timer = setTimeout(() => {
      timers.delete(timer);
      task();
    }, ms);
    timers.add(timer);
  };
  const state = { requests: 0 };
  const server: Server = createServer((request, response) => {
    state.requests += 1;
    if (behaviour.reset) {
      request.socket.destroy();
      return;
    }
    const body = typeof behaviour.body === 'function' ? (behaviour.body as () => unknown)() : behaviour.body;
    const text = typeof body === 'string' ? body : JSON.stringify(body);
    const bytes = Buffer.from(text);
    later(behaviour.delayMs, () => {
      if (response.destroyed) return;
      response.writeHead(behaviour.status, { 'content-type': 'application/json', ...behaviour.headers });
      const size = Math.ceil(bytes.length / behaviour.pieces);
      let offset = 0;
      const next = () => {
        if (response.destroyed) return;
        if (offset >= bytes.length) {
          response.end();
          return;
        }
        response.write(bytes.subarray(offset, offset + size));
        offset += size;
        later(behaviour.pieceDelayMs, next);
      };
      next();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/.well-known/jwks.json`,
    behaviour,
    get requests() {
      return state.requests;
    },
    set requests(value: number) {
      state.requests = value;
    },
    close: async () => {
      for (const timer of timers) clearTimeout(timer);
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
