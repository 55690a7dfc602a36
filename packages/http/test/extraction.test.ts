/** Strict token extraction and the CSRF rule, on Fetch requests, with hostile inputs as properties. */
import { credentialInUrl, extractBearer } from '@tessera/http';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

const request = (headers: Record<string, string>, url = 'https://api.test/orders') =>
  new Request(url, { headers });
const COOKIES = ['access_token', '__Secure-tessera-rt'];

describe('extractBearer', () => {
  it('takes exactly one b64token from one Bearer header (scheme case-insensitive)', () => {
    expect(extractBearer(request({ authorization: 'Bearer a.b.c' }), COOKIES)).toEqual({
      kind: 'token',
      token: 'a.b.c',
    });
    expect(extractBearer(request({ authorization: 'bearer a.b.c' }), COOKIES)).toEqual({
      kind: 'token',
      token: 'a.b.c',
    });
    expect(extractBearer(request({}), COOKIES)).toEqual({ kind: 'none' });
  });

  it.each([
    ['Basic dXNlcjpwYXNz', 'other scheme'],
    ['Bearer', 'no token'],
    ['Bearer ', 'empty token'],
    ['Bearer a.b.c, Bearer d.e.f', 'two headers, joined'],
    ['Bearer a.b.c d', 'two tokens'],
    ['Bearer a.b.c=x', 'padding inside'],
    ['Bearer "a.b.c"', 'quoted'],
  ])('refuses %j (%s)', (header) => {
    expect(extractBearer(request({ authorization: header }), COOKIES).kind).toBe('invalid');
  });

  it('refuses a bearer header beside a token cookie, and any credential in the URL', () => {
    const both = request({ authorization: 'Bearer a.b.c', cookie: 'theme=dark; access_token=x' });
    expect(extractBearer(both, COOKIES).kind).toBe('invalid');
    expect(
      extractBearer(request({ authorization: 'Bearer a.b.c', cookie: 'theme=dark' }), COOKIES).kind,
    ).toBe('token');
    const inUrl = request(
      { authorization: 'Bearer a.b.c' },
      'https://api.test/orders?x=1&access_token=a.b.c',
    );
    expect(extractBearer(inUrl, COOKIES).kind).toBe('invalid');
  });

  it('property: any header value is answered (never a throw) and a token, when taken, is a bare b64token', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 200 }), (value) => {
        const header = value.replace(/[\r\n\0]/g, '');
        let req: Request;
        try {
          req = request({ authorization: header });
        } catch {
          return; // not a representable header value
        }
        const result = extractBearer(req, COOKIES);
        if (result.kind === 'token') expect(result.token).toMatch(/^[A-Za-z0-9\-._~+/]+=*$/);
      }),
      { numRuns: 2000 },
    );
  });

  it('property: the token taken is exactly what the RFC 6750 grammar reads from the header', () => {
    // Reference: `Bearer` (any case), one space, optional further spaces or tabs, one b64token.
    const grammar = /^bearer [ \t]*([A-Za-z0-9\-._~+/]+=*)$/i;
    // Scheme, separator and token drawn apart, each from near-misses, so that every rule is hit often.
    const scheme = fc.constantFrom('Bearer', 'bearer', 'BEARER', 'BeArEr', 'Bearerx', 'Bear', 'Basic', '');
    const separator = fc.constantFrom(' ', '  ', ' \t', '\t', '', ' ,', ',', ' =');
    const piece = fc.constantFrom('a.b', 'x', '~+/', '-_', '=', ' ', '\t', ',', 'é', '"', 'Bearer ');
    const value = fc
      .tuple(scheme, separator, fc.array(piece, { maxLength: 4 }))
      .map(([s, sep, parts]) => s + sep + parts.join(''));
    fc.assert(
      fc.property(value, (text) => {
        let req: Request;
        try {
          req = request({ authorization: text });
        } catch {
          return;
        }
        // Fetch strips the value's leading and trailing whitespace: the reference reads what we read.
        const header = req.headers.get('authorization');
        const result = extractBearer(req, COOKIES);
        if (header === null) return expect(result.kind).toBe('none');
        const match = grammar.exec(header);
        expect(result).toEqual(
          match === null
            ? { kind: 'invalid', description: expect.any(String) }
            : { kind: 'token', token: match[1] },
        );
      }),
      { numRuns: 3000 },
    );
  });

  it('property: a credential parameter anywhere in the query is found, however the query is dressed', () => {
    const name = fc.constantFrom('access_token', 'Access_Token', 'refresh_token', 'token', 'id_token');
    const other = fc.stringMatching(/^[a-z]{1,8}=[a-z0-9]{0,8}$/);
    fc.assert(
      fc.property(
        fc.array(other, { maxLength: 4 }),
        name,
        fc.array(other, { maxLength: 4 }),
        (before, key, after) => {
          const query = [...before, `${key}=v`, ...after].join('&');
          expect(credentialInUrl(`/orders?${query}`)).toBe(true);
          expect(credentialInUrl(`/orders?${[...before, ...after].join('&')}`)).toBe(false);
        },
      ),
    );
  });
});

describe('b64token', () => {
  it('property: a token after `Bearer ` is taken exactly when it matches the RFC 6750 b64token grammar', () => {
    const grammar = /^[A-Za-z0-9\-._~+/]+=*$/;
    // No whitespace or NUL: Fetch would trim or refuse those before extraction sees them.
    const alphabet = fc.constantFrom(...'Aa0-._~+/=,"\u00e9;:'.split(''));
    fc.assert(
      fc.property(fc.string({ unit: alphabet, minLength: 1, maxLength: 40 }), (value) => {
        const result = extractBearer(request({ authorization: `Bearer ${value}` }), COOKIES);
        expect(result.kind === 'token' && result.token === value).toBe(grammar.test(value));
      }),
      { numRuns: 5000 },
    );
  });
});
