/**
 * How many refreshes the origin's tabs have made, kept in IndexedDB and read and written under the
 * refresh lock: a tab that sees the count moved while it waited for the lock knows another tab just
 * refreshed, and takes that tab's token instead of rotating again. Only a count is stored, never a
 * token.
 *
 * Why IndexedDB and not `localStorage`: the browser serves IndexedDB to every tab from one place, so
 * a count committed before the lock is released is the count the next holder reads. `localStorage`
 * promises no such order: each tab reads its own copy, which catches up later, so a tab that got the
 * lock could still read the old count and refresh a second time.
 */
export interface RefreshRounds {
  /** The count now, or undefined where there is no IndexedDB (then each tab refreshes on its own). */
  read(): Promise<number | undefined>;
  /** Adds one (committed when it resolves). */
  bump(): Promise<void>;
  close(): void;
}

const STORE = 'rounds';
const KEY = 'refreshes';

export function refreshRounds(database: string): RefreshRounds {
  let opened: Promise<IDBDatabase | undefined> | undefined;
  const db = () => {
    opened ??= new Promise<IDBDatabase | undefined>((resolve) => {
      if (typeof indexedDB === 'undefined') return resolve(undefined);
      try {
        const opening = indexedDB.open(database, 1);
        opening.onupgradeneeded = () => opening.result.createObjectStore(STORE);
        opening.onsuccess = () => resolve(opening.result);
        opening.onerror = () => resolve(undefined);
        opening.onblocked = () => resolve(undefined);
      } catch {
        resolve(undefined);
      }
    });
    return opened;
  };
  return {
    async read() {
      const handle = await db();
      if (handle === undefined) return undefined;
      return new Promise((resolve) => {
        try {
          const reading = handle.transaction(STORE).objectStore(STORE).get(KEY);
          reading.onsuccess = () => resolve(typeof reading.result === 'number' ? reading.result : 0);
          reading.onerror = () => resolve(undefined);
        } catch {
          resolve(undefined);
        }
      });
    },
    async bump() {
      const handle = await db();
      if (handle === undefined) return;
      await new Promise<void>((resolve) => {
        try {
          const transaction = handle.transaction(STORE, 'readwrite');
          const store = transaction.objectStore(STORE);
          const reading = store.get(KEY);
          reading.onsuccess = () =>
            store.put((typeof reading.result === 'number' ? reading.result : 0) + 1, KEY);
          // Resolved once committed: the next holder of the lock reads it.
          transaction.oncomplete = () => resolve();
          transaction.onerror = () => resolve();
          transaction.onabort = () => resolve();
        } catch {
          resolve();
        }
      });
    },
    close() {
      void opened?.then((handle) => handle?.close());
    },
  };
}
