// The PoC report of a run, for a meeting: recommendation against the gate, KPI changes with their interval,
// the classes that got worse, operations cost, the trade-off chart and the data it was measured on. Printable
// (print stylesheet) and as a PDF from the server, in English or Japanese.
import { useTranslation } from 'react-i18next';
import { api, enc } from '../api';
import { ErrorBox, Loading, Section, useLoad } from '../components/Common';
import { Tradeoff } from '../components/Tradeoff';
import { fmt } from '../format';
import type { PocReport } from '../types';
import { VerdictTable } from './Models';

export function Poc({ runId }: { runId: string }) {
  const { t, i18n } = useTranslation();
  const r = useLoad(() => api.get<PocReport>('/api/v1/poc/' + enc(runId)), [runId]);
  if (r.error) return <ErrorBox error={r.error} />;
  if (!r.data) return <Loading />;
  const p = r.data;
  const c = p.costs;
  return (
    <article className="poc">
      <div className="no-print actions">
        <button type="button" onClick={() => window.print()}>{t('poc.print')}</button>
        <a className="button" href={'/api/v1/poc/' + enc(runId) + '/pdf?lang=' + (i18n.language === 'ja' ? 'ja' : 'en')} data-testid="pdf-link">{t('poc.pdf')}</a>
      </div>
      <h1>{t('poc.title', { id: p.runId })}</h1>
      <p className="muted">{t('poc.subtitle', { method: t('method.' + p.method, { defaultValue: p.method }), base: p.baseModel, tuned: p.tunedModel })}</p>
      <Section title={t('poc.recommendation')}>
        <p className={'recommendation ' + (p.recommendation === 'PROMOTE' ? 'ok' : 'warn')} data-testid="recommendation">
          {t('poc.rec_' + p.recommendation)}
        </p>
        <VerdictTable verdict={p.verdict} />
      </Section>
      <Section title={t('poc.kpis')}>
        <table className="table" data-testid="poc-kpis">
          <caption className="sr-only">{t('poc.kpis')}</caption>
          <thead><tr>
            <th scope="col">KPI</th><th scope="col" className="num">{t('compare.before')}</th><th scope="col" className="num">{t('compare.after')}</th>
            <th scope="col" className="num">{t('compare.change')}</th><th scope="col" className="num">{t('poc.interval')}</th>
          </tr></thead>
          <tbody>{p.kpis.map((k) => (
            <tr key={k.kpi} className={k.change !== null && k.change < 0 ? 'worse' : undefined}>
              <th scope="row">{k.kpi}</th><td className="num">{fmt.num(k.before)}</td><td className="num">{fmt.num(k.after)}</td>
              <td className="num">{fmt.signed(k.change)}</td>
              <td className="num">{k.low === null ? '—' : '[' + fmt.signed(k.low) + ', ' + fmt.signed(k.high) + ']'}</td>
            </tr>))}
          </tbody>
        </table>
        <p className="hint">{t('poc.intervalHelp')}</p>
      </Section>
      <Section title={t('poc.worse')}>
        {p.worseClasses.length === 0 ? <p>{t('poc.noWorse')}</p> : (
          <table className="table" data-testid="poc-worse">
            <caption className="sr-only">{t('poc.worse')}</caption>
            <thead><tr><th scope="col">{t('datasets.class')}</th><th scope="col" className="num">{t('datasets.images')}</th>
              <th scope="col" className="num">{t('compare.before')}</th><th scope="col" className="num">{t('compare.after')}</th><th scope="col" className="num">{t('compare.change')}</th></tr></thead>
            <tbody>{p.worseClasses.map((w) => (
              <tr key={w.label} className="worse"><th scope="row">{w.label}</th><td className="num">{fmt.int(w.images)}</td>
                <td className="num">{fmt.num(w.before)}</td><td className="num">{fmt.num(w.after)}</td><td className="num">{fmt.signed(w.change)}</td></tr>))}
            </tbody>
          </table>
        )}
      </Section>
      <Section title={t('poc.costs')}>
        <dl className="facts">
          <dt>{t('poc.training')}</dt><dd>{fmt.seconds(c.trainingSeconds)}</dd>
          <dt>{t('poc.modelSize')}</dt><dd>{fmt.bytes(c.baseModelBytes)} → {fmt.bytes(c.tunedModelBytes)}</dd>
          <dt>{t('poc.latency')}</dt><dd>{fmt.num(c.beforeLatencyP50Ms, 1)} / {fmt.num(c.beforeLatencyP99Ms, 1)} → {fmt.num(c.afterLatencyP50Ms, 1)} / {fmt.num(c.afterLatencyP99Ms, 1)} ms</dd>
          <dt>{t('poc.throughput')}</dt><dd>{fmt.num(c.beforeImagesPerSecond, 1)} → {fmt.num(c.afterImagesPerSecond, 1)}</dd>
          <dt>{t('poc.bytes')}</dt><dd>{fmt.int(c.bytesPerEmbedding)}</dd>
        </dl>
      </Section>
      <Section title={t('compare.tradeoff')}>
        <Tradeoff points={p.tradeoff} highlight={[p.tunedModel]} />
      </Section>
      <Section title={t('poc.data')}>
        <p>{t('poc.dataText', { dataset: p.data.dataset, split: t('split.' + p.data.split.toUpperCase()), images: fmt.int(p.data.images), classes: p.data.classes, seed: p.data.seed, templates: p.data.templates, queries: fmt.int(p.data.t2iQueries) })}</p>
      </Section>
    </article>
  );
}
