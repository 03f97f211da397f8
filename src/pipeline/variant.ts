import type { preHandlerAsyncHookHandler } from 'fastify';
import type { Endpoint } from '../graphql/endpoint.js';
import { sentPayload, stateOf } from './state.js';

/**
 * The schema variant that serves the caller, chosen by the client name (the API key's,
 * else `apollographql-client-name`): validation, execution and introspection see only that
 * variant. The name selects and never grants. A browser opening a variant's IDE cannot send
 * headers: a GET with `?client=` and no query selects the page's variant the same way.
 */
export function createVariantStage(endpointFor: (client: string) => Endpoint): preHandlerAsyncHookHandler {
  return async (request) => {
    const state = stateOf(request);
    let client = state.identity!.clientName;
    // `?client=` on a GET without a query: the IDE's page naming the variant it shows.
    const page = sentPayload(request) as Record<string, unknown> | undefined;
    if (request.method === 'GET' && page?.query === undefined && typeof page?.client === 'string') {
      client = page.client;
    }
    state.endpoint = endpointFor(client);
  };
}
