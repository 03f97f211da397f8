import type { Fetcher, FetcherOpts, FetcherParams } from '@graphiql/toolkit';
import { type DocumentNode, type ExecutionResult, getOperationAST, parse } from 'graphql';
import { createClient } from 'graphql-ws/client';
import { fanoutStore, lastRequestOf } from './fanout-store.js';

/** GraphiQL asks for the schema under this name; its answer is not a run the panel reports. */
export const introspectionName = 'IntrospectionQuery';

/**
 * How the IDE talks to the gateway: queries and mutations as POSTs asking for the fan-out
 * report (`x-switchboard-trace: 1`), whose report the Fan-out panel then shows;
 * subscriptions over graphql-ws on the same path, the headers pane's headers going into
 * `connection_init` (the gateway reads `authorization`, `x-api-key` and
 * `apollographql-client-name` there).
 */
export function createIdeFetcher(endpoint: string): Fetcher {
  const url = new URL(endpoint, window.location.href);
  return (sent, options) => {
    const { params, operation } = current(sent);
    if (operation === 'subscription') return subscribe(url, params, options);
    return post(url, params, options);
  };
}

/**
 * The operation to run, read from the text sent. GraphiQL parses the editor on a debounce, so
 * a run right after an edit (a paste, then Ctrl+Enter) can carry the operation name of the
 * text before it, which the gateway would refuse: when the text holds one operation and not
 * the named one, that one runs, as the person looking at the editor expects.
 */
function current(params: FetcherParams): { params: FetcherParams; operation?: string } {
  let document: DocumentNode;
  try {
    document = parse(params.query);
  } catch {
    // Not GraphQL: sent as it is, the gateway answers GRAPHQL_PARSE_FAILED.
    return { params };
  }
  const named = getOperationAST(document, params.operationName ?? undefined);
  if (named) return { params, operation: named.operation };
  const only = getOperationAST(document);
  if (!only) return { params };
  return { params: { ...params, operationName: only.name?.value ?? null }, operation: only.operation };
}

async function post(url: URL, params: FetcherParams, options?: FetcherOpts) {
  const response = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/graphql-response+json, application/json;q=0.9',
      'x-switchboard-trace': '1',
      ...options?.headers,
    },
    body: JSON.stringify(params),
  });
  const text = await response.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    // A proxy's error page, say: shown as it is rather than as a parse error of ours.
    body = { errors: [{ message: `HTTP ${response.status}: ${text.slice(0, 500)}` }] };
  }
  const operationName = params.operationName ?? undefined;
  if (operationName !== introspectionName)
    fanoutStore.set(lastRequestOf(response.status, body, operationName));
  return body as Awaited<ReturnType<Fetcher>> & object;
}

/** Headers the gateway reads from `connection_init`, by their lower-case names. */
function connectionParams(headers: Record<string, unknown> | undefined): Record<string, string> {
  const params: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers ?? {}))
    if (typeof value === 'string') params[name.toLowerCase()] = value;
  return params;
}

// One socket per subscription: each run uses the headers pane as it is at that moment (a new
// token, another client), and the socket closes when the subscription ends.
async function* subscribe(
  url: URL,
  params: FetcherParams,
  options?: FetcherOpts,
): AsyncGenerator<ExecutionResult> {
  const wsUrl = new URL(url);
  wsUrl.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  const client = createClient({
    url: wsUrl.href,
    connectionParams: connectionParams(options?.headers),
    retryAttempts: 0,
    lazy: true,
  });
  try {
    const results = client.iterate({
      query: params.query,
      variables: params.variables,
      operationName: params.operationName ?? undefined,
    });
    // GraphiQL's type asks for graphql-js results; it reads only their JSON fields, which these are.
    for await (const result of results) yield result as unknown as ExecutionResult;
  } catch (error) {
    throw closeReason(error);
  } finally {
    await client.dispose();
  }
}

/** A closed socket as a message a person can act on (4403: the token is missing or invalid). */
function closeReason(error: unknown): Error {
  if (error instanceof CloseEvent) {
    const reason = error.reason ? `: ${error.reason}` : '';
    return new Error(`The subscription socket closed with code ${error.code}${reason}`);
  }
  if (error instanceof Error) return error;
  if (Array.isArray(error)) return new Error(error.map((e: { message?: string }) => e.message).join('; '));
  return new Error(String(error));
}
