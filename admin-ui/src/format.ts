// Numbers, percentages, sizes, durations and dates through Intl, in the console's language.
import i18n from './i18n';

const lang = () => (i18n.language === 'ja' ? 'ja-JP' : 'en-US');

export const fmt = {
  num(v: number | null | undefined, digits = 3): string {
    // the server writes a KPI it could not measure as "NaN"
    if (typeof v !== 'number' || !Number.isFinite(v)) return '—';
    return new Intl.NumberFormat(lang(), { minimumFractionDigits: digits, maximumFractionDigits: digits }).format(v);
  },
  int(v: number | null | undefined): string {
    if (v === null || v === undefined) return '—';
    return new Intl.NumberFormat(lang()).format(v);
  },
  signed(v: number | null | undefined, digits = 3): string {
    if (typeof v !== 'number' || !Number.isFinite(v)) return '—';
    return new Intl.NumberFormat(lang(), {
      minimumFractionDigits: digits,
      maximumFractionDigits: digits,
      signDisplay: 'exceptZero',
    }).format(v);
  },
  pct(v: number | null | undefined): string {
    if (v === null || v === undefined) return '—';
    return new Intl.NumberFormat(lang(), { style: 'percent', maximumFractionDigits: 0 }).format(v);
  },
  bytes(v: number): string {
    const mb = v / 1e6;
    return new Intl.NumberFormat(lang(), { maximumFractionDigits: 1 }).format(mb) + ' MB';
  },
  seconds(v: number | null | undefined): string {
    if (v === null || v === undefined || v < 0) return '—';
    const unit = v >= 90 ? 'minute' : 'second';
    const n = v >= 90 ? v / 60 : v;
    return new Intl.NumberFormat(lang(), { style: 'unit', unit, maximumFractionDigits: 1 }).format(n);
  },
  date(iso: string | null | undefined): string {
    if (!iso) return '—';
    return new Intl.DateTimeFormat(lang(), { dateStyle: 'medium', timeStyle: 'short' }).format(new Date(iso));
  },
};
