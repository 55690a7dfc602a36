/**
 * The largest request body the built-in routes accept, in bytes (a refresh token or a logout form
 * is far smaller): the handlers refuse more with 400, and the Node adapters read one byte past it,
 * so that a longer body is seen as too long rather than cut.
 */
export const MAX_BODY_BYTES = 4096;

/** Form bodies are read up to this size to look for a credential in them; larger ones are refused. */
export const MAX_FORM_BYTES = 65_536;

/** What the Node adapters read of a body for the built-in routes: one byte past what the handlers accept. */
export const BODY_LIMIT = MAX_BODY_BYTES + 1;
