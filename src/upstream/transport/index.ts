import type { Transport } from '../client.js';
import { connectGrpc, type GrpcConnection, grpcTransport, probeGrpc } from './grpc.js';
import { connectHttp, type HttpConnection, httpTransport, probeHttp } from './http.js';

/** REST services over undici: one keep-alive Pool per replica. */
export const httpTransportModule: Transport<HttpConnection> = {
  connect: (target, config) => connectHttp(target.address, config.maxConnections, target.host),
  probe: probeHttp,
  dispatch: (config) => httpTransport(config.maxResponseBytes),
};

/**
 * gRPC services over @grpc/grpc-js: one channel per replica. Only UNAVAILABLE is worth a retry
 * (the call never reached the service); a deadline already spent the request's time.
 */
export const grpcTransportModule: Transport<GrpcConnection> = {
  // grpc-js resolves host names itself; a discovered address is never handed to it.
  connect: (target, config) => connectGrpc(target.address, config),
  probe: probeGrpc,
  dispatch: () => grpcTransport(),
  retryable: (failure) => failure.outcome === 'unavailable',
};

/** Every transport, by `upstreams.<name>.protocol`. */
export const transports: Record<string, Transport> = { http: httpTransportModule, grpc: grpcTransportModule };
