// Evaluations: start one (a job), the stored reports, and one report's KPIs with its per-class table.
import { useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { api, enc } from '../api';
import { ErrorBox, JobProgress, Loading, Section, useLoad } from '../components/Common';
import { DatasetOptions, ModelOptions, useDatasets, useModelKeys } from '../components/Pickers';
import { SortableTable } from '../components/SortableTable';
import { fmt } from '../format';
import { go, type Route } from '../router';
import type { ClassRow, Job, Report } from '../types';

export const KPI_FIELDS: { key: keyof Report['summary']; label: string }[] = [
  { key: 'i2iMap', label: 'I2I mAP' },
  { key: 'i2iRecallAt1', label: 'I2I R@1' },
  { key: 'knnAccuracy', label: 'k-NN' },
  { key: 'zeroShotAccuracy', label: 'zero-shot' },
  { key: 't2iRecallAt1', label: 'T2I R@1' },
  { key: 't2iRecallAt5', label: 'T2I R@5' },
  { key: 't2iRecallAt10', label: 'T2I R@10' },
];

function StartEvaluation() {
  const { t } = useTranslation();
  const datasets = useDatasets();
  const models = useModelKeys();
  const [model, setModel] = useState('');
  const [dataset, setDataset] = useState('');
  const [split, setSplit] = useState('test');
  const [error, setError] = useState<unknown>(null);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    try {
      const job = await api.post<Job>('/api/v1/evaluations', { model: model || undefined, dataset, split });
      go('evaluations?job=' + enc(job.id));
    } catch (err) {
      setError(err);
    }
  };
  return (
    <form className="form inline" onSubmit={submit} aria-label={t('evaluations.start')}>
      <label>{t('finetune.baseModel')}
        <select value={model} onChange={(e) => setModel(e.target.value)} name="model">
          <option value="">{t('finetune.serving')}</option>
          <ModelOptions keys={models} />
        </select>
      </label>
      <label>{t('finetune.dataset')}
        <select value={dataset} onChange={(e) => setDataset(e.target.value)} required name="dataset">
          <option value="">{t('common.choose')}</option>
          <DatasetOptions datasets={datasets.data} />
        </select>
      </label>
      <label>{t('evaluations.split')}
        <select value={split} onChange={(e) => setSplit(e.target.value)} name="split">
          {['test', 'validation', 'train'].map((s) => <option key={s} value={s}>{t('split.' + s.toUpperCase())}</option>)}
        </select>
      </label>
      <button type="submit">{t('evaluations.start')}</button>
      <ErrorBox error={error} />
    </form>
  );
}

function ReportList() {
  const { t } = useTranslation();
  const reports = useLoad(() => api.get<Report[]>('/api/v1/reports?limit=100'), []);
  const [picked, setPicked] = useState<string[]>([]);
  if (reports.error) return <ErrorBox error={reports.error} />;
  if (!reports.data) return <Loading />;
  if (reports.data.length === 0) return <p className="muted">{t('evaluations.none')}</p>;
  const toggle = (id: string) => setPicked((p) => (p.includes(id) ? p.filter((x) => x !== id) : [...p.slice(-1), id]));
  return (
    <div>
      <p className="hint">{t('evaluations.pickTwo')}</p>
      <button type="button" disabled={picked.length !== 2} onClick={() => go('compare?before=' + enc(picked[0]) + '&after=' + enc(picked[1]))}>
        {t('evaluations.compare')}
      </button>
      <table className="table" data-testid="reports">
        <caption className="sr-only">{t('evaluations.reports')}</caption>
        <thead><tr>
          <th scope="col">{t('evaluations.pick')}</th><th scope="col">{t('evaluations.report')}</th><th scope="col">{t('evaluations.model')}</th>
          <th scope="col">{t('finetune.dataset')}</th><th scope="col">{t('evaluations.split')}</th>
          {KPI_FIELDS.map((k) => <th scope="col" className="num" key={k.key}>{k.label}</th>)}
        </tr></thead>
        <tbody>{reports.data.map((r) => (
          <tr key={r.id}>
            <td><input type="checkbox" aria-label={t('evaluations.pickReport', { id: r.id })} checked={picked.includes(r.id)} onChange={() => toggle(r.id)} /></td>
            <td><a href={'#/reports/' + enc(r.id)}>{r.id}</a><br /><span className="muted">{fmt.date(r.createdAt)}</span></td>
            <td>{r.model}</td><td>{r.dataset}</td><td>{r.split}</td>
            {KPI_FIELDS.map((k) => <td className="num" key={k.key}>{fmt.num(r.summary[k.key] as number | null)}</td>)}
          </tr>))}
        </tbody>
      </table>
    </div>
  );
}

export function Evaluations({ route }: { route: Route }) {
  const { t } = useTranslation();
  const job = route.query.get('job');
  return (
    <div>
      <h1>{t('nav.evaluations')}</h1>
      <Section title={t('evaluations.start')}>
        <StartEvaluation />
        {job && <JobProgress jobId={job} onEnd={(j) => j.state === 'SUCCEEDED' && j.result?.reportId && go('reports/' + enc(String(j.result.reportId)))} />}
      </Section>
      <Section title={t('evaluations.reports')}><ReportList /></Section>
    </div>
  );
}

export function ReportPage({ id }: { id: string }) {
  const { t } = useTranslation();
  const r = useLoad(() => api.get<Report>('/api/v1/reports/' + enc(id)), [id]);
  if (r.error) return <ErrorBox error={r.error} />;
  if (!r.data) return <Loading />;
  const rep = r.data;
  const o = rep.operations;
  return (
    <div>
      <h1>{t('evaluations.reportTitle', { id })}</h1>
      <p className="muted">{t('evaluations.reportOf', { model: rep.model, dataset: rep.dataset, split: rep.split, images: fmt.int(rep.images), classes: rep.classes })}</p>
      <Section title={t('evaluations.kpis')}>
        <div className="kpis">
          {KPI_FIELDS.map((k) => (
            <div className="kpi" key={k.key}><span className="kpi-label">{k.label}</span><span className="kpi-value">{fmt.num(rep.summary[k.key] as number | null)}</span></div>
          ))}
        </div>
      </Section>
      <Section title={t('evaluations.operations')}>
        <dl className="facts">
          <dt>{t('evaluations.throughput')}</dt><dd>{fmt.num(o.imagesPerSecond, 1)}</dd>
          <dt>{t('evaluations.latency')}</dt><dd>{fmt.num(o.callLatencyP50Ms, 1)} / {fmt.num(o.callLatencyP99Ms, 1)} ms</dd>
          <dt>{t('evaluations.bytes')}</dt><dd>{fmt.int(o.bytesPerEmbedding)}</dd>
          <dt>{t('evaluations.embedded')}</dt><dd>{fmt.int(o.embeddedImages)} / {fmt.int(o.cachedImages)}</dd>
        </dl>
      </Section>
      <Section title={t('evaluations.perClass')}>
        <SortableTable<ClassRow> rows={rep.perClass} caption={t('evaluations.perClass')} columns={[
          { key: 'label', label: t('datasets.class'), value: (c) => c.label },
          { key: 'images', label: t('datasets.images'), value: (c) => c.images, numeric: true },
          { key: 'i2iMap', label: 'I2I AP', value: (c) => c.i2iMap, render: (c) => fmt.num(c.i2iMap), numeric: true },
          { key: 'i2iRecallAt1', label: 'I2I R@1', value: (c) => c.i2iRecallAt1, render: (c) => fmt.num(c.i2iRecallAt1), numeric: true },
          { key: 'knn', label: 'k-NN', value: (c) => c.knnAccuracy, render: (c) => fmt.num(c.knnAccuracy), numeric: true },
          { key: 'zs', label: 'zero-shot', value: (c) => c.zeroShotAccuracy, render: (c) => fmt.num(c.zeroShotAccuracy), numeric: true },
          { key: 't2i', label: 'T2I R@5', value: (c) => c.t2iRecallAt5, render: (c) => fmt.num(c.t2iRecallAt5), numeric: true },
        ]} />
      </Section>
      {rep.notes.length > 0 && <Section title={t('evaluations.notes')}><ul>{rep.notes.map((n) => <li key={n}>{n}</li>)}</ul></Section>}
    </div>
  );
}
