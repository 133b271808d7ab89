/**
 * Prometheus metrics of a server (prom-client, its own registry): queue depth and jobs
 * running, proofs completed and failed, proof latency (job created → receipt on disk),
 * inferences answered and HTTP responses by route and status.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { BackendCounts, JobListener } from './job.js';

/** The server's metrics. */
export class ServeMetrics {
  readonly registry = new Registry();
  readonly proofs: Counter<'outcome'>;
  readonly latency: Histogram;
  readonly inferences: Counter;
  readonly submitted: Counter;
  readonly responses: Counter<'route' | 'status'>;

  /** @param counts read at each scrape for the queue gauges */
  constructor(counts: () => Promise<BackendCounts>) {
    collectDefaultMetrics({ register: this.registry, prefix: 'zkinfer_' });
    const registers = [this.registry];
    let last: Promise<BackendCounts> | undefined;
    const read = () => (last ??= counts().finally(() => setImmediate(() => (last = undefined))));
    new Gauge({
      name: 'zkinfer_queue_depth',
      help: 'proof jobs accepted and not started (waiting or delayed for a retry)',
      registers,
      collect: async function () {
        this.set((await read()).waiting);
      },
    });
    new Gauge({
      name: 'zkinfer_jobs_active',
      help: 'proof jobs being proven',
      registers,
      collect: async function () {
        this.set((await read()).active);
      },
    });
    this.proofs = new Counter({ name: 'zkinfer_proofs_total', help: 'proof jobs finished, by outcome (completed or failed after its last attempt)', labelNames: ['outcome'], registers });
    this.proofs.inc({ outcome: 'completed' }, 0);
    this.proofs.inc({ outcome: 'failed' }, 0);
    this.latency = new Histogram({
      name: 'zkinfer_proof_latency_seconds',
      help: "time from a proof job's creation to its receipt on disk",
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
      registers,
    });
    this.inferences = new Counter({ name: 'zkinfer_inferences_total', help: 'attested receipts answered by POST /v1/infer', registers });
    this.submitted = new Counter({ name: 'zkinfer_jobs_submitted_total', help: 'proof jobs submitted (a repeated request counts again; it finds the same job)', registers });
    this.responses = new Counter({ name: 'zkinfer_http_responses_total', help: 'HTTP responses by route and status code', labelNames: ['route', 'status'], registers });
  }

  /** The listener a job backend calls when a job finishes. */
  readonly onJob: JobListener = ({ outcome, latencyMs }) => {
    this.proofs.inc({ outcome });
    if (outcome === 'completed' && latencyMs !== undefined) this.latency.observe(latencyMs / 1000);
  };
}
