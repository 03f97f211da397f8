import type { Readable } from 'node:stream';
import type { Replica } from './replica-set.js';
import type { CallContext, UpstreamRequest } from './types.js';

/**
 * One call on its way through a service's layers. Layers read it and fill in what the layers
 * below need: the retry layer makes one per attempt, the replica layer picks `replica`, the
 * deadline layer arms `signal`.
 */
export interface Exchange {
  service: string;
  request: UpstreamRequest;
  ctx: CallContext;
  /** 0 for the first attempt, then 1, 2… */
  retry: number;
  /** Headers the service receives: the allow-list built from the verified identity, then transforms. */
  headers: Record<string, string>;
  /** A replica the previous attempt failed on: another is chosen when there is one. */
  avoid?: Replica;
  replica?: Replica;
  /** Aborts the attempt at its deadline or when the caller goes away. */
  signal?: AbortSignal;
  /** The attempt's time: the smaller of its timeout and what remains of the request. */
  budgetMs?: number;
}

/** A service's answer, parsed: what the caches store and the loaders receive. */
export interface Answer {
  value: unknown;
  status: number;
  /** Response headers, lower-case names (what the caches judge freshness by). */
  headers: Record<string, string | string[] | undefined>;
  /** Size of the body as received: what byte-bounded caches count. */
  bytes: number;
  /** A streamed answer's body, unread (`request.stream`); its reader must consume or destroy it. */
  body?: Readable;
}

/** Sends an exchange on and resolves with the answer, or rejects with an UpstreamFailure. */
export type Dispatch = (exchange: Exchange) => Promise<Answer>;

/** A concern wrapped around the rest of the path: undici's `dispatch => dispatch` interceptor shape. */
export type Layer = (next: Dispatch) => Dispatch;

/** The layers in call order around the transport: the first sees a call first and its answer last. */
export function compose(layers: readonly (Layer | undefined)[], transport: Dispatch): Dispatch {
  return layers.reduceRight<Dispatch>((next, layer) => (layer ? layer(next) : next), transport);
}

/**
 * Lets go of a streamed answer's body unread. undici reports a body destroyed before its end
 * as an `error` event: with nobody listening, that would be an uncaught exception.
 */
export function discardBody(body: Readable | undefined): void {
  if (!body || body.destroyed) return;
  body.on('error', () => {});
  body.destroy();
}
