// The demo recommendations service: a real gRPC server (@grpc/grpc-js) implementing
// proto/recommendations.proto with seeded answers, and the faults the tests need.
import { fileURLToPath } from 'node:url';
import {
  loadPackageDefinition,
  type Metadata,
  Server,
  ServerCredentials,
  type ServerUnaryCall,
  type ServiceDefinition,
  type sendUnaryData,
  status,
} from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';

const protoFile = fileURLToPath(new URL('../../proto/recommendations.proto', import.meta.url));

/** What the service does with calls arriving from now on. */
export type GrpcFault =
  | { kind: 'delay'; delayMs: number }
  | { kind: 'status'; code: number; message?: string }
  | null;

/** One call as the service received it. */
export interface RecordedCall {
  userIds: string[];
  limit: number;
  /** Metadata, lower-case keys, first value of each. */
  metadata: Record<string, string>;
}

export interface RecommendationsService {
  /** host:port */
  readonly address: string;
  readonly port: number;
  readonly calls: RecordedCall[];
  setFault(fault: GrpcFault): void;
  /** Stops serving (connections refused); `start` serves again on the same port. */
  stop(): Promise<void>;
  start(): Promise<void>;
  close(): Promise<void>;
}

const productCount = 500;
const maxPerUser = 50;

/** Up to 50 products for a user, best first: the same for the same user on every machine. */
export function recommendationsFor(userId: string): string[] {
  const n = Number(/^u(\d+)$/.exec(userId)?.[1]);
  if (!Number.isInteger(n) || n < 1 || n > 100_000) return [];
  const picked: string[] = [];
  const seen = new Set<number>();
  for (let i = 0; picked.length < maxPerUser; i++) {
    const index = ((n * 7_919 + i * 104_729) % productCount) + 1;
    if (seen.has(index)) continue;
    seen.add(index);
    picked.push(`p${index}`);
  }
  return picked;
}

interface ForUsersRequest {
  user_ids: string[];
  limit: number;
}

/** Starts the service on `port` (0: a free one) of 127.0.0.1. */
export async function startRecommendationsService(port = 0): Promise<RecommendationsService> {
  const definition = loadPackageDefinition(loadSync(protoFile, { keepCase: true, defaults: true }));
  const service = (
    definition.switchboard as Record<string, Record<string, Record<string, { service: ServiceDefinition }>>>
  ).recommendations!.v1!.Recommendations!.service;
  const calls: RecordedCall[] = [];
  let fault: GrpcFault = null;
  let server: Server | undefined;
  let boundPort = port;

  const forUsers = (call: ServerUnaryCall<ForUsersRequest, unknown>, callback: sendUnaryData<unknown>) => {
    const { user_ids: userIds, limit } = call.request;
    calls.push({ userIds: [...userIds], limit, metadata: metadataOf(call.metadata) });
    const answer = () => {
      if (fault?.kind === 'status') {
        callback({ code: fault.code, details: fault.message ?? 'demo fault' });
        return;
      }
      if (userIds.length > 100) {
        callback({ code: status.INVALID_ARGUMENT, details: 'at most 100 user ids per call' });
        return;
      }
      if (!Number.isInteger(limit) || limit < 1 || limit > maxPerUser) {
        callback({ code: status.INVALID_ARGUMENT, details: 'limit must be between 1 and 50' });
        return;
      }
      callback(null, {
        results: userIds.map((userId) => ({
          user_id: userId,
          product_ids: recommendationsFor(userId).slice(0, limit),
        })),
      });
    };
    if (fault?.kind === 'delay') setTimeout(answer, fault.delayMs);
    else answer();
  };

  const start = async () => {
    const next = new Server();
    next.addService(service, { ForUsers: forUsers });
    boundPort = await new Promise<number>((resolve, reject) =>
      next.bindAsync(`127.0.0.1:${boundPort}`, ServerCredentials.createInsecure(), (error, bound) =>
        error ? reject(error) : resolve(bound),
      ),
    );
    server = next;
  };
  const stop = async () => {
    const current = server;
    server = undefined;
    current?.forceShutdown();
  };
  await start();
  return {
    get address() {
      return `127.0.0.1:${boundPort}`;
    },
    get port() {
      return boundPort;
    },
    calls,
    setFault(next) {
      fault = next;
    },
    stop,
    start,
    close: stop,
  };
}

function metadataOf(metadata: Metadata): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, values] of Object.entries(metadata.getMap())) out[key] = String(values);
  return out;
}
