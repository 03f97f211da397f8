import { invalidRequest } from '../errors.js';
import type { Layer } from '../exchange.js';
import type { CallContext } from '../types.js';

/** `upstreams.<name>.requestHeaders`: applied after the allow-list (a `set` header goes even if the list would drop it). */
export interface HeaderTransform {
  set?: Record<string, string>;
  remove?: string[];
}

/**
 * The headers a service receives: the allow-list built from the verified identity (never copied
 * from the caller's request, so `authorization`, `cookie` and anything else the caller sent
 * cannot leak), then the contract headers the operation needs, then the service's transforms.
 * A value that cannot travel in a header (a line break, a control character) fails the call
 * here as BAD_USER_INPUT, for that caller only, before any breaker or budget sees it.
 */
export function headersLayer(transform?: HeaderTransform): Layer {
  const remove = transform?.remove?.map((name) => name.toLowerCase()) ?? [];
  const set = Object.entries(transform?.set ?? {}).map(
    ([name, value]) => [name.toLowerCase(), value] as const,
  );
  return (next) => (exchange) => {
    const headers = upstreamHeaders(exchange.ctx);
    headers.accept = 'application/json';
    if (exchange.request.headers) {
      for (const [name, value] of Object.entries(exchange.request.headers))
        headers[name.toLowerCase()] = value;
    }
    for (const name of remove) delete headers[name];
    for (const [name, value] of set) headers[name] = value;
    for (const [name, value] of Object.entries(headers)) {
      if (!fieldValue.test(value)) {
        return Promise.reject(invalidRequest(exchange.service, `the ${name} header cannot carry that value`));
      }
    }
    exchange.headers = headers;
    return next(exchange);
  };
}

// RFC 9110 field-value: visible ASCII, spaces and tabs inside, obs-text; never CR, LF or NUL.
const fieldValue = /^[\t\x20-\x7e\x80-\xff]*$/;

/** The caller-derived headers a service may receive, from the verified identity only. */
export function upstreamHeaders(ctx: CallContext): Record<string, string> {
  const headers: Record<string, string> = {
    'x-request-id': ctx.requestId,
    'x-client-name': ctx.clientName,
  };
  if (ctx.traceparent) headers.traceparent = ctx.traceparent;
  if (ctx.userId) {
    headers['x-user-id'] = ctx.userId;
    headers['x-user-role'] = ctx.userRole ?? 'USER';
  }
  return headers;
}
