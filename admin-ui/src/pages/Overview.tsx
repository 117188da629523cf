// Overview: what each alias serves (with lineage and who promoted it), health, live operations, running jobs.
import { useEffect, useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, enc } from '../api';
import { Chart } from '../components/Chart';
import { ErrorBox, JobProgress, Loading, Section, useLoad } from '../components/Common';
import { fmt } from '../format';
import { modelKey, type AliasDetails, type AliasEvent, type Info, type Job, type ModelDetails, type Operations } from '../types';

const POLL_MS = 2000;
const KEEP = 60;

function AliasCard({ a }: { a: AliasDetails }) {
  const { t } = useTranslation();
  const target = a.alias.target;
  const model = useLoad(() => api.get<ModelDetails>('/api/v1/models/' + enc(target.name) + '/' + enc(target.version)), [modelKey(target)]);
  const events = useLoad(() => api.get<AliasEvent[]>('/api/v1/aliases/events?alias=' + enc(a.alias.alias) + '&limit=1'), [a.alias.generation]);
  const last = events.data?.[0];
  const lineage = model.data?.version.lineage;
  return (
    <div className="alias" data-alias={a.alias.alias}>
      <h3>{a.alias.alias}</h3>
      <p className="big">{modelKey(target)}</p>
      <dl>
        <dt>{t('overview.origin')}</dt>
        <dd>{model.data ? t('origin.' + model.data.version.origin) : '—'}</dd>
        <dt>{t('overview.lineage')}</dt>
        <dd>{lineage ? t('overview.lineageText', { base: modelKey(lineage.base), method: lineage.method, dataset: lineage.dataset }) : '—'}</dd>
        <dt>{t('overview.promoted')}</dt>
        <dd>{last ? t('overview.promotedText', { when: fmt.date(last.at), who: last.actor, kind: t('eventKind.' + last.kind) }) : '—'}</dd>
        <dt>{t('overview.servingHere')}</dt>
        <dd>{a.servingHere || '—'}</dd>
      </dl>
    </div>
  );
}

export function Overview() {
  const { t } = useTranslation();
  const info = useLoad(() => api.get<Info>('/api/v1/info'), []);
  const aliases = useLoad(() => api.get<AliasDetails[]>('/api/v1/aliases'), []);
  const [ops, setOps] = useState<Operations[]>([]);
  const [opsError, setOpsError] = useState<unknown>(null);
  const [jobs, setJobs] = useState<Job[]>([]);

  useEffect(() => {
    let live = true;
    const poll = async () => {
      try {
        const o = await api.get<Operations>('/api/v1/operations');
        const running = await api.get<Job[]>('/api/v1/jobs?state=RUNNING&limit=20');
        const queued = await api.get<Job[]>('/api/v1/jobs?state=QUEUED&limit=20');
        if (!live) return;
        setOps((prev) => [...prev.slice(-(KEEP - 1)), o]);
        setJobs([...running, ...queued]);
        setOpsError(null);
      } catch (e) {
        if (live) setOpsError(e);
      }
    };
    void poll();
    const timer = setInterval(poll, POLL_MS);
    return () => {
      live = false;
      clearInterval(timer);
    };
  }, []);

  const now = ops[ops.length - 1];
  const option = useMemo(() => ({
    tooltip: { trigger: 'axis' as const },
    legend: { data: [t('overview.textCalls'), t('overview.imageCalls')] },
    xAxis: { type: 'category' as const, data: ops.map((o) => fmt.date(o.at).split(' ').pop() ?? '') },
    yAxis: { type: 'value' as const, name: t('overview.callsPerSecond') },
    series: [
      { name: t('overview.textCalls'), type: 'line' as const, data: ops.map((o) => o.text.callsPerSecond), showSymbol: false },
      { name: t('overview.imageCalls'), type: 'line' as const, data: ops.map((o) => o.image.callsPerSecond), showSymbol: false },
    ],
  }), [ops, t]);

  return (
    <div>
      <h1>{t('nav.overview')}</h1>
      <Section title={t('overview.aliases')}>
        <ErrorBox error={aliases.error} />
        {!aliases.data ? <Loading /> : (
          <div className="grid-cards">{aliases.data.map((a) => <AliasCard key={a.alias.alias} a={a} />)}</div>
        )}
      </Section>
      <Section title={t('overview.health')}>
        <ErrorBox error={info.error} />
        {info.data && (
          <dl className="facts">
            <dt>{t('overview.status')}</dt>
            <dd><span className={'badge health-' + info.data.health}>{t('health.' + info.data.health)}</span></dd>
            <dt>{t('overview.version')}</dt><dd>{info.data.version}</dd>
            <dt>{t('overview.engine')}</dt><dd>{info.data.model?.engine ?? '—'}</dd>
            <dt>{t('overview.uptime')}</dt><dd>{fmt.seconds(info.data.uptimeSeconds)}</dd>
            <dt>{t('overview.loaded')}</dt><dd>{info.data.loadedModels.join(', ')}</dd>
            <dt>{t('overview.replica')}</dt><dd>{info.data.replica}</dd>
            <dt>{t('overview.unavailable')}</dt><dd>{info.data.unavailableCollections.length ? info.data.unavailableCollections.join(', ') : t('common.none')}</dd>
          </dl>
        )}
      </Section>
      <Section title={t('overview.operations')}>
        <ErrorBox error={opsError} />
        {now && (
          <table className="table" data-testid="operations">
            <caption className="sr-only">{t('overview.operations')}</caption>
            <thead>
              <tr>
                <th scope="col">{t('overview.lane')}</th>
                <th scope="col" className="num">{t('overview.callsPerSecond')}</th>
                <th scope="col" className="num">p50</th>
                <th scope="col" className="num">p99</th>
                <th scope="col" className="num">{t('overview.queue')}</th>
                <th scope="col" className="num">{t('overview.refused')}</th>
              </tr>
            </thead>
            <tbody>
              {(['text', 'image'] as const).map((lane) => (
                <tr key={lane}>
                  <th scope="row">{t('overview.lane_' + lane)}</th>
                  <td className="num">{fmt.num(now[lane].callsPerSecond, 1)}</td>
                  <td className="num">{now[lane].latencyP50Ms === null ? '—' : fmt.num(now[lane].latencyP50Ms, 1) + ' ms'}</td>
                  <td className="num">{now[lane].latencyP99Ms === null ? '—' : fmt.num(now[lane].latencyP99Ms, 1) + ' ms'}</td>
                  <td className="num">{fmt.int(now[lane].preprocessQueue + now[lane].encoderQueue)}</td>
                  <td className="num">{fmt.int(now[lane].refused)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        {now && <p className="muted">{t('overview.windows', { rate: now.rateWindowSeconds, latency: now.latencyWindowSeconds })}</p>}
        {ops.length > 1 && <Chart option={option} label={t('overview.callsChart')} height={200} />}
      </Section>
      <Section title={t('overview.jobs')}>
        {jobs.length === 0 ? <p className="muted">{t('overview.noJobs')}</p> : jobs.map((j) => <JobProgress key={j.id} jobId={j.id} />)}
      </Section>
    </div>
  );
}
