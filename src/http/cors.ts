import cors from '@fastify/cors';
import type { FastifyInstance } from 'fastify';
import type { ServerConfig } from '../config/types.js';

/**
 * CORS for the listed origins only; with none listed (the default) no CORS headers are sent
 * and browsers refuse cross-origin calls. A wildcard never goes with credentials: a browser
 * would refuse it, and echoing any origin with credentials would hand tokens to every site.
 */
export async function registerCors(app: FastifyInstance, config: ServerConfig['cors']): Promise<void> {
  if (config.origins.length === 0) return;
  const any = config.origins.includes('*');
  if (any && config.credentials)
    throw new Error('server.cors: origins "*" cannot be combined with credentials: true');
  await app.register(cors, {
    origin: any ? '*' : config.origins,
    credentials: config.credentials,
    methods: ['GET', 'POST', 'OPTIONS'],
    allowedHeaders: [
      'content-type',
      'authorization',
      'x-api-key',
      'apollographql-client-name',
      'apollographql-client-version',
      'apollo-require-preflight',
      'x-apollo-operation-name',
      'x-request-id',
      'traceparent',
    ],
    exposedHeaders: [
      'x-request-id',
      'retry-after',
      'ratelimit',
      'ratelimit-policy',
      'x-ratelimit-limit',
      'x-ratelimit-remaining',
      'x-ratelimit-reset',
    ],
    maxAge: config.maxAgeSeconds,
  });
}
