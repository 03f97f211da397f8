import cluster from 'node:cluster';
import { type DestinationStream, type Logger, pino } from 'pino';
import type { GatewayConfig } from './config/types.js';

/** JSON logs on stdout; secrets that could ride along in request objects are redacted. */
export function createLogger(level: GatewayConfig['log']['level'], destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      // 'name', not 'service': upstream failure lines carry the failed service as 'service'.
      // A worker of `--workers N` says which process it is, so a line can be traced to its worker.
      base: cluster.isWorker ? { name: 'switchboard', pid: process.pid } : { name: 'switchboard' },
      redact: {
        paths: [
          'req.headers.authorization',
          'req.headers.cookie',
          'req.headers["x-api-key"]',
          '*.authorization',
          '*.cookie',
        ],
        censor: '[redacted]',
      },
    },
    destination ?? pino.destination(1),
  );
}
