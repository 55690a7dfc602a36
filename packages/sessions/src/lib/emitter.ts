import { platform } from '@tessera/core/internal';
import type { SessionEvent } from '../types.js';

type Listener = (event: SessionEvent) => void;

/**
 * Delivers events to the listener. A listener that throws never breaks a login, a refresh or a
 * revocation: its error becomes a process warning (monitoring must not become an outage).
 */
export function createEmitter(listener: Listener | undefined): {
  readonly enabled: boolean;
  emit(event: SessionEvent): void;
} {
  return {
    enabled: listener !== undefined,
    emit(event) {
      if (listener === undefined) return;
      try {
        listener(event);
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        platform.warn(
          `tessera sessions: the events listener threw on ${event.type}: ${message}`,
          'TESSERA_SESSIONS_EVENTS',
        );
      }
    },
  };
}
