import { countsAgainstService, type UpstreamFailure } from '../errors.js';
import type { Layer } from '../exchange.js';
import type { ReplicaSet } from '../replica-set.js';

/**
 * Picks the attempt's replica (round-robin, skipping ejected ones and the one the last attempt
 * failed on) and reports how it went: the service's own failures count toward ejecting it,
 * a success resets its count; anything else (a 4xx, a caller gone) says nothing about it.
 */
export function replicaLayer(replicas: ReplicaSet): Layer {
  return (next) => async (exchange) => {
    const replica = replicas.next(exchange.avoid);
    exchange.replica = replica;
    try {
      const answer = await next(exchange);
      replicas.report(replica, true, false);
      return answer;
    } catch (error) {
      const failure = error as UpstreamFailure;
      if (countsAgainstService(failure.outcome)) {
        replicas.report(replica, false, failure.connectFailed === true);
      }
      throw error;
    }
  };
}
