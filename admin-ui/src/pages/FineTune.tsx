// Fine-tuning: the form that starts a run (with what each method does and the server's time estimate), and
// the run list with each run's configuration and outcome, optionally only the settings that differ.
import { useEffect, useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { api, enc } from '../api';
import { ErrorBox, Loading, Section, useLoad } from '../components/Common';
import { DatasetOptions, ModelOptions, useDatasets, useModelKeys } from '../components/Pickers';
import { fmt } from '../format';
import { go } from '../router';
import type { Run } from '../types';

export const METHODS = ['GPR_FT', 'TWO_SFT', 'MCIP', 'MCIP_REA'] as const;
const TRAINABLE = ['PROJECTION', 'LAST_BLOCKS', 'ALL'] as const;
const CAPTIONS = ['DATASET', 'LABEL_TEMPLATES', 'MINED'] as const;

interface Estimate { seconds: number | null; basis: string | null; trainImages: number }

function StartForm() {
  const { t } = useTranslation();
  const datasets = useDatasets();
  const models = useModelKeys();
  // empty = unset: the server fills in its defaults (and shows them in the run's configuration)
  const [form, setForm] = useState({
    dataset: '', baseModel: '', method: '', trainable: '', epochs: '', learningRate: '', captions: '', maxTrainImages: '',
  });
  const [estimate, setEstimate] = useState<Estimate | null>(null);
  const [error, setError] = useState<unknown>(null);
  const set = (k: keyof typeof form) => (e: { target: { value: string } }) => setForm({ ...form, [k]: e.target.value });
  const num = (v: string) => (v === '' ? undefined : Number(v));
  const body = () => ({
    dataset: form.dataset, baseModel: form.baseModel || undefined, method: form.method || undefined,
    trainable: form.trainable || undefined, epochs: num(form.epochs), learningRate: num(form.learningRate),
    captions: form.captions || undefined, maxTrainImages: num(form.maxTrainImages),
  });
  useEffect(() => {
    if (!form.dataset) return;
    let live = true;
    api.post<Estimate>('/api/v1/runs/estimate', body()).then((e) => live && setEstimate(e), () => live && setEstimate(null));
    return () => { live = false; };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [form]);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    try {
      const run = await api.post<Run>('/api/v1/runs', body());
      go('runs/' + enc(run.id));
    } catch (err) {
      setError(err);
    }
  };
  return (
    <form onSubmit={submit} className="form wide" aria-label={t('finetune.start')}>
      <label>{t('finetune.dataset')}
        <select value={form.dataset} onChange={set('dataset')} required name="dataset">
          <option value="">{t('common.choose')}</option>
          <DatasetOptions datasets={datasets.data} />
        </select>
      </label>
      <label>{t('finetune.baseModel')}
        <select value={form.baseModel} onChange={set('baseModel')} name="baseModel">
          <option value="">{t('finetune.serving')}</option>
          <ModelOptions keys={models} />
        </select>
      </label>
      <fieldset>
        <legend>{t('finetune.method')}</legend>
        <p className="hint">{t('finetune.methodDefault')}</p>
        {METHODS.map((m) => (
          <label key={m} className="radio">
            <input type="radio" name="method" value={m} checked={form.method === m} onChange={set('method')} />
            <strong>{t('method.' + m)}</strong> — {t('methodHelp.' + m)}
          </label>
        ))}
      </fieldset>
      <label>{t('finetune.trainable')}
        <select value={form.trainable} onChange={set('trainable')} name="trainable">
          <option value="">{t('finetune.serverDefault')}</option>
          {TRAINABLE.map((x) => <option key={x} value={x}>{t('trainable.' + x)}</option>)}
        </select>
      </label>
      <label>{t('finetune.epochs')}<input type="number" min={1} max={1000} value={form.epochs} onChange={set('epochs')} name="epochs" placeholder={t('finetune.serverDefault')} /></label>
      <label>{t('finetune.learningRate')}<input type="number" step="any" min={0} value={form.learningRate} onChange={set('learningRate')} name="learningRate" placeholder={t('finetune.serverDefault')} /></label>
      <label>{t('finetune.captions')}
        <select value={form.captions} onChange={set('captions')} name="captions">
          <option value="">{t('finetune.captionsDefault')}</option>
          {CAPTIONS.map((x) => <option key={x} value={x}>{t('captions.' + x)}</option>)}
        </select>
      </label>
      <label>{t('finetune.maxImages')}<input type="number" min={0} value={form.maxTrainImages} onChange={set('maxTrainImages')} name="maxTrainImages" placeholder={t('finetune.allImages')} /></label>
      <p className="hint" data-testid="estimate">
        {estimate === null ? t('finetune.noEstimate') : estimate.seconds === null
          ? t('finetune.estimateUnknown', { images: fmt.int(estimate.trainImages) })
          : t('finetune.estimate', { time: fmt.seconds(estimate.seconds), images: fmt.int(estimate.trainImages), basis: estimate.basis })}
      </p>
      <button type="submit">{t('finetune.start')}</button>
      <ErrorBox error={error} />
    </form>
  );
}

function flatten(config: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(config)) out[k] = typeof v === 'object' ? JSON.stringify(v) : String(v);
  return out;
}

function RunList() {
  const { t } = useTranslation();
  const runs = useLoad(() => api.get<Run[]>('/api/v1/runs?limit=50'), []);
  const [differ, setDiffer] = useState(false);
  if (runs.error) return <ErrorBox error={runs.error} />;
  if (!runs.data) return <Loading />;
  if (runs.data.length === 0) return <p className="muted">{t('finetune.noRuns')}</p>;
  const configs = runs.data.map((r) => flatten(r.config ?? {}));
  const keys = [...new Set(configs.flatMap((c) => Object.keys(c)))].sort();
  const shown = differ ? keys.filter((k) => new Set(configs.map((c) => c[k])).size > 1) : keys;
  return (
    <div>
      <label className="toggle">
        <input type="checkbox" checked={differ} onChange={(e) => setDiffer(e.target.checked)} name="differ" />
        {t('finetune.onlyDiffer')}
      </label>
      <div className="scroll-x">
        <table className="table" data-testid="runs">
          <caption className="sr-only">{t('finetune.runs')}</caption>
          <thead><tr>
            <th scope="col">{t('finetune.run')}</th><th scope="col">{t('common.state')}</th><th scope="col">{t('finetune.result')}</th>
            {shown.map((k) => <th scope="col" key={k}>{k}</th>)}
          </tr></thead>
          <tbody>{runs.data.map((r, i) => (
            <tr key={r.id}>
              <td><a href={'#/runs/' + enc(r.id)}>{r.id}</a><br /><span className="muted">{fmt.date(r.createdAt)}</span></td>
              <td><span className={'badge state-' + r.state}>{t('state.' + r.state)}</span></td>
              <td>{r.resultModel ?? (r.error ? <span className="warn">{r.error}</span> : '—')}</td>
              {shown.map((k) => <td key={k}>{configs[i][k] ?? '—'}</td>)}
            </tr>))}
          </tbody>
        </table>
      </div>
    </div>
  );
}

export function FineTune() {
  const { t } = useTranslation();
  return (
    <div>
      <h1>{t('nav.finetune')}</h1>
      <Section title={t('finetune.start')}><StartForm /></Section>
      <Section title={t('finetune.runs')}><RunList /></Section>
    </div>
  );
}
