/**
 * The current generation of everything built from the config, and the requests still using
 * older ones. A request leases the current generation when it arrives and releases it when it
 * is answered; a swap makes a new one current at once, and an old one is retired (its pools
 * closed, its servers stopped) once its last lease is released. So a reload never changes a
 * request half-way, and never closes what a request in flight still uses.
 */
export interface GenerationHolder<G> {
  readonly current: G;
  /** Takes the current generation until `release` (idempotent). */
  acquire(): { generation: G; release(): void };
  /** Makes `next` current; the previous one is retired after its last request. */
  swap(next: G): void;
  /** Retires every generation (the gateway is closing); resolves once all are. */
  close(): Promise<void>;
}

export function createGenerationHolder<G>(
  first: G,
  retire: (old: G, next: G | undefined) => Promise<void>,
): GenerationHolder<G> {
  let current = first;
  const leases = new Map<G, number>([[first, 0]]);
  const retiring = new Set<Promise<void>>();

  const retireIfIdle = (generation: G) => {
    if (generation === current || leases.get(generation) !== 0) return;
    leases.delete(generation);
    const done = retire(generation, current).finally(() => retiring.delete(done));
    retiring.add(done);
  };

  return {
    get current() {
      return current;
    },
    acquire() {
      const generation = current;
      leases.set(generation, (leases.get(generation) ?? 0) + 1);
      let released = false;
      return {
        generation,
        release() {
          if (released) return;
          released = true;
          leases.set(generation, (leases.get(generation) ?? 1) - 1);
          retireIfIdle(generation);
        },
      };
    },
    swap(next) {
      const previous = current;
      current = next;
      leases.set(next, leases.get(next) ?? 0);
      retireIfIdle(previous);
    },
    async close() {
      const all = [...leases.keys()];
      leases.clear();
      await Promise.all([...retiring, ...all.map((generation) => retire(generation, undefined))]);
    },
  };
}
