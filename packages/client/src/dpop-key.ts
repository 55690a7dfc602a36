import { ConfigError, UnavailableError } from '@tessera/core';
import { jwkThumbprint } from '@tessera/core/internal';

/**
 * A DPoP key: an ECDSA P-256 key pair whose private half cannot leave WebCrypto (generated with
 * `extractable: false`: no script, extension or XSS payload can read it, only use it while the page
 * runs), and what a proof names it by.
 */
export interface DpopKey {
  /** The key pair; `privateKey.extractable` is false. */
  readonly keyPair: CryptoKeyPair;
  /** The public key as a JWK of its required members: a proof's `jwk` header. */
  readonly publicJwk: DpopPublicJwk;
  /** Its RFC 7638 thumbprint: what the server binds the session and its tokens to (`cnf.jkt`). */
  readonly jkt: string;
}

/** A DPoP key's public half as a JWK (RFC 7517): its required members only. */
export interface DpopPublicJwk {
  /** Key type: always `EC`. */
  readonly kty: 'EC';
  /** Curve: always `P-256` (ES256 proofs). */
  readonly crv: 'P-256';
  /** The x coordinate, base64url. */
  readonly x: string;
  /** The y coordinate, base64url. */
  readonly y: string;
}

/** Options of {@link loadDpopKey}. */
export interface LoadDpopKeyOptions {
  /** The IndexedDB database the key lives in. Default `tessera`. */
  readonly database?: string;
  /** The key's name in it (one per account or app). Default `dpop`. */
  readonly name?: string;
}

const ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256' } as const;
const STORE = 'keys';

/** A new DPoP key, held in memory only (it ends with the page or process): for non-browser clients and tests. */
export async function createDpopKey(): Promise<DpopKey> {
  const keyPair = (await crypto.subtle.generateKey(ALGORITHM, false, ['sign', 'verify'])) as CryptoKeyPair;
  return describe(keyPair);
}

/**
 * The browser's DPoP key, from IndexedDB: created and stored on first use (non-extractable; IndexedDB
 * keeps the `CryptoKey` object itself, never its bytes), then the same key on every later page load
 * and in every tab of the origin. Rejects with `ERR_UNAVAILABLE` (reason `key_store`) where IndexedDB
 * cannot be opened (a private mode that refuses it): fall back to {@link createDpopKey}, and the
 * session then lasts as long as the page.
 */
export async function loadDpopKey(options: LoadDpopKeyOptions = {}): Promise<DpopKey> {
  const database = options.database ?? 'tessera';
  const name = options.name ?? 'dpop';
  for (const [option, value] of [
    ['database', database],
    ['name', name],
  ] as const) {
    if (typeof value !== 'string' || value.length === 0 || value.length > 128) {
      throw new ConfigError(`loadDpopKey: ${option} must be a string of 1-128 characters`, {
        reason: 'invalid_options',
        claim: option,
      });
    }
  }
  let db: IDBDatabase;
  try {
    db = await open(database);
  } catch (error) {
    throw new UnavailableError('the DPoP key store (IndexedDB) cannot be opened', {
      reason: 'key_store',
      cause: error,
    });
  }
  try {
    const stored = await request<unknown>(db.transaction(STORE).objectStore(STORE).get(name));
    if (isKeyPair(stored)) return await describe(stored);
    const keyPair = (await crypto.subtle.generateKey(ALGORITHM, false, ['sign', 'verify'])) as CryptoKeyPair;
    // `add`, not `put`: if another tab stored one first, this fails and that one is used everywhere.
    const added = await request(
      db.transaction(STORE, 'readwrite').objectStore(STORE).add(keyPair, name),
    ).then(
      () => true,
      () => false,
    );
    if (added) return await describe(keyPair);
    const winner = await request<unknown>(db.transaction(STORE).objectStore(STORE).get(name));
    if (!isKeyPair(winner)) throw new Error('the stored DPoP key does not read');
    return await describe(winner);
  } catch (error) {
    throw new UnavailableError('the DPoP key store (IndexedDB) failed', {
      reason: 'key_store',
      cause: error,
    });
  } finally {
    db.close();
  }
}

/**
 * Forgets the stored key (at logout on a shared device): the next {@link loadDpopKey} makes a new
 * one, and sessions bound to the old key can never be refreshed again.
 */
export async function deleteDpopKey(options: LoadDpopKeyOptions = {}): Promise<void> {
  const db = await open(options.database ?? 'tessera');
  try {
    await request(
      db
        .transaction(STORE, 'readwrite')
        .objectStore(STORE)
        .delete(options.name ?? 'dpop'),
    );
  } finally {
    db.close();
  }
}

async function describe(keyPair: CryptoKeyPair): Promise<DpopKey> {
  // A public key is always exportable, whatever the pair was generated with.
  const { x, y } = await crypto.subtle.exportKey('jwk', keyPair.publicKey);
  if (typeof x !== 'string' || typeof y !== 'string') throw new Error('the DPoP public key does not export');
  const publicJwk = { kty: 'EC', crv: 'P-256', x, y } as const;
  const jkt = await jwkThumbprint(publicJwk);
  if (jkt === undefined) throw new Error('the DPoP public key has no thumbprint');
  return { keyPair, publicJwk, jkt };
}

function isKeyPair(value: unknown): value is CryptoKeyPair {
  const pair = value as Partial<CryptoKeyPair> | undefined;
  return (
    typeof pair === 'object' &&
    pair !== null &&
    pair.privateKey instanceof CryptoKey &&
    pair.publicKey instanceof CryptoKey &&
    pair.privateKey.algorithm.name === 'ECDSA'
  );
}

function open(database: string): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    if (typeof indexedDB === 'undefined') return reject(new Error('no IndexedDB here'));
    const opening = indexedDB.open(database, 1);
    opening.onupgradeneeded = () => opening.result.createObjectStore(STORE);
    opening.onsuccess = () => resolve(opening.result);
    opening.onerror = () => reject(opening.error);
    opening.onblocked = () => reject(new Error('IndexedDB is blocked by another version'));
  });
}

function request<T>(pending: IDBRequest): Promise<T> {
  return new Promise((resolve, reject) => {
    pending.onsuccess = () => resolve(pending.result as T);
    pending.onerror = () => reject(pending.error);
  });
}
