// One run, live: stage, step, ETA, loss and learning-rate curves, validation KPIs as they arrive, cancel;
// when it ends, its reports and PoC report. A reload re-attaches (the stream starts with the run as it is).
import { useEffect, useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, ApiError, enc } from '../api';
import { Chart } from '../components/Chart';
import { ErrorBox, Loading, ProgressBar, Section } from '../components/Common';
import { fmt } from '../format';
import { watch } from '../sse';
import { ended as finished, type Point, type Run, type RunEvent } from '../types';

interface Step { step: number; stage: string; loss: number | null; lr: number | null }

export function RunPage({ id }: { id: string }) {
  const { t } = useTranslation();
  const [run, setRun] = useState<Run | null>(null);
  const [steps, setSteps] = useState<Step[]>([]);
  const [points, setPoints] = useState<Point[]>([]);
  const [eta, setEta] = useState<number | null>(null);
  const [connected, setConnected] = useState(true);
  const [error, setError] = useState<unknown>(null);

  useEffect(() => {
    setSteps([]);
    const w = watch<RunEvent>('/api/v1/runs/' + enc(id) + '/events', (e) => {
      if (e.type === 'snapshot' && e.run) {
        setRun(e.run);
        setPoints(e.run.history ?? []);
      } else if (e.type === 'progress') {
        setRun((r) => (r ? { ...r, stage: e.stage ?? r.stage, step: e.step ?? r.step, totalSteps: e.totalSteps ?? r.totalSteps, state: 'RUNNING' } : r));
        setSteps((s) => [...s, { step: e.step ?? 0, stage: e.stage ?? '', loss: e.loss, lr: e.learningRate }]);
        setEta(e.etaSeconds);
      } else if (e.type === 'validation' && e.point) {
        const p = e.point;
        setPoints((ps) => [...ps, p]);
      }
    }, (e) => e.type === 'snapshot' && !!e.run && finished(e.run.state), setConnected);
    return () => w.close();
  }, [id]);

  const lossOption = useMemo(() => ({
    tooltip: { trigger: 'axis' as const },
    legend: { data: [t('run.loss'), t('run.learningRate')] },
    xAxis: { type: 'category' as const, data: steps.map((_, i) => i + 1), name: t('run.step') },
    yAxis: [{ type: 'value' as const, name: t('run.loss') }, { type: 'value' as const, name: t('run.learningRate') }],
    series: [
      { name: t('run.loss'), type: 'line' as const, data: steps.map((s) => s.loss), showSymbol: false },
      { name: t('run.learningRate'), type: 'line' as const, yAxisIndex: 1, data: steps.map((s) => s.lr), showSymbol: false },
    ],
  }), [steps, t]);

  if (!run) return error ? <ErrorBox error={error} /> : <Loading />;
  const ended = finished(run.state);
  const kpiNames = [...new Set(points.flatMap((p) => Object.keys(p.kpis ?? {})))];
  const cancel = async () => {
    try {
      setRun(await api.post<Run>('/api/v1/runs/' + enc(id) + '/cancel'));
    } catch (e) {
      setError(e);
    }
  };
  return (
    <div>
      <h1>{t('run.title', { id })}</h1>
      <Section title={t('run.status')} actions={!ended && <button type="button" onClick={cancel}>{t('run.cancel')}</button>}>
        <div className="job-line" data-testid="run-status" data-state={run.state}>
          <span className={'badge state-' + run.state}>{t('state.' + run.state)}</span>
          <span>{t('run.stage')}: {run.stage || '—'}</span>
          <span>{t('run.stepOf', { step: fmt.int(run.step), total: fmt.int(run.totalSteps) })}</span>
          {!ended && eta !== null && eta >= 0 && <span>{t('common.eta', { time: fmt.seconds(eta) })}</span>}
          {!connected && <span className="warn">{t('common.reconnecting')}</span>}
        </div>
        <ProgressBar fraction={ended && run.state === 'SUCCEEDED' ? 1 : run.totalSteps ? run.step / run.totalSteps : 0} label={t('common.progress')} />
        {run.error && <ErrorBox error={new ApiError('RUN_FAILED', 0, run.error)} />}
        <ErrorBox error={error} />
        {run.state === 'SUCCEEDED' && (
          <p className="links">
            {t('run.result', { model: run.resultModel })}{' '}
            {run.baseReportId && run.tunedReportId && (
              <>
                <a href={'#/compare?before=' + enc(run.baseReportId) + '&after=' + enc(run.tunedReportId)}>{t('run.compare')}</a>{' · '}
                <a href={'#/poc/' + enc(run.id)}>{t('run.poc')}</a>
              </>
            )}
          </p>
        )}
      </Section>
      <Section title={t('run.curves')}>
        {steps.length === 0 ? <p className="muted">{t('run.noSteps')}</p> : <Chart option={lossOption} label={t('run.curves')} />}
      </Section>
      <Section title={t('run.validations')}>
        {points.length === 0 ? <p className="muted">{t('run.noValidations')}</p> : (
          <table className="table" data-testid="validations">
            <caption className="sr-only">{t('run.validations')}</caption>
            <thead><tr>
              <th scope="col">{t('run.stage')}</th><th scope="col" className="num">{t('run.step')}</th>
              <th scope="col" className="num">{t('run.loss')}</th>
              {kpiNames.map((k) => <th scope="col" className="num" key={k}>{k}</th>)}
              <th scope="col">{t('run.best')}</th>
            </tr></thead>
            <tbody>{points.map((p, i) => (
              <tr key={i}><td>{p.stage}</td><td className="num">{fmt.int(p.step)}</td><td className="num">{fmt.num(p.loss)}</td>
                {kpiNames.map((k) => <td className="num" key={k}>{fmt.num(p.kpis?.[k])}</td>)}
                <td>{p.best ? '★' : ''}</td></tr>))}
            </tbody>
          </table>
        )}
      </Section>
      <Section title={t('run.config')}>
        <pre className="config" tabIndex={0} aria-label={t('run.config')}>{JSON.stringify(run.config, null, 2)}</pre>
        {Object.keys(run.stageSeconds ?? {}).length > 0 && (
          <dl className="facts">{Object.entries(run.stageSeconds).map(([k, v]) => <div key={k}><dt>{k}</dt><dd>{fmt.seconds(v)}</dd></div>)}</dl>
        )}
      </Section>
    </div>
  );
}
