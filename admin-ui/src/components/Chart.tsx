// An Apache ECharts chart: SVG renderer, ARIA descriptions on, the Japanese locale when the console is in Japanese.
import { useEffect, useRef } from 'react';
import * as echarts from 'echarts/core';
import { BarChart, LineChart, ScatterChart } from 'echarts/charts';
import { AriaComponent, GridComponent, LegendComponent, TooltipComponent } from 'echarts/components';
import { SVGRenderer } from 'echarts/renderers';
import type { EChartsOption } from 'echarts';
import langJA from 'echarts/lib/i18n/langJA.js';
import { useTranslation } from 'react-i18next';

echarts.use([BarChart, LineChart, ScatterChart, AriaComponent, GridComponent, LegendComponent, TooltipComponent, SVGRenderer]);
echarts.registerLocale('JA', langJA);

export function Chart({ option, label, height = 260 }: { option: EChartsOption; label: string; height?: number }) {
  const ref = useRef<HTMLDivElement>(null);
  const { i18n } = useTranslation();
  useEffect(() => {
    if (!ref.current) return;
    const chart = echarts.init(ref.current, undefined, { renderer: 'svg', locale: i18n.language === 'ja' ? 'JA' : 'EN' });
    chart.setOption({ aria: { enabled: true }, animation: false, ...option });
    const resize = () => chart.resize();
    window.addEventListener('resize', resize);
    return () => {
      window.removeEventListener('resize', resize);
      chart.dispose();
    };
  }, [option, i18n.language]);
  return <div ref={ref} role="img" aria-label={label} style={{ width: '100%', height }} className="chart" />;
}
