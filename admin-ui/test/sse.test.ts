import { afterEach, describe, expect, it, vi } from 'vitest';
import { watch } from '../src/sse';

class FakeSource {
  static all: FakeSource[] = [];
  onopen: (() => void) | null = null;
  onmessage: ((m: { data: string }) => void) | null = null;
  onerror: (() => void) | null = null;
  closed = false;
  constructor(public url: string) {
    FakeSource.all.push(this);
  }
  close() {
    this.closed = true;
  }
}

afterEach(() => {
  FakeSource.all = [];
  vi.useRealTimers();
  vi.unstubAllGlobals();
});

describe('watch', () => {
  it('reconnects after a dropped connection and stops at the last event', () => {
    vi.useFakeTimers();
    vi.stubGlobal('EventSource', FakeSource);
    const seen: number[] = [];
    const states: boolean[] = [];
    watch<{ n: number; done: boolean }>('/x', (e) => seen.push(e.n), (e) => e.done, (c) => states.push(c));
    FakeSource.all[0].onopen?.();
    FakeSource.all[0].onmessage?.({ data: '{"n":1,"done":false}' });
    FakeSource.all[0].onerror?.();
    expect(FakeSource.all[0].closed).toBe(true);
    vi.advanceTimersByTime(600);
    expect(FakeSource.all).toHaveLength(2);
    FakeSource.all[1].onmessage?.({ data: '{"n":2,"done":true}' });
    expect(seen).toEqual([1, 2]);
    expect(states).toEqual([true, false]);
    expect(FakeSource.all[1].closed).toBe(true);
    vi.advanceTimersByTime(20000);
    expect(FakeSource.all).toHaveLength(2);
  });

  it('does not reconnect once closed by the caller', () => {
    vi.useFakeTimers();
    vi.stubGlobal('EventSource', FakeSource);
    const w = watch('/x', () => {}, () => false);
    w.close();
    FakeSource.all[0].onerror?.();
    vi.advanceTimersByTime(20000);
    expect(FakeSource.all).toHaveLength(1);
  });
});
