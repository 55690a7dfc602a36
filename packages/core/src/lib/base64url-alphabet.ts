/** The base64url alphabet (RFC 4648 section 5), in value order. */
export const BASE64URL_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/** The 6-bit value of each ASCII character code, -1 outside the alphabet (`undefined` past 127). */
export const SIX_BITS: Readonly<Int8Array> = new Int8Array(128).fill(-1);
for (let i = 0; i < BASE64URL_ALPHABET.length; i++)
  (SIX_BITS as Int8Array)[BASE64URL_ALPHABET.charCodeAt(i)] = i;
