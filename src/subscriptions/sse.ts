import type { FastifyReply, FastifyRequest, preHandlerAsyncHookHandler } from 'fastify';
import type { GraphQLError } from 'graphql';
import { createHandler } from 'graphql-sse/lib/use/fastify';
import type { Authenticator } from '../auth/authenticate.js';
import { ErrorCode, errorBody } from '../errors.js';
import type { Session, SubscriptionService } from './sessions.js';

const sessions = new WeakMap<FastifyRequest, Session>();

/** Whether a request asks for a stream of events rather than one answer. */
export function wantsEventStream(request: FastifyRequest): boolean {
  return request.method === 'POST' && (request.headers.accept ?? '').includes('text/event-stream');
}

/**
 * GraphQL over SSE (graphql-sse, distinct connections mode): `POST /graphql` with
 * `accept: text/event-stream` is one subscription whose events stream back on that response.
 * The caller's usual headers authenticate it: a missing or invalid token is a 401 before
 * anything upstream is opened. Registered as the first /graphql stage: such a request leaves the
 * query path here.
 */
export function createEventStreamStage(deps: {
  authenticator: Authenticator;
  service: SubscriptionService;
}): preHandlerAsyncHookHandler {
  const { service } = deps;
  const handler = createHandler<undefined>({
    // Distinct connections only: every request is its own stream.
    authenticate: () => null,
    async onSubscribe(req, params) {
      const session = sessions.get(req.raw);
      if (!session) return [null, { status: 401, statusText: 'Unauthorized' }];
      const started = await service.start(session, 'sse', params);
      // A refusal (a limit, the tier, an invalid operation) is the stream's one result, coded like
      // any GraphQL error, then `complete`: what graphql-sse clients read.
      if (Array.isArray(started)) return { data: null, errors: started as GraphQLError[] };
      return started as never;
    },
    onComplete(_ctx, req) {
      const session = sessions.get(req.raw);
      if (session) service.end(session, 'sse', 'complete');
    },
  });
  return async (request: FastifyRequest, reply: FastifyReply) => {
    if (!wantsEventStream(request)) return;
    let identity: Awaited<ReturnType<Authenticator['authenticate']>> | undefined;
    try {
      identity = await deps.authenticator.authenticate(request.headers);
    } catch {
      identity = undefined;
    }
    if (!identity?.userId) {
      return reply
        .code(401)
        .send(errorBody(ErrorCode.UNAUTHENTICATED, 'subscriptions require a valid token'));
    }
    if (!service.hasRoom()) {
      return reply
        .code(503)
        .header('retry-after', '1')
        .send(errorBody(ErrorCode.SERVICE_UNAVAILABLE, 'too many subscriptions on this instance'));
    }
    const session = service.open('sse', identity, request.ip);
    sessions.set(request, session);
    reply.hijack();
    reply.raw.once('close', () => service.close(session, 'client closed'));
    try {
      await handler(request, reply);
    } finally {
      service.close(session, 'complete');
    }
  };
}
