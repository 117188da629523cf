// Two reports of one dataset and split: KPI bars before/after, per-class changes with the classes that got
// worse highlighted, and the trade-off of every version evaluated on the same data.
import { useMemo } from 'react';
import { useTranslation } from 'react-i18next';
import { api, enc } from '../api';
import { Chart } from '../components/Chart';
import { ErrorBox, Loading, Section, useLoad } from '../components/Common';
import { SortableTable } from '../components/SortableTable';
import { Tradeoff, type TradeoffPoint } from '../components/Tradeoff';
import { fmt } from '../format';
import type { Route } from '../router';
import type { Comparison, Report } from '../types';

interface ClassChange { label: string; values: Record<string, { before: number | null; after: number | null; change: number | null }>; worstDrop: number }

export function Compare({ route }: { route: Route }) {
  const { t } = useTranslation();
  const before = route.query.get('before') ?? '';
  const after = route.query.get('after') ?? '';
  const cmp = useLoad(() => api.get<Comparison>('/api/v1/reports/compare?before=' + enc(before) + '&after=' + enc(after)), [before, after]);
  const a = useLoad(() => api.get<Report>('/api/v1/reports/' + enc(after)), [after]);
  const others = useLoad(() => (a.data ? api.get<Report[]>('/api/v1/reports?dataset=' + enc(a.data.dataset) + '&limit=200') : Promise.resolve([])), [a.data?.id]);

  const bars = useMemo(() => cmp.data && ({
    tooltip: { trigger: 'axis' as const },
    legend: { data: [t('compare.before'), t('compare.after')] },
    xAxis: { type: 'category' as const, data: cmp.data.kpis.map((k) => k.kpi), axisLabel: { interval: 0, rotate: 30 } },
    yAxis: { type: 'value' as const, min: 0, max: 1 },
    series: [
      { name: t('compare.before'), type: 'bar' as const, data: cmp.data.kpis.map((k) => k.before) },
      { name: t('compare.after'), type: 'bar' as const, data: cmp.data.kpis.map((k) => k.after) },
    ],
  }), [cmp.data, t]);

  if (!before || !after) return <p className="muted">{t('compare.pick')}</p>;
  if (cmp.error) return <ErrorBox error={cmp.error} />;
  if (!cmp.data || !bars) return <Loading />;
  const classKpis = cmp.data.classes[0]?.kpis.map((k) => k.kpi) ?? [];
  const rows: ClassChange[] = cmp.data.classes.map((c) => ({
    label: c.label,
    worstDrop: c.worstDrop,
    values: Object.fromEntries(c.kpis.map((k) => [k.kpi, k])),
  }));
  const points: TradeoffPoint[] = [];
  const seen = new Set<string>();
  for (const r of others.data ?? []) {
    if (a.data && r.split === a.data.split && r.seed === a.data.seed && r.templates === a.data.templates && !seen.has(r.model)) {
      seen.add(r.model);
      points.push({ model: r.model, i2iMap: r.summary.i2iMap, t2iRecallAt5: r.summary.t2iRecallAt5 });
    }
  }
  const worse = rows.filter((r) => r.worstDrop < 0).length;
  return (
    <div>
      <h1>{t('compare.title')}</h1>
      <p className="muted">{t('compare.of', { before, after })}</p>
      <Section title={t('compare.kpis')}>
        <Chart option={bars} label={t('compare.kpis')} />
        <table className="table" data-testid="kpi-changes">
          <caption className="sr-only">{t('compare.kpis')}</caption>
          <thead><tr><th scope="col">KPI</th><th scope="col" className="num">{t('compare.before')}</th><th scope="col" className="num">{t('compare.after')}</th><th scope="col" className="num">{t('compare.change')}</th></tr></thead>
          <tbody>{cmp.data.kpis.map((k) => (
            <tr key={k.kpi} className={k.change !== null && k.change < 0 ? 'worse' : undefined}>
              <th scope="row">{k.kpi}</th><td className="num">{fmt.num(k.before)}</td><td className="num">{fmt.num(k.after)}</td><td className="num">{fmt.signed(k.change)}</td>
            </tr>))}
          </tbody>
        </table>
      </Section>
      <Section title={t('compare.perClass')}>
        <p className={worse ? 'warn' : 'muted'} data-testid="worse-count">{t('compare.worseCount', { count: worse })}</p>
        <SortableTable<ClassChange> rows={rows} caption={t('compare.perClass')} initial={{ key: 'worst', asc: true }}
          highlight={(r) => r.worstDrop < 0}
          columns={[
            { key: 'label', label: t('datasets.class'), value: (r) => r.label },
            { key: 'worst', label: t('compare.worstDrop'), value: (r) => r.worstDrop, render: (r) => fmt.signed(r.worstDrop), numeric: true },
            ...classKpis.map((k) => ({
              key: k, label: t('compare.changeOf', { kpi: k }), numeric: true,
              value: (r: ClassChange) => r.values[k]?.change ?? null,
              render: (r: ClassChange) => fmt.num(r.values[k]?.before) + ' → ' + fmt.num(r.values[k]?.after) + ' (' + fmt.signed(r.values[k]?.change) + ')',
            })),
          ]} />
      </Section>
      <Section title={t('compare.tradeoff')}>
        <Tradeoff points={points} highlight={a.data ? [a.data.model] : []} />
      </Section>
    </div>
  );
}
