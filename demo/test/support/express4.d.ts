/** Express 4, installed beside Express 5 under an alias, typed as Express (its API that tessera uses is the same). */
declare module 'express4' {
  import express from 'express';
  export default express;
}
