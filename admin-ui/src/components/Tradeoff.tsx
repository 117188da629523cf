// The trade-off chart: one point per model version, image-to-image mAP against text-to-image recall@5.
import { useTranslation } from 'react-i18next';
import type { EChartsOption } from 'echarts';
import { Chart } from './Chart';

export interface TradeoffPoint { model: string; i2iMap: number | null; t2iRecallAt5: number | null }

export function Tradeoff({ points, highlight }: { points: TradeoffPoint[]; highlight?: string[] }) {
  const { t } = useTranslation();
  const usable = points.filter((p) => p.i2iMap !== null && p.t2iRecallAt5 !== null);
  if (usable.length === 0) return <p className="muted">{t('compare.noTradeoff')}</p>;
  const option: EChartsOption = {
    tooltip: { formatter: '{b}: {c}' },
    xAxis: { type: 'value' as const, name: 'I2I mAP', min: 0, max: 1 },
    yAxis: { type: 'value' as const, name: 'T2I R@5', min: 0, max: 1 },
    series: [{
      type: 'scatter' as const,
      symbolSize: 14,
      label: { show: true, position: 'right' as const, formatter: '{b}' },
      data: usable.map((p) => ({
        name: p.model,
        value: [p.i2iMap as number, p.t2iRecallAt5 as number],
        itemStyle: { color: highlight?.includes(p.model) ? '#c2410c' : '#2563eb' },
      })),
    }],
  };
  return <Chart option={option} label={t('compare.tradeoff')} height={300} />;
}
