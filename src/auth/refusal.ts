import { gatewayError } from '../errors.js';

/** Credentials were presented and refused: 401 UNAUTHENTICATED for the whole request. */
export function unauthenticated(message: string) {
  return gatewayError('UNAUTHENTICATED', message, { httpStatus: true });
}
