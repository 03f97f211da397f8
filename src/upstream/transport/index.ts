import type { Transport } from '../client.js';
import { connectHttp, type HttpConnection, httpTransport, probeHttp } from './http.js';

/** REST services over undici: one keep-alive Pool per replica. */
export const httpTransportModule: Transport<HttpConnection> = {
  connect: (address, config) => connectHttp(address, config.maxConnections),
  probe: probeHttp,
  dispatch: (config) => httpTransport(config.maxResponseBytes),
};
