// Search side by side: a text, an uploaded image or a dataset item ranked over a dataset's split by two model
// versions; hits of the query's class are marked and each side shows its precision@k (from the server).
import { useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { api } from '../api';
import { ErrorBox, Loading, Section, useLoad } from '../components/Common';
import { DatasetOptions, ModelOptions, useDatasets, useModelKeys } from '../components/Pickers';
import { fmt } from '../format';
import type { DatasetDetails, SideBySide } from '../types';

function readBase64(file: File): Promise<string> {
  return new Promise((resolve, reject) => {
    const r = new FileReader();
    r.onload = () => resolve(String(r.result).replace(/^data:[^,]*,/, ''));
    r.onerror = () => reject(r.error);
    r.readAsDataURL(file);
  });
}

export function Search() {
  const { t } = useTranslation();
  const datasets = useDatasets();
  const keys = useModelKeys();
  const [dataset, setDataset] = useState('');
  const classes = useLoad(() => (dataset ? api.get<DatasetDetails>('/api/v1/datasets/' + encodeURIComponent(dataset) + '?limit=1') : Promise.resolve(null)), [dataset]);
  const [left, setLeft] = useState('');
  const [right, setRight] = useState('');
  const [text, setText] = useState('');
  const [file, setFile] = useState<File | null>(null);
  const [queryClass, setQueryClass] = useState('');
  const [k, setK] = useState('12');
  const [result, setResult] = useState<SideBySide | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    setBusy(true);
    try {
      const image = file ? await readBase64(file) : undefined;
      setResult(await api.post<SideBySide>('/api/v1/search/side-by-side', {
        dataset, models: [left, right], text: file ? undefined : text, image, queryClass: queryClass || undefined, k: Number(k),
      }));
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <div>
      <h1>{t('nav.search')}</h1>
      <Section title={t('search.query')}>
        <form className="form wide" onSubmit={submit} aria-label={t('search.query')}>
          <label>{t('finetune.dataset')}
            <select value={dataset} onChange={(e) => setDataset(e.target.value)} required name="dataset">
              <option value="">{t('common.choose')}</option>
              <DatasetOptions datasets={datasets.data} />
            </select>
          </label>
          <label>{t('search.left')}
            <select value={left} onChange={(e) => setLeft(e.target.value)} required name="left">
              <option value="">{t('common.choose')}</option><ModelOptions keys={keys} />
            </select>
          </label>
          <label>{t('search.right')}
            <select value={right} onChange={(e) => setRight(e.target.value)} required name="right">
              <option value="">{t('common.choose')}</option><ModelOptions keys={keys} />
            </select>
          </label>
          <label>{t('search.text')}<input value={text} onChange={(e) => setText(e.target.value)} name="text" disabled={!!file} /></label>
          <label>{t('search.image')}<input type="file" accept="image/*" name="image" onChange={(e) => setFile(e.target.files?.[0] ?? null)} /></label>
          <label>{t('search.queryClass')}
            <select value={queryClass} onChange={(e) => setQueryClass(e.target.value)} name="queryClass">
              <option value="">{t('search.noClass')}</option>
              {classes.data?.classes.map((c) => <option key={c.label} value={c.label}>{c.label}</option>)}
            </select>
          </label>
          <label>k<input type="number" min={1} max={100} value={k} onChange={(e) => setK(e.target.value)} name="k" /></label>
          <button type="submit" disabled={busy}>{t('search.run')}</button>
          <ErrorBox error={error} />
        </form>
      </Section>
      {busy && <Loading />}
      {result && (
        <div className="two-col" data-testid="side-by-side">
          {result.sides.map((s, i) => (
            <Section key={i} title={s.model}>
              <p className="kpi-inline" data-testid={'precision-' + i}>
                {t('search.precision', { k: result.k })}: <strong>{s.precisionAtK === null ? '—' : fmt.num(s.precisionAtK, 2)}</strong>
              </p>
              <p className="muted" data-testid={'threshold-' + i}>
                {s.threshold === null ? t('search.noThreshold') : t('search.threshold', { score: fmt.num(s.threshold) })}
              </p>
              <ol className="hits">
                {s.hits.map((h) => (
                  <li key={h.id} className={h.relevant ? 'hit relevant' : 'hit'}>
                    <img src={h.image + '?size=96'} alt={h.label + ' ' + h.id} width={96} height={96} loading="lazy" />
                    <span>{h.label}{h.relevant ? ' ✓' : ''}</span>
                    <span className="muted">{fmt.num(h.score)}{s.threshold !== null && h.score >= s.threshold ? ' ' + t('search.aboveThreshold') : ''}</span>
                  </li>
                ))}
              </ol>
            </Section>
          ))}
          <p className="muted">{t('search.gallery', { images: fmt.int(result.galleryImages), dataset: result.dataset, split: t('split.' + result.split.toUpperCase()) })}</p>
        </div>
      )}
    </div>
  );
}
