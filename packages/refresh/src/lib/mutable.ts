/** `T` with its properties writable: for building a readonly result field by field on a hot path. */
export type Mutable<T> = { -readonly [K in keyof T]: T[K] };
