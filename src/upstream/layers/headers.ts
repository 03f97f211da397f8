import { invalidRequest } from '../errors.js';
import type { Layer } from '../exchange.js';
import type { CallContext, HeaderTransform } from '../types.js';

/**
 * The headers a service receives: the allow-list built from the verified identity (never copied
 * from the caller's request, so `authorization`, `cookie` and anything else the caller sent
 * cannot leak), then the headers the call itself needs (a contract header, or the few caller
 * headers a proxied route passes on), then the service's transform
 * (`upstreams.<name>.requestHeaders`), then the call's own (a route's `requestHeaders`).
 * A value that cannot travel in a header (a line break, a control character) fails the call
 * here as BAD_USER_INPUT, for that caller only, before any breaker or budget sees it.
 */
export function headersLayer(transform?: HeaderTransform): Layer {
  const serviceTransform = compileTransform(transform);
  return (next) => (exchange) => {
    const { request } = exchange;
    const headers = upstreamHeaders(exchange.ctx);
    // A proxied answer is negotiated by its caller (its own `accept`, or none): only the
    // gateway's own calls ask for the contract's JSON.
    if (!request.passThrough) headers.accept = 'application/json';
    if (request.headers) {
      for (const [name, value] of Object.entries(request.headers)) headers[name.toLowerCase()] = value;
    }
    serviceTransform(headers);
    if (request.transform) compileTransform(request.transform)(headers);
    for (const [name, value] of Object.entries(headers)) {
      if (!fieldValue.test(value)) {
        return Promise.reject(invalidRequest(exchange.service, `the ${name} header cannot carry that value`));
      }
    }
    exchange.headers = headers;
    return next(exchange);
  };
}

/** A transform as a function over lower-case header names: removals first, then what it sets. */
export function compileTransform(
  transform: HeaderTransform | undefined,
): (headers: Record<string, unknown>) => void {
  const remove = transform?.remove?.map((name) => name.toLowerCase()) ?? [];
  const set = Object.entries(transform?.set ?? {}).map(
    ([name, value]) => [name.toLowerCase(), value] as const,
  );
  if (remove.length === 0 && set.length === 0) return () => {};
  return (headers) => {
    for (const name of remove) delete headers[name];
    for (const [name, value] of set) headers[name] = value;
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
