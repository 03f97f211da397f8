// The recommendations service for S6: a grpc-js server on the bundled proto, answering
// ForUsers from a fixed rule (dashboard.ts recommendedFor), so its cost stays out of the servers'.
import { fileURLToPath } from 'node:url';
import {
  loadPackageDefinition,
  Server,
  ServerCredentials,
  type ServerUnaryCall,
  type sendUnaryData,
} from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { recommendedFor } from '../dashboard.js';
import { templateOf, userNumber } from '../users.js';

const protoFile = fileURLToPath(new URL('../../proto/recommendations.proto', import.meta.url));

interface ForUsersRequest {
  user_ids: string[];
  limit: number;
}

/** Starts the server on 127.0.0.1, a free port; resolves with `host:port` and a counter of calls. */
export async function startRecommendationsStub(): Promise<{
  address: string;
  calls: () => number;
  close(): void;
}> {
  const definition = loadSync(protoFile, { keepCase: true, longs: Number, defaults: true });
  const proto = loadPackageDefinition(definition) as unknown as {
    switchboard: {
      recommendations: { v1: { Recommendations: { service: Parameters<Server['addService']>[0] } } };
    };
  };
  let calls = 0;
  const server = new Server();
  server.addService(proto.switchboard.recommendations.v1.Recommendations.service, {
    ForUsers(call: ServerUnaryCall<ForUsersRequest, unknown>, callback: sendUnaryData<unknown>) {
      calls += 1;
      const limit = call.request.limit || 5;
      callback(null, {
        results: call.request.user_ids.map((id) => ({
          user_id: id,
          product_ids: recommendedFor(templateOf(userNumber(id) ?? 0), limit),
        })),
      });
    },
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (error, bound) =>
      error ? reject(error) : resolve(bound),
    ),
  );
  return { address: `127.0.0.1:${port}`, calls: () => calls, close: () => server.forceShutdown() };
}
