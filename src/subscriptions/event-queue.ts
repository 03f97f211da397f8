/** Why a subscription's queue was ended early. */
export type QueueEnd = { reason: 'complete' } | { reason: 'error'; error: Error };

/** A subscription's events waiting for their consumer: bounded, and readable as an async iterator. */
export interface EventQueue<T> {
  /** Adds an event; beyond the bound, the queue ends with `overflow` instead. */
  push(event: T): void;
  /** Ends the queue: a consumer reading it sees `last` (if given) and then the end. */
  end(last?: T): void;
  readonly iterator: AsyncIterableIterator<T>;
  /** Events waiting, not yet taken by the consumer. */
  readonly size: number;
  readonly ended: boolean;
}

/**
 * A queue of at most `max` events. The transports pull the next event only once the previous one
 * is written to the socket, so a consumer that reads slowly (or not at all) leaves events here:
 * past `max`, `onOverflow` gives the last event to deliver (an error) and the queue ends, instead
 * of growing the gateway's memory without bound. `onClose` runs once, however the queue ends
 * (its consumer returned, or it was ended).
 */
export function createEventQueue<T>(options: {
  max: number;
  onOverflow: () => T;
  onClose: () => void;
}): EventQueue<T> {
  const events: T[] = [];
  let waiting: ((result: IteratorResult<T>) => void) | undefined;
  let ended = false;
  let closed = false;
  const close = () => {
    if (closed) return;
    closed = true;
    options.onClose();
  };
  const deliver = (event: T) => {
    if (waiting) {
      const resolve = waiting;
      waiting = undefined;
      resolve({ value: event, done: false });
    } else events.push(event);
  };
  const queue: EventQueue<T> = {
    push(event) {
      if (ended) return;
      if (events.length >= options.max) {
        queue.end(options.onOverflow());
        return;
      }
      deliver(event);
    },
    end(last) {
      if (ended) return;
      ended = true;
      // What was waiting is let go and the last word comes next: the consumer is told at once
      // why it ends, instead of after a backlog it could not keep up with.
      events.length = 0;
      if (last !== undefined) deliver(last);
      if (waiting) {
        const resolve = waiting;
        waiting = undefined;
        resolve({ value: undefined, done: true });
      }
      close();
    },
    get size() {
      return events.length;
    },
    get ended() {
      return ended;
    },
    iterator: {
      next() {
        if (events.length > 0) return Promise.resolve({ value: events.shift()!, done: false });
        if (ended) return Promise.resolve({ value: undefined, done: true });
        return new Promise((resolve) => {
          waiting = resolve;
        });
      },
      return() {
        ended = true;
        events.length = 0;
        close();
        return Promise.resolve({ value: undefined, done: true });
      },
      [Symbol.asyncIterator]() {
        return this;
      },
    },
  };
  return queue;
}
