/**
 * workerd: `GET /run?lib=tessera|jose&alg=EdDSA&n=500` verifies n times and answers when done; the
 * host times the request (a Worker's own clock does not move while it computes).
 */
import { type Alg, type Fixture, fixture, repeat } from './runtime-verify.js';

const fixtures = new Map<string, Promise<Fixture>>();

export default {
  async fetch(request: Request): Promise<Response> {
    const url = new URL(request.url);
    const alg = (url.searchParams.get('alg') ?? 'EdDSA') as Alg;
    const lib = url.searchParams.get('lib') === 'jose' ? 'jose' : 'tessera';
    const count = Number(url.searchParams.get('n') ?? '100');
    let ready = fixtures.get(alg);
    if (ready === undefined) {
      ready = fixture(alg);
      fixtures.set(alg, ready);
    }
    const f = await ready;
    await repeat(f[lib], count);
    return new Response('done');
  },
};
