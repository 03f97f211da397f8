import { ErrorCode, gatewayError } from '../errors.js';

/** Checks an integer argument's range before any upstream call is made for it. */
export function limitArg(name: string, value: number, max: number): number {
  if (!Number.isInteger(value) || value < 1 || value > max) {
    throw gatewayError(ErrorCode.BAD_USER_INPUT, `${name} must be between 1 and ${max}`, {
      argumentName: name,
    });
  }
  return value;
}
