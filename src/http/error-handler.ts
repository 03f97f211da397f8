import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { ErrorCode, errorBody } from '../errors.js';

// Fastify's own messages can name internals (parser positions, limits in bytes are fine):
// answer with fixed, documented texts instead.
const knownErrors: Record<string, { code: ErrorCode; message: string }> = {
  FST_ERR_CTP_BODY_TOO_LARGE: { code: ErrorCode.PAYLOAD_TOO_LARGE, message: 'Request body is too large' },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: {
    code: ErrorCode.BAD_REQUEST,
    message: 'Unsupported content-type: send application/json',
  },
  FST_ERR_CTP_EMPTY_JSON_BODY: { code: ErrorCode.BAD_REQUEST, message: 'Request body is empty' },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: { code: ErrorCode.BAD_REQUEST, message: 'Invalid content-length' },
};

/** Maps every error Fastify raises outside GraphQL execution to a coded body; never a stack. */
export function handleHttpError(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  const status =
    error.statusCode && error.statusCode >= 400 && error.statusCode < 600 ? error.statusCode : 500;
  const known = error.code ? knownErrors[error.code] : undefined;
  if (status >= 500) request.log.error({ err: error }, 'unhandled error');
  let code: ErrorCode = known?.code ?? (status === 413 ? ErrorCode.PAYLOAD_TOO_LARGE : ErrorCode.BAD_REQUEST);
  let message = known?.message ?? 'Malformed request';
  if (error.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || error instanceof SyntaxError)
    message = 'Request body is not valid JSON';
  if (status >= 500) {
    code = ErrorCode.INTERNAL_SERVER_ERROR;
    message = 'Internal server error';
  }
  void reply.code(status).type('application/json').send(errorBody(code, message));
}
