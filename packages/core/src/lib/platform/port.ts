/**
 * The platform port: everything the `@tessera` packages need from their runtime, behind one small
 * interface, so that no library file touches `Buffer`, `process`, `node:*` or `NodeJS.*` itself.
 * Files that do opt into Node by name (`*.node.ts`); the portable type check
 * (`tsconfig.portable.json`: `lib: ES2022 + DOM`, `types: []`) compiles every other file without
 * Node's types, so a stray `Buffer` fails CI.
 *
 * Two implementations hold to this contract (`test/platform.test.ts` runs one suite on both):
 * - `platform.node.ts`: `node:crypto`, synchronous, with the preallocated scratch buffers of the hot
 *   paths (the one the packages use today, see `selected.node.ts`);
 * - `platform.web.ts`: WebCrypto (`crypto.subtle`), asynchronous, no shared buffers: the ground the
 *   edge-runtime work stands on.
 *
 * `S` says whether the crypto operations answer synchronously (`true`) or with a promise (`false`).
 */
export interface Platform<S extends boolean = boolean> {
  /** Which implementation this is (for diagnostics). */
  readonly name: 'node' | 'webcrypto';
  /** True when {@link Answer} is the value itself, not a promise. */
  readonly synchronous: S;

  /** `length` bytes from the platform CSPRNG. */
  randomBytes(length: number): Uint8Array;
  /** `bytes` bytes from the CSPRNG, as unpadded base64url. */
  randomToken(bytes: number): string;
  /** A random (version 4) UUID. */
  randomUUID(): string;
  /** Constant-time equality of two strings of the same length (false, at once, for different lengths). */
  equalText(a: string, b: string): boolean;

  /** SHA-256 of the UTF-8 bytes of `text`, as unpadded base64url (43 characters). */
  sha256(text: string): Answer<string, S>;
  /**
   * HMAC-SHA256 (RFC 2104) under one key of at least one byte (WebCrypto refuses an empty one),
   * prepared once and copied: the returned function MACs a latin1
   * (ASCII) message and answers unpadded base64url.
   */
  hmacSha256(key: Uint8Array): (message: string) => Answer<string, S>;

  /**
   * Imports an asymmetric JWK for `alg` (the JWK's members are checked by the caller). Undefined when
   * the platform refuses the key material; never a message that could describe it.
   */
  importKey(jwk: JwkMembers, alg: AsymmetricAlgorithm): Answer<ImportedKey | undefined, S>;
  /** A signer bound to a private key: signs an ASCII signing input, answers the base64url signature. */
  signer(alg: AsymmetricAlgorithm, key: ImportedKey): (input: string) => Answer<string, S>;
  /**
   * A verifier bound to a public key: checks `signature` (raw bytes, already canonical) over the
   * first `end` characters of the ASCII `token`.
   */
  verifier(
    alg: AsymmetricAlgorithm,
    key: ImportedKey,
  ): (token: string, end: number, signature: Uint8Array) => Answer<boolean, S>;

  /** Bytes and text, as the hot paths need them. */
  readonly bytes: Bytes;

  /** Calls `task` every `ms` until cancelled; never keeps the process alive on its own. */
  every(ms: number, task: () => void): () => void;
  /** A promise settled after `ms` milliseconds (it keeps the process alive meanwhile: a caller awaits it). */
  sleep(ms: number): Promise<void>;
  /** Runs `task` once the current synchronous work (and its microtasks) are done. */
  defer(task: () => void): void;
  /** A warning for the operator (Node: `process.emitWarning` with `code`). */
  warn(message: string, code: string): void;
  /** An environment variable (Node: `process.env`), undefined where the runtime has none. */
  env(name: string): string | undefined;
}

/** `T`, or a promise of it, by the platform's {@link Platform.synchronous}. */
export type Answer<T, S extends boolean> = S extends true ? T : Promise<T>;

/** The asymmetric JWS algorithms (HS256 goes through {@link Platform.hmacSha256}). */
export type AsymmetricAlgorithm = 'EdDSA' | 'ES256' | 'RS256' | 'PS256';

/** The JWK members a key import reads. */
export interface JwkMembers {
  readonly kty?: string;
  readonly crv?: string;
  /** Present in private keys only. */
  readonly d?: string;
}

/** A key the platform imported: its public half as a JWK, its kind, and the platform's own handles. */
export interface ImportedKey {
  /** `ed25519`, `p256`, `rsa`, or what else the platform found (refused by the caller). */
  readonly kind: 'ed25519' | 'p256' | 'rsa' | 'other';
  /** The RSA modulus length in bits (0 for other kinds). */
  readonly modulusBits: number;
  /** The public key as the platform exports it (what `jwks()` publishes and the weak-key checks read). */
  readonly publicJwk: Readonly<Record<string, string>>;
  /** True when a private key was imported (signing possible). */
  readonly private: boolean;
  /** The platform's key objects; opaque to every caller. */
  readonly handle: unknown;
}

/** Byte and text helpers; synchronous on every platform. */
export interface Bytes {
  /** Unpadded base64url of `data` (a string is encoded as UTF-8 first). */
  toBase64url(data: Uint8Array | string): string;
  /** The bytes of base64url `text` (lenient about spelling: check canonical form first). */
  fromBase64url(text: string): Uint8Array;
  /**
   * Decodes base64url `text` (ASCII: the caller checks) into `target`; answers the number of bytes
   * written, which is less than `floor(3 * length / 4)` when `text` holds a character outside both
   * the base64url and the base64 alphabets (Node's decoder takes `+` and `/` too).
   */
  decodeBase64urlInto(text: string, target: Uint8Array): number;
  /** The UTF-8 text of `bytes[0, length)`, or undefined when those bytes are not valid UTF-8. */
  utf8(bytes: Uint8Array, length: number): string | undefined;
  /** A zeroed scratch buffer of `length` bytes, in the platform's fastest kind (Node: a Buffer). */
  alloc(length: number): Uint8Array;
  /** The UTF-8 encoding of `text`. */
  fromUtf8(text: string): Uint8Array;
  /** The number of bytes of `text` in UTF-8. */
  utf8Length(text: string): number;
}
