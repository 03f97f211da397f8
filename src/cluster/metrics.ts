// /metrics over all workers. Connections go to the workers, never to the primary, so the worker
// that takes a scrape asks the primary, which collects every worker's registry through
// prom-client's AggregatorRegistry (its own IPC messages) and answers with the sum.
import cluster, { type Worker } from 'node:cluster';
import { AggregatorRegistry, type Registry } from 'prom-client';

const ask = 'switchboard:metrics-request';
const answer = 'switchboard:metrics-response';
// A worker that does not answer the primary in time makes the scrape fail: the worker then
// answers with its own figures, marked as such, rather than nothing.
const timeoutMs = 5_000;

interface Ask {
  type: typeof ask;
  id: number;
}
interface Answer {
  type: typeof answer;
  id: number;
  text?: string;
  error?: string;
}

/** In the primary: answers the workers' requests with every worker's metrics, aggregated. */
export function serveClusterMetrics(): void {
  const aggregator = new AggregatorRegistry();
  cluster.on('message', (worker: Worker, message: Ask) => {
    if (message?.type !== ask) return;
    aggregator.clusterMetrics().then(
      (text) => worker.isConnected() && worker.send({ type: answer, id: message.id, text } satisfies Answer),
      (error: Error) =>
        worker.isConnected() &&
        worker.send({ type: answer, id: message.id, error: error.message } satisfies Answer),
    );
  });
}

/**
 * In a worker: offers `registry` to the primary's aggregation, and returns what /metrics
 * answers: every worker's metrics, or this worker's alone (`scope: 'worker'`) when the primary
 * could not collect them.
 */
export function clusterMetricsReader(
  registry: Registry,
): () => Promise<{ text: string; scope: 'cluster' | 'worker' }> {
  AggregatorRegistry.setRegistries([registry]);
  // Constructing one installs prom-client's worker-side listener for the primary's requests.
  new AggregatorRegistry();
  const pending = new Map<number, (message: Answer) => void>();
  let nextId = 0;
  process.on('message', (message: Answer) => {
    if (message?.type === answer) pending.get(message.id)?.(message);
  });
  return () =>
    new Promise((resolve) => {
      const id = nextId++;
      const local = () => {
        pending.delete(id);
        clearTimeout(timer);
        registry.metrics().then((text) => resolve({ text, scope: 'worker' }));
      };
      const timer = setTimeout(local, timeoutMs);
      pending.set(id, (message) => {
        if (message.text === undefined) return local();
        pending.delete(id);
        clearTimeout(timer);
        resolve({ text: message.text, scope: 'cluster' });
      });
      process.send?.({ type: ask, id } satisfies Ask);
    });
}
