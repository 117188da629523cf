// Models: versions with lineage and reports, aliases, the gate's verdict for a candidate rule by rule,
// promote (with an override reason when the gate fails), rollback, and the audit log of alias moves.
import { useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { api, enc } from '../api';
import { ErrorBox, Loading, Section, useLoad } from '../components/Common';
import { DatasetOptions, ModelOptions, useDatasets } from '../components/Pickers';
import { fmt } from '../format';
import { modelKey, type AliasDetails, type AliasEvent, type ModelDetails, type Verdict } from '../types';

export function VerdictTable({ verdict }: { verdict: Verdict }) {
  const { t, i18n } = useTranslation();
  return (
    <div data-testid="verdict" data-passed={verdict.passed}>
      <p className={verdict.passed ? 'ok' : 'warn'}><strong>{t(verdict.passed ? 'gate.passed' : 'gate.failed')}</strong>{' '}
        {t('gate.judged', { current: verdict.current, candidate: verdict.candidate, dataset: verdict.dataset, split: verdict.split })}</p>
      <table className="table">
        <caption className="sr-only">{t('gate.rules')}</caption>
        <thead><tr>
          <th scope="col">{t('gate.rule')}</th><th scope="col" className="num">{t('gate.current')}</th>
          <th scope="col" className="num">{t('gate.candidate')}</th><th scope="col">{t('gate.requirement')}</th><th scope="col">{t('gate.result')}</th>
        </tr></thead>
        <tbody>{verdict.rules.map((r) => (
          <tr key={r.name} className={r.passed ? undefined : 'worse'}>
            <th scope="row">{i18n.exists('gateRule.' + r.name) ? t('gateRule.' + r.name) : r.name}</th><td className="num">{fmt.num(r.current)}</td><td className="num">{fmt.num(r.candidate)}</td>
            <td>{r.requirement}{r.note ? <span className="muted"> — {r.note}</span> : null}</td>
            <td>{t(r.passed ? 'gate.rulePassed' : 'gate.ruleFailed')}</td>
          </tr>))}
        </tbody>
      </table>
    </div>
  );
}

function Promotion({ models, onMoved }: { models: ModelDetails[]; onMoved: () => void }) {
  const { t } = useTranslation();
  const datasets = useDatasets();
  const [model, setModel] = useState('');
  const [dataset, setDataset] = useState('');
  const [split, setSplit] = useState('test');
  const [reason, setReason] = useState('');
  const [override, setOverride] = useState('');
  const [reindex, setReindex] = useState(false);
  const [rebuilds, setRebuilds] = useState<{ collection: string; alias: string; target: string; jobId: string | null; note: string }[]>([]);
  const [verdict, setVerdict] = useState<Verdict | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [done, setDone] = useState<string | null>(null);
  const body = () => ({ model, dataset, split, reason, overrideReason: override || undefined, reindexCollections: reindex });
  const act = async (what: () => Promise<void>) => {
    setError(null);
    setBusy(true);
    try {
      await what();
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  const check = (e: FormEvent) => { e.preventDefault(); void act(async () => { setVerdict(await api.post<Verdict>('/api/v1/aliases/production/gate', body())); }); };
  const promote = () => act(async () => {
    const moved = await api.post<{ collections: { collection: string; alias: string; target: string; jobId: string | null; note: string }[] }>(
      '/api/v1/aliases/production/promote', body());
    setRebuilds(moved.collections ?? []);
    setDone(t('models.promotedTo', { model }));
    onMoved();
  });
  const rollback = () => act(async () => {
    await api.post('/api/v1/aliases/production/rollback', { reason });
    setDone(t('models.rolledBack'));
    onMoved();
  });
  return (
    <form className="form wide" onSubmit={check} aria-label={t('models.promotion')}>
      <label>{t('models.candidate')}
        <select value={model} onChange={(e) => setModel(e.target.value)} required name="candidate">
          <option value="">{t('common.choose')}</option>
          <ModelOptions keys={models.map((m) => modelKey(m.version.id))} />
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
          <option value="test">{t('split.TEST')}</option><option value="validation">{t('split.VALIDATION')}</option>
        </select>
      </label>
      <label>{t('models.reason')}<input value={reason} onChange={(e) => setReason(e.target.value)} name="reason" /></label>
      <button type="submit" disabled={busy}>{t('models.checkGate')}</button>
      {busy && <Loading />}
      {verdict && <VerdictTable verdict={verdict} />}
      {verdict && !verdict.passed && (
        <label>{t('models.override')}<input value={override} onChange={(e) => setOverride(e.target.value)} name="override" /></label>
      )}
      <label className="check"><input type="checkbox" checked={reindex} onChange={(e) => setReindex(e.target.checked)} name="reindex" />
        {t('models.reindex')}</label>
      <div className="actions">
        <button type="button" disabled={busy || !verdict || (!verdict.passed && !override)} onClick={promote}>{t('models.promote')}</button>
        <button type="button" className="secondary" disabled={busy} onClick={rollback}>{t('models.rollback')}</button>
      </div>
      {done && <p className="ok" role="status">{done}</p>}
      {rebuilds.length > 0 && (
        <ul data-testid="rebuilds">
          {rebuilds.map((r) => (
            <li key={r.collection}>{r.collection} → {r.target}{r.jobId ? ' (' + t('models.reindexJob', { id: r.jobId.slice(0, 8) }) + ')' : ''}: {r.note}</li>
          ))}
        </ul>
      )}
      <ErrorBox error={error} />
    </form>
  );
}

export function Models() {
  const { t } = useTranslation();
  const models = useLoad(() => api.get<ModelDetails[]>('/api/v1/models'), []);
  const aliases = useLoad(() => api.get<AliasDetails[]>('/api/v1/aliases'), []);
  const events = useLoad(() => api.get<AliasEvent[]>('/api/v1/aliases/events?limit=50'), []);
  const reload = () => { models.reload(); aliases.reload(); events.reload(); };
  return (
    <div>
      <h1>{t('nav.models')}</h1>
      <Section title={t('models.aliases')}>
        <ErrorBox error={aliases.error} />
        <ul>{aliases.data?.map((a) => <li key={a.alias.alias}><strong>{a.alias.alias}</strong> → {modelKey(a.alias.target)} <span className="muted">({t('models.generation', { n: a.alias.generation })})</span></li>)}</ul>
      </Section>
      <Section title={t('models.versions')}>
        <ErrorBox error={models.error} />
        {!models.data ? <Loading /> : (
          <table className="table" data-testid="models">
            <caption className="sr-only">{t('models.versions')}</caption>
            <thead><tr>
              <th scope="col">{t('models.version')}</th><th scope="col">{t('overview.origin')}</th><th scope="col">{t('overview.lineage')}</th>
              <th scope="col" className="num">{t('models.dimension')}</th><th scope="col" className="num">{t('models.size')}</th>
              <th scope="col">{t('models.aliasesCol')}</th><th scope="col">{t('models.reports')}</th>
            </tr></thead>
            <tbody>{models.data.map((m) => (
              <tr key={modelKey(m.version.id)}>
                <th scope="row">{modelKey(m.version.id)}{m.loaded ? <span className="badge">{t('models.loaded')}</span> : null}</th>
                <td>{t('origin.' + m.version.origin)}</td>
                <td>{m.version.lineage ? <>{t('overview.lineageText', { base: modelKey(m.version.lineage.base), method: m.version.lineage.method, dataset: m.version.lineage.dataset })} (<a href={'#/runs/' + enc(m.version.lineage.runId)}>{m.version.lineage.runId}</a>)</> : '—'}</td>
                <td className="num">{m.version.dimension}</td><td className="num">{fmt.bytes(m.version.sizeBytes)}</td>
                <td>{m.aliases.join(', ') || '—'}</td>
                <td>{m.reportIds.slice(0, 3).map((r) => <a key={r} href={'#/reports/' + enc(r)} className="chip">{r}</a>)}</td>
              </tr>))}
            </tbody>
          </table>
        )}
      </Section>
      <Section title={t('models.promotion')}>{models.data && <Promotion models={models.data} onMoved={reload} />}</Section>
      <Section title={t('models.audit')}>
        <ErrorBox error={events.error} />
        <table className="table" data-testid="audit">
          <caption className="sr-only">{t('models.audit')}</caption>
          <thead><tr>
            <th scope="col">{t('models.when')}</th><th scope="col">{t('models.event')}</th><th scope="col">{t('models.from')}</th>
            <th scope="col">{t('models.to')}</th><th scope="col">{t('models.actor')}</th><th scope="col">{t('models.reason')}</th>
          </tr></thead>
          <tbody>{events.data?.map((e) => (
            <tr key={e.id}><td>{fmt.date(e.at)}</td><td>{t('eventKind.' + e.kind)}{e.overridden ? ' (' + t('models.overridden') + ')' : ''}</td>
              <td>{modelKey(e.from)}</td><td>{modelKey(e.to)}</td><td>{e.actor}</td><td>{e.reason || '—'}</td></tr>))}
          </tbody>
        </table>
      </Section>
    </div>
  );
}
