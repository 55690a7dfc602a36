/**
 * `@tessera/client`: the browser side of DPoP-bound sessions (RFC 9449). A key whose private half
 * cannot be read out, kept in IndexedDB; a proof for each request; and a fetch that refreshes the
 * session once across every tab of the origin. Served by `@tessera/http` with its `dpop` option.
 * @packageDocumentation
 */
export { createDpopProof, type ProofTarget } from './create-dpop-proof.js';
export {
  createSessionClient,
  type SessionClient,
  type SessionClientOptions,
} from './create-session-client.js';
export {
  createDpopKey,
  type DpopKey,
  deleteDpopKey,
  type LoadDpopKeyOptions,
  loadDpopKey,
} from './dpop-key.js';
