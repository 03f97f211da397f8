import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

// Accept the caller's id only when it is short and plain, so it is safe in logs and headers.
const saneRequestId = /^[A-Za-z0-9._:-]{1,128}$/;

/** Fastify's `genReqId`: the caller's `x-request-id` when sane, else a fresh UUID. */
export function requestIdOf(req: IncomingMessage): string {
  const given = req.headers['x-request-id'];
  return typeof given === 'string' && saneRequestId.test(given) ? given : randomUUID();
}
