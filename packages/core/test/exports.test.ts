import * as core from '@tessera/core';
import { describe, expect, it } from 'vitest';

describe('@tessera/core public surface', () => {
  it('exports exactly these runtime names (a change here is a change of the public contract)', () => {
    expect(Object.keys(core).sort()).toEqual([
      'ConfigError',
      'DpopProofError',
      'RefreshExpiredError',
      'RefreshInvalidError',
      'RefreshReusedError',
      'SessionRevokedError',
      'TesseraError',
      'TokenClaimsError',
      'TokenExpiredError',
      'TokenMalformedError',
      'TokenNotYetValidError',
      'TokenRevokedError',
      'TokenScopeError',
      'TokenSignatureError',
      'UnavailableError',
      'createAccessTokens',
      'createDpopNonces',
      'createDpopVerifier',
      'createRemoteJwks',
      'generateSigningKey',
      'isTesseraError',
      'rotationKeys',
      'rotationWaits',
    ]);
  });

  it('every error class has its stable code and the one base', () => {
    const codes = Object.entries(core)
      .filter(([name]) => name.endsWith('Error') && name !== 'TesseraError' && name !== 'isTesseraError')
      .map(([name, ErrorClass]) => {
        const error = new (ErrorClass as new (message: string) => core.TesseraError)('m');
        expect(error).toBeInstanceOf(core.TesseraError);
        expect(error.name).toBe(name);
        expect(core.isTesseraError(error, error.code)).toBe(true);
        return error.code;
      });
    expect(new Set(codes).size).toBe(codes.length);
    expect(codes.sort()).toEqual([
      'ERR_CONFIG',
      'ERR_DPOP_PROOF',
      'ERR_REFRESH_EXPIRED',
      'ERR_REFRESH_INVALID',
      'ERR_REFRESH_REUSED',
      'ERR_SESSION_REVOKED',
      'ERR_TOKEN_CLAIMS',
      'ERR_TOKEN_EXPIRED',
      'ERR_TOKEN_MALFORMED',
      'ERR_TOKEN_NOT_YET_VALID',
      'ERR_TOKEN_REVOKED',
      'ERR_TOKEN_SCOPE',
      'ERR_TOKEN_SIGNATURE',
      'ERR_UNAVAILABLE',
    ]);
  });
});
