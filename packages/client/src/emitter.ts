/**
 * A minimal typed event emitter. Listener arrays are copied on `on`/`off` (rare) so `emit` (hot:
 * every frame of thousands of clients in a load tool) iterates without allocating.
 */
export class TypedEmitter<Events extends object> {
  private listeners: { [K in keyof Events]?: ReadonlyArray<(payload: Events[K]) => void> } = {};

  /** Adds a listener; returns `this` for chaining. */
  on<K extends keyof Events>(event: K, listener: (payload: Events[K]) => void): this {
    const current = this.listeners[event];
    this.listeners[event] = current === undefined ? [listener] : [...current, listener];
    return this;
  }

  /** Removes one registration of `listener`; returns `this`. */
  off<K extends keyof Events>(event: K, listener: (payload: Events[K]) => void): this {
    const current = this.listeners[event];
    if (current === undefined) return this;
    const index = current.indexOf(listener);
    if (index < 0) return this;
    const next = current.slice();
    next.splice(index, 1);
    this.listeners[event] = next.length === 0 ? undefined : next;
    return this;
  }

  /** Number of listeners for `event`. */
  listenerCount(event: keyof Events): number {
    return this.listeners[event]?.length ?? 0;
  }

  protected emit<K extends keyof Events>(event: K, payload: Events[K]): void {
    const current = this.listeners[event];
    if (current === undefined) return;
    for (let i = 0; i < current.length; i++) {
      const listener = current[i] as (payload: Events[K]) => void;
      try {
        listener(payload);
      } catch (err) {
        // A throwing listener must not break the socket state machine that called emit, nor be
        // swallowed: rethrow outside this call stack, where it surfaces as an uncaught error.
        queueMicrotask(() => {
          throw err;
        });
      }
    }
  }
}
