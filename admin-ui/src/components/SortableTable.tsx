// A table whose columns sort on click (or Enter/Space on the header button); rows can be highlighted.
import { useState, type ReactNode } from 'react';
import { useTranslation } from 'react-i18next';

export interface Column<R> {
  key: string;
  label: string;
  value: (row: R) => number | string | null;
  render?: (row: R) => ReactNode;
  numeric?: boolean;
}

export function SortableTable<R>({ rows, columns, initial, highlight, caption }: {
  rows: R[];
  columns: Column<R>[];
  initial?: { key: string; asc: boolean };
  highlight?: (row: R) => boolean;
  caption: string;
}) {
  const { t } = useTranslation();
  const [sort, setSort] = useState(initial ?? { key: columns[0].key, asc: true });
  const col = columns.find((c) => c.key === sort.key) ?? columns[0];
  const sorted = [...rows].sort((a, b) => {
    const x = col.value(a);
    const y = col.value(b);
    if (x === y) return 0;
    if (x === null) return 1;
    if (y === null) return -1;
    const c = x < y ? -1 : 1;
    return sort.asc ? c : -c;
  });
  return (
    <table className="table">
      <caption className="sr-only">{caption}</caption>
      <thead>
        <tr>
          {columns.map((c) => (
            <th key={c.key} scope="col" aria-sort={c.key === sort.key ? (sort.asc ? 'ascending' : 'descending') : 'none'}
              className={c.numeric ? 'num' : undefined}>
              <button type="button" className="th-button"
                onClick={() => setSort({ key: c.key, asc: c.key === sort.key ? !sort.asc : true })}
                title={t('common.sortBy', { column: c.label })}>
                {c.label}
                {c.key === sort.key ? (sort.asc ? ' ▲' : ' ▼') : ''}
              </button>
            </th>
          ))}
        </tr>
      </thead>
      <tbody>
        {sorted.map((r, i) => (
          <tr key={i} className={highlight?.(r) ? 'worse' : undefined}>
            {columns.map((c) => (
              <td key={c.key} className={c.numeric ? 'num' : undefined}>{c.render ? c.render(r) : String(c.value(r) ?? '—')}</td>
            ))}
          </tr>
        ))}
      </tbody>
    </table>
  );
}
