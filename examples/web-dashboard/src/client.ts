import type { TypedDocumentString } from './gql/graphql.js';

/** A GraphQL error as the gateway sends it: a code always, the service when one failed. */
export interface GatewayError {
  message: string;
  path?: (string | number)[];
  extensions?: { code?: string; service?: string };
}

/** What the gateway answered: data and errors can both be there (a partial result). */
export interface Answer<TResult> {
  data?: TResult | null;
  errors?: GatewayError[];
}

/** Who calls: a signed-in user's token and the app's own key (it selects the web schema). */
export interface Credentials {
  token: string;
  apiKey: string;
}

/**
 * Runs a typed document against the gateway in one POST; the result is typed by the document.
 * A 4xx (an expired token, a rate limit) comes back as errors too, so the screen can say why.
 */
export async function execute<TResult, TVariables>(
  document: TypedDocumentString<TResult, TVariables>,
  credentials: Credentials,
  variables?: TVariables,
): Promise<Answer<TResult>> {
  const response = await fetch('/graphql', {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/graphql-response+json, application/json',
      authorization: `Bearer ${credentials.token}`,
      'x-api-key': credentials.apiKey,
    },
    body: JSON.stringify({ query: document.toString(), variables }),
  });
  try {
    return (await response.json()) as Answer<TResult>;
  } catch {
    return { errors: [{ message: `The gateway answered HTTP ${response.status}`, extensions: {} }] };
  }
}

/** The errors of one part of the screen: those whose path starts with `prefix`. */
export function errorsAt(answer: Answer<unknown>, ...prefix: string[]): GatewayError[] {
  return (answer.errors ?? []).filter((error) => prefix.every((part, index) => error.path?.[index] === part));
}
