// ECharts ships its locale objects without type declarations.
declare module 'echarts/lib/i18n/langJA.js' {
  const locale: Parameters<typeof import('echarts').registerLocale>[1];
  export default locale;
}
