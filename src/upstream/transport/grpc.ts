import { existsSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  Client,
  credentials,
  Metadata,
  type MethodDefinition,
  type ServiceError,
  status,
} from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import type { UpstreamConfig } from '../../config/types.js';
import { ErrorCode } from '../../errors.js';
import { abortedByCaller, type UpstreamFailure, upstreamFailure } from '../errors.js';
import type { Answer, Dispatch, Exchange } from '../exchange.js';
import type { Replica } from '../replica-set.js';
import type { UpstreamOutcome } from '../types.js';

/** One replica's gRPC channel, and the methods of the service's proto by path. */
export interface GrpcConnection {
  client: Client;
  methods: ReadonlyMap<string, MethodDefinition<unknown, unknown>>;
  close(): Promise<void>;
}

// The package root (src/upstream/transport -> ../../..), where the bundled proto/ lives, also
// from the compiled dist/.
const packageRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

/**
 * The proto file named by `upstreams.<name>.proto`: as given (absolute, or from the working
 * directory), else the project's proto/ folder (so `recommendations.proto` is the bundled one).
 */
export function resolveProto(proto: string): string {
  const candidates = isAbsolute(proto)
    ? [proto]
    : [resolve(proto), join(packageRoot, proto), join(packageRoot, 'proto', proto)];
  const found = candidates.find((file) => existsSync(file));
  if (!found)
    throw new Error(
      `proto file ${proto} not found (looked in the working directory and ${join(packageRoot, 'proto')})`,
    );
  return found;
}

/** Every method of every service in the proto, by its gRPC path (`/package.Service/Method`). */
function methodsOf(protoFile: string): Map<string, MethodDefinition<unknown, unknown>> {
  // keepCase: the messages' fields as the proto spells them (user_ids), as the contract does.
  const definition = loadSync(protoFile, { keepCase: true, longs: Number, enums: String, defaults: true });
  const methods = new Map<string, MethodDefinition<unknown, unknown>>();
  for (const entry of Object.values(definition)) {
    if (typeof entry !== 'object' || entry === null || 'format' in entry) continue; // a message or enum
    for (const method of Object.values(entry as Record<string, MethodDefinition<unknown, unknown>>)) {
      if (method.path && !method.requestStream && !method.responseStream) methods.set(method.path, method);
    }
  }
  return methods;
}

/** A channel to `host:port`, plaintext (the gateway's services sit on a private network). */
export function connectGrpc(address: string, config: UpstreamConfig): GrpcConnection {
  const client = new Client(address, credentials.createInsecure(), {
    // Keep the channel warm between calls, and notice a dead peer within seconds.
    'grpc.keepalive_time_ms': 30_000,
    'grpc.keepalive_timeout_ms': 5_000,
    'grpc.max_receive_message_length': config.maxResponseBytes,
  });
  const methods = methodsOf(resolveProto(config.proto ?? 'recommendations.proto'));
  return { client, methods, close: async () => client.close() };
}

// Metadata are the allow-listed headers; content negotiation is HTTP's, not gRPC's.
const notMetadata = new Set(['accept', 'content-type']);

/**
 * The gRPC transport: a unary call on the replica's channel, to the method the request's path
 * names (`/switchboard.recommendations.v1.Recommendations/ForUsers`), its body the request
 * message. The deadline is the attempt's budget; the caller leaving cancels the call. Status
 * codes map to ours: DEADLINE_EXCEEDED a timeout, UNAVAILABLE unavailable, INVALID_ARGUMENT the
 * caller's input (BAD_USER_INPUT, counted against nothing), the service's own failures
 * (INTERNAL, UNKNOWN, DATA_LOSS, RESOURCE_EXHAUSTED, ABORTED) UPSTREAM_ERROR, and any other
 * refusal UPSTREAM_ERROR without counting against the service.
 */
export function grpcTransport(): Dispatch {
  return (exchange: Exchange): Promise<Answer> =>
    new Promise((resolvePromise, reject) => {
      const { service, request } = exchange;
      const connection = (exchange.replica as Replica<GrpcConnection>).connection;
      const method = connection.methods.get(request.path);
      if (!method) {
        reject(
          upstreamFailure(
            service,
            ErrorCode.INTERNAL_SERVER_ERROR,
            `${service} has no method ${request.path}`,
            'internal',
          ),
        );
        return;
      }
      const metadata = new Metadata();
      for (const [name, value] of Object.entries(exchange.headers))
        if (!notMetadata.has(name)) metadata.set(name, value);
      const deadline = Date.now() + (exchange.budgetMs ?? 1_000);
      const call = connection.client.makeUnaryRequest(
        method.path,
        method.requestSerialize,
        method.responseDeserialize,
        request.body ?? {},
        metadata,
        { deadline },
        (error: ServiceError | null, value?: unknown) => {
          exchange.signal?.removeEventListener('abort', cancel);
          if (!error) {
            resolvePromise({ value, status: status.OK, headers: {}, bytes: 0 });
            return;
          }
          reject(grpcFailure(service, error, exchange));
        },
      );
      const cancel = () => call.cancel();
      exchange.signal?.addEventListener('abort', cancel, { once: true });
      if (exchange.signal?.aborted) cancel();
    });
}

const serviceFailures = new Set([
  status.UNKNOWN,
  status.INTERNAL,
  status.DATA_LOSS,
  status.RESOURCE_EXHAUSTED,
  status.ABORTED,
]);

function grpcFailure(service: string, error: ServiceError, exchange: Exchange): UpstreamFailure {
  const code = error.code;
  if (code === status.CANCELLED && exchange.ctx.signal?.aborted) return abortedByCaller(service);
  // Our own deadline (the attempt's budget) cancels the call before gRPC's own deadline says so.
  if (code === status.DEADLINE_EXCEEDED || (code === status.CANCELLED && exchange.signal?.aborted)) {
    return failure(
      service,
      ErrorCode.UPSTREAM_TIMEOUT,
      `${service} did not answer within ${exchange.budgetMs} ms`,
      'timeout',
      code,
    );
  }
  if (code === status.UNAVAILABLE)
    return failure(service, ErrorCode.UPSTREAM_UNAVAILABLE, `${service} is unavailable`, 'unavailable', code);
  if (code === status.INVALID_ARGUMENT) {
    const refused = failure(
      service,
      ErrorCode.BAD_USER_INPUT,
      `${service} refused the input`,
      'client_error',
      code,
    );
    refused.serviceMessage = error.details.replace(/[^\x20-\x7e\u00a0-\uffff]/g, '').slice(0, 300);
    return refused;
  }
  const outcome: UpstreamOutcome = serviceFailures.has(code) ? 'error' : 'client_error';
  return failure(
    service,
    ErrorCode.UPSTREAM_ERROR,
    `${service} failed with gRPC status ${status[code] ?? code}`,
    outcome,
    code,
  );
}

function failure(
  service: string,
  code: ErrorCode,
  message: string,
  outcome: UpstreamOutcome,
  grpcStatus: number,
): UpstreamFailure {
  return upstreamFailure(service, code, message, outcome, grpcStatus);
}

/** Ready within a second: an ejected replica returns. */
export function probeGrpc(connection: GrpcConnection): Promise<boolean> {
  return new Promise((resolvePromise) => {
    connection.client.waitForReady(Date.now() + 1_000, (error) => resolvePromise(!error));
  });
}
