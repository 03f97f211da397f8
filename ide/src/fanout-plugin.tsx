import type { GraphiQLPlugin } from '@graphiql/react';
import { useSyncExternalStore } from 'react';
import {
  type FanoutCall,
  type FanoutService,
  fanoutStore,
  type LastRequest,
  type ReportedError,
} from './fanout-store.js';

/** The panel's title: the sidebar button reads "Show Fan-out". */
export const fanoutTitle = 'Fan-out';

/** The GraphiQL plugin that shows the last request's fan-out report. */
export const fanoutPlugin: GraphiQLPlugin = {
  title: fanoutTitle,
  icon: FanoutIcon,
  content: FanoutPanel,
};

function FanoutIcon() {
  // A root fanning out to three leaves: the gateway calling its services.
  return (
    <svg
      viewBox="0 0 24 24"
      width="24"
      height="24"
      fill="none"
      stroke="currentColor"
      strokeWidth="1.5"
      aria-hidden="true"
    >
      <circle cx="5" cy="12" r="2.5" />
      <circle cx="19" cy="5" r="2.5" />
      <circle cx="19" cy="12" r="2.5" />
      <circle cx="19" cy="19" r="2.5" />
      <path d="M7.5 12h9M7 10.5l9.7-4.6M7 13.5l9.7 4.6" />
    </svg>
  );
}

function FanoutPanel() {
  const last = useSyncExternalStore(fanoutStore.subscribe, fanoutStore.get);
  return (
    <section className="sb-fanout" aria-label="Fan-out report">
      <div className="graphiql-doc-explorer-title">Fan-out</div>
      {last ? (
        <Report last={last} />
      ) : (
        <p className="sb-muted">Run an operation: its upstream calls show here.</p>
      )}
    </section>
  );
}

function Report({ last }: { last: LastRequest }) {
  const { fanout } = last;
  const name = last.operationName ?? 'anonymous operation';
  return (
    <>
      <p className="sb-summary" data-testid="fanout-summary">
        <strong>{name}</strong> · HTTP {last.status} · {last.at.toLocaleTimeString()}
        {fanout && (
          <>
            <br />
            {fanout.upstreamCalls ?? fanout.calls.length} upstream call(s), {fanout.upstreamMs ?? 0} ms
            upstream
            {fanout.engine ? ` · ${fanout.engine}` : ''}
          </>
        )}
      </p>
      {fanout ? (
        <Services calls={fanout.calls} services={fanout.services ?? []} errors={last.errors} />
      ) : (
        <p className="sb-muted">
          No fan-out report came back: in production the gateway sends it to admins only.
        </p>
      )}
      <UnattributedErrors errors={last.errors.filter((error) => !error.service)} />
    </>
  );
}

/** Calls grouped by service, in the order services were first called. */
function Services(props: { calls: FanoutCall[]; services: FanoutService[]; errors: ReportedError[] }) {
  const names = [
    ...new Set([...props.calls.map((c) => c.service), ...props.errors.flatMap((e) => e.service ?? [])]),
  ];
  if (names.length === 0)
    return <p className="sb-muted">No upstream call: everything came from the gateway.</p>;
  // The timeline's scale: the end of the last call.
  const end = Math.max(1, ...props.calls.map((call) => call.startMs + call.durationMs));
  return (
    <>
      {names.map((service) => (
        <ServiceBlock
          key={service}
          service={service}
          calls={props.calls.filter((call) => call.service === service)}
          state={props.services.find((s) => s.service === service)}
          errors={props.errors.filter((error) => error.service === service)}
          end={end}
        />
      ))}
    </>
  );
}

function ServiceBlock(props: {
  service: string;
  calls: FanoutCall[];
  state?: FanoutService;
  errors: ReportedError[];
  end: number;
}) {
  const { state } = props;
  return (
    <div className="sb-service" data-service={props.service}>
      <h3>
        {props.service}
        {state?.breaker && (
          <span className={`sb-badge sb-breaker-${state.breaker}`}>breaker {state.breaker}</span>
        )}
        {state?.ejectedReplicas ? (
          <span className="sb-badge">{state.ejectedReplicas} replica(s) out</span>
        ) : null}
      </h3>
      <ul className="sb-calls">
        {props.calls.map((call) => (
          <Call
            key={`${call.method} ${call.path} ${call.startMs} ${call.retry ?? 0}`}
            call={call}
            end={props.end}
          />
        ))}
      </ul>
      {props.errors.length > 0 && (
        <ul className="sb-errors">
          {props.errors.map((error) => (
            <ErrorLine key={errorKey(error)} error={error} />
          ))}
        </ul>
      )}
    </div>
  );
}

function Call({ call, end }: { call: FanoutCall; end: number }) {
  const failed = call.outcome !== 'ok';
  return (
    <li className={failed ? 'sb-call sb-failed' : 'sb-call'}>
      <div className="sb-call-line">
        <code>
          {call.method} {call.path}
        </code>
        <span className="sb-tags">
          {call.batchSize !== undefined && <span className="sb-tag">batch {call.batchSize}</span>}
          {call.retry ? <span className="sb-tag sb-warn">retry {call.retry}</span> : null}
          {call.cacheHit && <span className="sb-tag sb-hit">{cacheLabel(call)}</span>}
          <span className={failed ? 'sb-tag sb-bad' : 'sb-tag'}>
            {call.status || '—'} {failed ? call.outcome : ''}
          </span>
          <span className="sb-tag">{call.durationMs} ms</span>
        </span>
      </div>
      {/* Where the call sat in the request: the bar starts at its start and spans its duration. */}
      <div className="sb-timeline" aria-hidden="true">
        <div
          className="sb-bar"
          style={{
            marginLeft: `${(call.startMs / end) * 100}%`,
            width: `${Math.max(0.5, (call.durationMs / end) * 100)}%`,
          }}
        />
      </div>
    </li>
  );
}

function cacheLabel(call: FanoutCall): string {
  if (call.servedFrom === 'entity-cache') return `entity cache: ${call.entityHits ?? 0} hit(s)`;
  if (call.servedFrom === 'stale') return 'stale (service failing)';
  return 'HTTP cache';
}

/** One error per path (and per message where there is no path): unique in one response. */
function errorKey(error: ReportedError): string {
  return `${error.path?.join('.') ?? ''} ${error.code ?? ''} ${error.message}`;
}

function ErrorLine({ error }: { error: ReportedError }) {
  return (
    <li>
      <span className="sb-tag sb-bad">{error.code ?? 'ERROR'}</span>{' '}
      {error.path ? <code>{error.path.join('.')}</code> : null} {error.message}
    </li>
  );
}

function UnattributedErrors({ errors }: { errors: ReportedError[] }) {
  if (errors.length === 0) return null;
  return (
    <div className="sb-service" data-service="gateway">
      <h3>gateway</h3>
      <ul className="sb-errors">
        {errors.map((error) => (
          <ErrorLine key={errorKey(error)} error={error} />
        ))}
      </ul>
    </div>
  );
}
