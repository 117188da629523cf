import { act, cleanup, fireEvent, render, screen } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import i18n from '../src/i18n';
import { ApiError } from '../src/api';
import { ErrorBox, ProgressBar } from '../src/components/Common';
import { SortableTable } from '../src/components/SortableTable';
import { fmt } from '../src/format';
import { parseHash } from '../src/router';

afterEach(async () => {
  cleanup();
  await act(() => i18n.changeLanguage('en'));
});

describe('SortableTable', () => {
  const rows = [{ label: 'b', change: -0.2 }, { label: 'a', change: 0.1 }, { label: 'c', change: null }];
  const columns = [
    { key: 'label', label: 'Class', value: (r: (typeof rows)[0]) => r.label },
    { key: 'change', label: 'Change', value: (r: (typeof rows)[0]) => r.change, numeric: true },
  ];
  const order = () => screen.getAllByRole('row').slice(1).map((r) => r.firstChild?.textContent);

  it('sorts by the clicked column, nulls last, and toggles the direction', () => {
    render(<SortableTable rows={rows} columns={columns} caption="t" highlight={(r) => (r.change ?? 0) < 0} />);
    expect(order()).toEqual(['a', 'b', 'c']);
    fireEvent.click(screen.getByRole('button', { name: /Change/ }));
    expect(order()).toEqual(['b', 'a', 'c']);
    fireEvent.click(screen.getByRole('button', { name: /Change/ }));
    expect(order()).toEqual(['a', 'b', 'c']);
    expect(screen.getAllByRole('row')[2].className).toBe('worse');
  });
});

describe('ProgressBar', () => {
  it('reports its value to assistive technology, clamped to 0..100', () => {
    render(<ProgressBar fraction={1.7} label="Upload" />);
    expect(screen.getByRole('progressbar', { name: 'Upload' }).getAttribute('aria-valuenow')).toBe('100');
  });
});

describe('ErrorBox', () => {
  it('shows the kind of error, translated, and the server message, never a stack', async () => {
    await act(() => i18n.changeLanguage('ja'));
    render(<ErrorBox error={new ApiError('INVALID_ARGUMENT', 400, 'k must be between 1 and 100: 0')} />);
    const alert = screen.getByRole('alert');
    expect(alert.textContent).toContain('入力が正しくありません');
    expect(alert.textContent).toContain('k must be between 1 and 100: 0');
  });

  it('falls back to a generic kind for codes it does not know', () => {
    render(<ErrorBox error={new ApiError('HTTP_502', 502, 'Bad Gateway')} />);
    expect(screen.getByRole('alert').textContent).toBe('Error: Bad Gateway');
  });
});

describe('format and routes', () => {
  it('formats numbers for the language', async () => {
    expect(fmt.num(1234.5678, 2)).toBe('1,234.57');
    expect(fmt.signed(0.0123)).toBe('+0.012');
    expect(fmt.num(null)).toBe('—');
    expect(fmt.num('NaN' as unknown as number)).toBe('—');
    expect(fmt.signed(Number.NaN)).toBe('—');
    await act(() => i18n.changeLanguage('ja'));
    expect(fmt.seconds(120)).toContain('2');
  });

  it('parses hash routes with their query', () => {
    const r = parseHash('#/runs/ab%20c?job=7');
    expect(r.parts).toEqual(['runs', 'ab c']);
    expect(r.query.get('job')).toBe('7');
    expect(parseHash('').parts).toEqual([]);
  });
});
