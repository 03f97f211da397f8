import type { preHandlerAsyncHookHandler } from 'fastify';
import { errorBody } from '../errors.js';
import { isRecord, type PersistedOperations } from '../persisted/persisted-operations.js';
import { sentPayload, stateOf } from './state.js';

/**
 * The operations' texts. A hash (APQ `persistedQuery`, or `documentId`) becomes the text
 * it stands for, from the caller's trusted documents or the APQ store; a text sent with its hash
 * registers it; `enforce` refuses whatever the caller's manifest lacks. From here on every
 * operation carries its text, so the next stages analyse and limit hash-only requests too.
 */
export function createPersistedStage(persisted: PersistedOperations): preHandlerAsyncHookHandler {
  return async (request, reply) => {
    const state = stateOf(request);
    const payload = sentPayload(request);
    state.batch = Array.isArray(payload);
    // Malformed operations are kept as they are: Apollo answers them with 400 and runs nothing.
    const operations = (Array.isArray(payload) ? payload : [payload]).filter(isRecord);
    state.operations = operations;
    if (!state.batch && operations.length === 0) return;
    const client = state.identity!.clientName;
    for (const operation of operations) {
      const refusal = await persisted.resolve(operation, client);
      if (!refusal) continue;
      state.stats.errorCodes.push(refusal.code);
      if (refusal.headers) void reply.headers(refusal.headers);
      return reply.code(refusal.status).send(errorBody(refusal.code, refusal.message));
    }
  };
}
