/**
 * Timers on the standard globals, for every platform: Node and Deno return objects with `unref`,
 * browsers and workerd plain numbers.
 */

/** Calls `task` every `ms` until cancelled; never keeps the process alive on its own. */
export function every(ms: number, task: () => void): () => void {
  const timer: unknown = setInterval(task, ms);
  if (typeof timer === 'object' && timer !== null && 'unref' in timer && typeof timer.unref === 'function')
    timer.unref();
  return () => clearInterval(timer as Parameters<typeof clearInterval>[0]);
}

/** A promise settled after `ms` milliseconds (it keeps the process alive meanwhile, as a caller awaits it). */
export function sleep(ms: number): Promise<void> {
  return new Promise<void>((resolve) => {
    setTimeout(resolve, ms);
  });
}
