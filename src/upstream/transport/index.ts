import type { Transport } from '../client.js';
import { connectGrpc, type GrpcConnection, grpcTransport, probeGrpc } from './grpc.js';
import { connectHttp, type HttpConnection, httpTransport, probeHttp } from './http.js';

/** REST services over undici: one keep-alive Pool per replica. */
export const httpTransportModule: Transport<HttpConnection> = {
  connect: (address, config) => connectHttp(address, config.maxConnections),
  probe: probeHttp,
  dispatch: (config) => httpTransport(config.maxResponseBytes),
};

/**
 * gRPC services over @grpc/grpc-js: one channel per replica. Only UNAVAILABLE is worth a retry
 * (the call never reached the service); a deadline already spent the request's time.
 */
export const grpcTransportModule: Transport<GrpcConnection> = {
  connect: connectGrpc,
  probe: probeGrpc,
  dispatch: () => grpcTransport(),
  retryable: (failure) => failure.outcome === 'unavailable',
};

/** Every transport, by `upstreams.<name>.protocol`. */
export const transports: Record<string, Transport> = { http: httpTransportModule, grpc: grpcTransportModule };
