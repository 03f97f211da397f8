/** How a transport reaches one address of a service: its pool, or its channel. */
export interface Connection {
  close(): Promise<void>;
}

/** One address of a service, its transport's connection and its passive health. */
export interface Replica<C extends Connection = Connection> {
  /** Stable for the replica's life (metrics and logs name replicas by index, never by address). */
  index: number;
  /** What it was connected to: the address, and the host name it stands for when discovered. */
  target: ReplicaTarget;
  /** The transport's connection to it (an undici Pool, a gRPC client). */
  connection: C;
  /** Consecutive failed attempts (connection errors, timeouts, 5xx). */
  consecutiveFailures: number;
  /** performance.now() until which the replica is out of rotation; 0 when in rotation. */
  ejectedUntil: number;
  /** How many times in a row it was ejected: each cool-down is longer. */
  ejections: number;
  probing: boolean;
}

/** The replicas of one service: round-robin over the healthy ones, passive outlier detection. */
export interface ReplicaSet<C extends Connection = Connection> {
  /** The next replica in rotation, skipping `avoid` (the one a retry just failed on) when possible. */
  next(avoid?: Replica): Replica<C>;
  /**
   * Reports an attempt's result: failures count towards ejection, a success resets the count;
   * `connectFailed` (no connection could be made) ejects at once.
   */
  report(replica: Replica, ok: boolean, connectFailed: boolean): void;
  /** Replicas currently out of rotation. */
  ejectedCount(): number;
  readonly size: number;
  /**
   * The addresses changed (DNS discovery): replicas still listed keep their connection and
   * health, new ones are connected, and the ones no longer listed close after their last call.
   */
  update(targets: readonly ReplicaTarget[]): void;
  close(): Promise<void>;
}

/** An address to connect to; `host` when it is one of the addresses a host name resolved to. */
export interface ReplicaTarget {
  address: string;
  /** The `host[:port]` requests must carry (and TLS must verify) at that address. */
  host?: string;
}

export interface ReplicaSetOptions<C extends Connection> {
  /** Opens the transport's connection to one address (once per address, when it joins). */
  connect(target: ReplicaTarget): C;
  /** Consecutive failures that take a replica out of rotation (Envoy's consecutive_5xx is 5). */
  failuresToEject?: number;
  /** First cool-down; doubles with each ejection in a row, up to `maxEjectionMs`. */
  baseEjectionMs?: number;
  maxEjectionMs?: number;
  /** GET /health that decides whether an ejected replica returns. */
  probe?: (replica: Replica<C>) => Promise<boolean>;
  /** Told when a replica leaves the rotation (not when a failed probe prolongs its cool-down). */
  onEject?: (replica: Replica) => void;
  onReturn?: (replica: Replica) => void;
  /** Clock for cool-downs, `performance.now()` by default (tests inject their own). */
  now?: () => number;
}

/** Connects to every address of a service and rotates over them. */
export function createReplicaSet<C extends Connection>(
  addresses: readonly string[],
  options: ReplicaSetOptions<C>,
): ReplicaSet<C> {
  if (addresses.length === 0) throw new Error('a service needs at least one address');
  const failuresToEject = options.failuresToEject ?? 3;
  const baseEjectionMs = options.baseEjectionMs ?? 2_000;
  const maxEjectionMs = options.maxEjectionMs ?? 30_000;
  const now = options.now ?? (() => performance.now());
  let nextIndex = 0;
  const join = (target: ReplicaTarget): Replica<C> => ({
    index: nextIndex++,
    target,
    connection: options.connect(target),
    consecutiveFailures: 0,
    ejectedUntil: 0,
    ejections: 0,
    probing: false,
  });
  let replicas: Replica<C>[] = addresses.map((address) => join({ address }));
  let cursor = 0;
  const keyOf = (target: ReplicaTarget) => `${target.address} ${target.host ?? ''}`;

  const eject = (replica: Replica) => {
    // With one replica there is nowhere else to go: the breaker, not ejection, protects it.
    if (replicas.length === 1) return;
    // A failed probe ejects again, for longer, a replica that never came back: observers were
    // told once (the ejected-replicas gauge would otherwise count it twice and never return to 0).
    const wasInRotation = replica.ejectedUntil === 0;
    replica.ejections += 1;
    replica.ejectedUntil = now() + Math.min(maxEjectionMs, baseEjectionMs * 2 ** (replica.ejections - 1));
    replica.consecutiveFailures = 0;
    if (wasInRotation) options.onEject?.(replica);
  };

  // An ejected replica whose cool-down is over is probed in the background; it stays out of
  // rotation until the probe answers, so callers never pay for finding out.
  const probe = (replica: Replica<C>) => {
    if (replica.probing) return;
    if (!options.probe) {
      replica.ejectedUntil = 0;
      options.onReturn?.(replica);
      return;
    }
    replica.probing = true;
    options.probe(replica).then(
      (healthy) => {
        replica.probing = false;
        if (healthy) {
          replica.ejectedUntil = 0;
          options.onReturn?.(replica);
        } else eject(replica);
      },
      () => {
        replica.probing = false;
        eject(replica);
      },
    );
  };

  const inRotation = (replica: Replica<C>, at: number): boolean => {
    if (replica.ejectedUntil === 0) return true;
    if (replica.ejectedUntil <= at) probe(replica);
    return false;
  };

  return {
    get size() {
      return replicas.length;
    },
    update(targets) {
      if (targets.length === 0) return;
      const current = new Map(replicas.map((replica) => [keyOf(replica.target), replica]));
      const next = targets.map((target) => current.get(keyOf(target)) ?? join(target));
      const kept = new Set(next);
      for (const replica of replicas) {
        if (kept.has(replica)) continue;
        if (replica.ejectedUntil !== 0) options.onReturn?.(replica);
        // Pools finish what they were sending before they close.
        void replica.connection.close().catch(() => {});
      }
      replicas = next;
      cursor %= replicas.length;
    },
    next(avoid) {
      const at = now();
      for (let i = 0; i < replicas.length; i++) {
        const replica = replicas[(cursor + i) % replicas.length]!;
        if (replica !== avoid && inRotation(replica, at)) {
          cursor = (cursor + i + 1) % replicas.length;
          return replica;
        }
      }
      // Everything else is out: rather than fail without trying, use the rotation as is
      // (Envoy's "panic mode"), still not the replica a retry just failed on.
      const replica = replicas[cursor % replicas.length]!;
      cursor = (cursor + 1) % replicas.length;
      return replica === avoid && replicas.length > 1 ? this.next() : replica;
    },
    report(replica, ok, connectFailed) {
      if (ok) {
        replica.consecutiveFailures = 0;
        replica.ejections = 0;
        return;
      }
      // A refused connection is certain: no need to wait for more evidence.
      replica.consecutiveFailures += connectFailed ? failuresToEject : 1;
      if (replica.consecutiveFailures >= failuresToEject && replica.ejectedUntil === 0) eject(replica);
    },
    ejectedCount: () => replicas.filter((r) => r.ejectedUntil !== 0).length,
    async close() {
      await Promise.all(replicas.map((r) => r.connection.close()));
    },
  };
}
