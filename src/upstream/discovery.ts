import { promises as dns } from 'node:dns';
import { isIP } from 'node:net';
import type { ReplicaTarget } from './replica-set.js';

/** A host name's addresses, and how long that answer holds. */
export type ResolveHost = (hostname: string) => Promise<{ addresses: string[]; ttlSeconds: number }>;

// An answer is re-resolved as it expires, but never more often than every second, nor less than
// every five minutes; a failed look-up keeps what was known and asks again soon.
const minTtlSeconds = 1;
const maxTtlSeconds = 300;
const retryAfterFailureSeconds = 5;
// Names found in /etc/hosts (or through another NSS source) have no TTL: this stands in for one.
const lookupTtlSeconds = 30;

/**
 * DNS's A and AAAA records with their TTLs; a name they do not know (one from /etc/hosts) goes
 * through the system resolver, as connections do, with a TTL of 30 s.
 */
export const resolveHost: ResolveHost = async (hostname) => {
  const records = (
    await Promise.allSettled([dns.resolve4(hostname, { ttl: true }), dns.resolve6(hostname, { ttl: true })])
  ).flatMap((result) => (result.status === 'fulfilled' ? result.value : []));
  if (records.length > 0) {
    return {
      addresses: records.map((record) => record.address),
      ttlSeconds: Math.min(...records.map((record) => record.ttl)),
    };
  }
  const found = await dns.lookup(hostname, { all: true });
  return { addresses: found.map((entry) => entry.address), ttlSeconds: lookupTtlSeconds };
};

/**
 * DNS discovery for an HTTP service: a URL whose host name resolves to several addresses becomes
 * one replica per address, balanced and ejected like configured replicas (so a dead address
 * leaves the rotation as a dead replica does), each request still carrying the host name. The
 * name is resolved again as its answer expires, and the replicas follow. A name with one address
 * stays as it is (undici connects by name). Not undici's dns interceptor: it balances inside one
 * origin, where our per-replica ejection, probes and metrics could not see the addresses.
 */
export function discoverReplicas(
  urls: readonly string[],
  resolve: ResolveHost,
  onTargets: (targets: ReplicaTarget[]) => void,
): { stop(): void } {
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  let last = JSON.stringify(urls.map((address) => ({ address })));
  const named = urls.filter((url) => isIP(new URL(url).hostname.replace(/^\[|\]$/g, '')) === 0);
  if (named.length === 0) return { stop() {} };

  const refresh = async () => {
    let nextSeconds = maxTtlSeconds;
    const targets: ReplicaTarget[] = [];
    for (const url of urls) {
      const parsed = new URL(url);
      if (!named.includes(url)) {
        targets.push({ address: url });
        continue;
      }
      try {
        const answer = await resolve(parsed.hostname);
        nextSeconds = Math.min(nextSeconds, Math.max(minTtlSeconds, answer.ttlSeconds));
        // One family: `localhost` as 127.0.0.1 and ::1 is one server, not two replicas.
        const v4 = answer.addresses.filter((address) => isIP(address) === 4);
        const addresses = v4.length > 0 ? v4 : answer.addresses;
        if (addresses.length < 2) {
          targets.push({ address: url });
          continue;
        }
        for (const address of [...new Set(addresses)].sort()) {
          const at = new URL(url);
          at.hostname = isIP(address) === 6 ? `[${address}]` : address;
          targets.push({ address: at.href.replace(/\/$/, ''), host: parsed.host });
        }
      } catch {
        // Unresolvable now: keep what is known for this URL, and ask again soon.
        nextSeconds = Math.min(nextSeconds, retryAfterFailureSeconds);
        return schedule(nextSeconds);
      }
    }
    const key = JSON.stringify(targets);
    if (key !== last && !stopped) {
      last = key;
      onTargets(targets);
    }
    schedule(nextSeconds);
  };
  const schedule = (seconds: number) => {
    if (stopped) return;
    timer = setTimeout(() => void refresh(), Math.min(maxTtlSeconds, seconds) * 1000);
    timer.unref();
  };
  void refresh();
  return {
    stop() {
      stopped = true;
      clearTimeout(timer);
    },
  };
}
