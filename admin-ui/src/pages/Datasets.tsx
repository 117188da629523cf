// Datasets: import from an allowed path or by upload (with progress and the skipped files), the list, and
// one dataset's per-class counts, split sizes and thumbnails.
import { Fragment, useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { api, enc, upload } from '../api';
import { ErrorBox, JobProgress, Loading, ProgressBar, Section, useLoad } from '../components/Common';
import { fmt } from '../format';
import { useDatasets } from '../components/Pickers';
import { go, type Route } from '../router';
import type { DatasetDetails, Job } from '../types';

const SOURCES = ['FOLDER', 'MANIFEST', 'FASHION_MNIST'] as const;

function ImportForms({ onJob }: { onJob: (id: string) => void }) {
  const { t } = useTranslation();
  const [name, setName] = useState('');
  const [path, setPath] = useState('');
  const [source, setSource] = useState<string>('FOLDER');
  const [file, setFile] = useState<File | null>(null);
  const [uploadName, setUploadName] = useState('');
  const [sent, setSent] = useState<number | null>(null);
  // empty = the server's default split fractions
  const [fractions, setFractions] = useState({ train: '', validation: '', test: '' });
  const given = fractions.train !== '' || fractions.validation !== '' || fractions.test !== '';
  const fractionFields = given
    ? { trainFraction: Number(fractions.train || 0), validationFraction: Number(fractions.validation || 0), testFraction: Number(fractions.test || 0) }
    : {};
  const [error, setError] = useState<unknown>(null);

  const fromPath = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    try {
      const job = await api.post<Job>('/api/v1/datasets', { name, path, source, ...fractionFields });
      onJob(job.id);
    } catch (err) {
      setError(err);
    }
  };
  const fromUpload = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    if (!file) return;
    const form = new FormData();
    form.append('name', uploadName);
    form.append('file', file);
    for (const [k, v] of Object.entries(fractionFields)) form.append(k, String(v));
    try {
      setSent(0);
      const job = await upload<Job>('/api/v1/datasets/upload', form, setSent);
      setSent(null);
      onJob(job.id);
    } catch (err) {
      setSent(null);
      setError(err);
    }
  };
  const fractionInputs = (
    <fieldset className="fractions">
      <legend>{t('datasets.fractions')}</legend>
      {(['train', 'validation', 'test'] as const).map((k) => (
        <label key={k}>{t('split.' + k.toUpperCase())}
          <input type="number" min={0} max={1} step="any" value={fractions[k]} placeholder={t('finetune.serverDefault')}
            name={k + 'Fraction'} onChange={(e) => setFractions({ ...fractions, [k]: e.target.value })} />
        </label>
      ))}
    </fieldset>
  );
  return (
    <div>
    {fractionInputs}
    <div className="two-col">
      <form onSubmit={fromPath} className="form" aria-label={t('datasets.fromPath')}>
        <h3>{t('datasets.fromPath')}</h3>
        <label>{t('datasets.name')}<input value={name} onChange={(e) => setName(e.target.value)} required name="name" /></label>
        <label>{t('datasets.path')}<input value={path} onChange={(e) => setPath(e.target.value)} required name="path" /></label>
        <label>{t('datasets.source')}
          <select value={source} onChange={(e) => setSource(e.target.value)} name="source">
            {SOURCES.map((s) => <option key={s} value={s}>{t('source.' + s)}</option>)}
          </select>
        </label>
        <p className="hint">{t('datasets.pathHint')}</p>
        <button type="submit">{t('datasets.import')}</button>
      </form>
      <form onSubmit={fromUpload} className="form" aria-label={t('datasets.byUpload')}>
        <h3>{t('datasets.byUpload')}</h3>
        <label>{t('datasets.name')}<input value={uploadName} onChange={(e) => setUploadName(e.target.value)} required name="uploadName" /></label>
        <label>{t('datasets.zip')}<input type="file" accept=".zip,application/zip" name="file" onChange={(e) => setFile(e.target.files?.[0] ?? null)} required /></label>
        <p className="hint">{t('datasets.zipHint')}</p>
        {sent !== null && <ProgressBar fraction={sent} label={t('datasets.uploading')} />}
        <button type="submit" disabled={sent !== null}>{t('datasets.upload')}</button>
      </form>
    </div>
    <ErrorBox error={error} />
    </div>
  );
}

function ImportResult({ job }: { job: Job }) {
  const { t } = useTranslation();
  const name = (job.result?.name as string) ?? (job.request?.name as string);
  const details = useLoad(() => (name ? api.get<DatasetDetails>('/api/v1/datasets/' + enc(name) + '?limit=1&skipped=200') : Promise.resolve(null)), [name]);
  if (job.state !== 'SUCCEEDED' || !details.data) return null;
  const d = details.data;
  return (
    <div className="result" data-testid="import-result">
      <p>{t('datasets.imported', { name: d.name, images: fmt.int(d.images), skipped: fmt.int(d.skippedTotal) })}</p>
      {d.skipped.length > 0 && (
        <details>
          <summary>{t('datasets.skippedList', { count: d.skippedTotal })}</summary>
          <ul className="skipped">{d.skipped.map((s) => <li key={s.ref}><code>{s.ref}</code> — {s.reason}</li>)}</ul>
        </details>
      )}
      <a href={'#/datasets/' + enc(d.name)}>{t('datasets.open')}</a>
    </div>
  );
}

export function Datasets({ route }: { route: Route }) {
  const { t } = useTranslation();
  const list = useDatasets();
  const jobId = route.query.get('job');
  const [ended, setEnded] = useState<Job | null>(null);
  if (route.parts[1]) return <DatasetPage name={route.parts[1]} />;
  return (
    <div>
      <h1>{t('nav.datasets')}</h1>
      <Section title={t('datasets.import')}>
        <ImportForms onJob={(id) => { setEnded(null); go('datasets?job=' + enc(id)); }} />
        {jobId && <JobProgress jobId={jobId} onEnd={(j) => { setEnded(j); list.reload(); }} />}
        {ended && <ImportResult job={ended} />}
      </Section>
      <Section title={t('datasets.list')}>
        <ErrorBox error={list.error} />
        {!list.data ? <Loading /> : list.data.length === 0 ? <p className="muted">{t('datasets.none')}</p> : (
          <table className="table">
            <caption className="sr-only">{t('datasets.list')}</caption>
            <thead><tr>
              <th scope="col">{t('datasets.name')}</th><th scope="col">{t('datasets.source')}</th>
              <th scope="col" className="num">{t('datasets.images')}</th><th scope="col" className="num">{t('datasets.classes')}</th>
              <th scope="col" className="num">{t('datasets.skipped')}</th><th scope="col">{t('common.created')}</th>
            </tr></thead>
            <tbody>{list.data.map((d) => (
              <tr key={d.id}>
                <td><a href={'#/datasets/' + enc(d.name)}>{d.name}</a></td><td>{d.source}</td>
                <td className="num">{fmt.int(d.items)}</td><td className="num">{fmt.int(d.classes)}</td>
                <td className="num">{fmt.int(d.skipped)}</td><td>{fmt.date(d.createdAt)}</td>
              </tr>))}
            </tbody>
          </table>
        )}
      </Section>
    </div>
  );
}

const PER_CLASS = 8;
const PAGE = 500;
const MAX_PAGES = 20;

/** The dataset and up to PER_CLASS item ids per class, paging through its items until every class has enough. */
async function loadDataset(name: string): Promise<DatasetDetails & { thumbs: Map<string, string[]> }> {
  const first = await api.get<DatasetDetails>('/api/v1/datasets/' + enc(name) + '?limit=' + PAGE);
  const thumbs = new Map<string, string[]>(first.classes.map((c) => [c.label, []]));
  let page = first.items;
  for (let n = 0; n < MAX_PAGES; n++) {
    for (const it of page.items) {
      const ids = thumbs.get(it.label) ?? [];
      if (ids.length < PER_CLASS) ids.push(it.id);
      thumbs.set(it.label, ids);
    }
    const full = [...thumbs.values()].every((ids) => ids.length >= PER_CLASS);
    if (full || page.offset + page.items.length >= page.total) break;
    page = (await api.get<DatasetDetails>('/api/v1/datasets/' + enc(name) + '?limit=' + PAGE + '&offset=' + (page.offset + PAGE))).items;
  }
  return { ...first, thumbs };
}

function DatasetPage({ name }: { name: string }) {
  const { t } = useTranslation();
  const d = useLoad(() => loadDataset(name), [name]);
  if (d.error) return <ErrorBox error={d.error} />;
  if (!d.data) return <Loading />;
  const byClass = d.data.thumbs;
  return (
    <div>
      <h1>{t('datasets.title', { name })}</h1>
      <Section title={t('datasets.splits')}>
        <dl className="facts">
          {Object.entries(d.data.splits).map(([s, n]) => (<Fragment key={s}><dt>{t('split.' + s)}</dt><dd>{fmt.int(n)}</dd></Fragment>))}
          <dt>{t('datasets.splitKind')}</dt><dd>{d.data.splitKind}</dd>
          <dt>{t('datasets.seed')}</dt><dd>{d.data.seed}</dd>
        </dl>
      </Section>
      <Section title={t('datasets.perClass')}>
        <table className="table">
          <caption className="sr-only">{t('datasets.perClass')}</caption>
          <thead><tr>
            <th scope="col">{t('datasets.class')}</th><th scope="col" className="num">{t('datasets.images')}</th>
            <th scope="col" className="num">{t('split.TRAIN')}</th><th scope="col" className="num">{t('split.VALIDATION')}</th>
            <th scope="col" className="num">{t('split.TEST')}</th>
          </tr></thead>
          <tbody>{d.data.classes.map((c) => (
            <tr key={c.label}><th scope="row">{c.label}</th><td className="num">{fmt.int(c.images)}</td><td className="num">{fmt.int(c.train)}</td>
              <td className="num">{fmt.int(c.validation)}</td><td className="num">{fmt.int(c.test)}</td></tr>))}
          </tbody>
        </table>
      </Section>
      <Section title={t('datasets.thumbnails')}>
        {[...byClass.entries()].map(([label, ids]) => (
          <div key={label} className="class-row">
            <h3>{label}</h3>
            <div className="thumbs">
              {ids.map((id) => <img key={id} src={'/api/v1/datasets/' + enc(name) + '/items/' + enc(id) + '/image?size=96'} alt={label + ' ' + id} loading="lazy" width={96} height={96} />)}
            </div>
          </div>
        ))}
      </Section>
    </div>
  );
}
