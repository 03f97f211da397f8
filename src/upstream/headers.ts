import type { CallContext } from './types.js';

/**
 * The only caller-derived headers that go upstream (CONTRACT.md "Upstream calls"). Built from
 * the identity the gateway verified, never copied from the caller's request, so `authorization`,
 * `cookie` and anything else the caller sent cannot leak to a service.
 */
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

// W3C trace context: version 00, 32 hex trace id, 16 hex parent id, 2 hex flags; all-zero ids are invalid.
const traceparentPattern = /^00-(?!0{32})[0-9a-f]{32}-(?!0{16})[0-9a-f]{16}-[0-9a-f]{2}$/;

/** The caller's `traceparent` when it is well-formed, else undefined (never forward junk). */
export function saneTraceparent(value: string | string[] | undefined): string | undefined {
  return typeof value === 'string' && traceparentPattern.test(value) ? value : undefined;
}
