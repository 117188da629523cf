import { cleanup, fireEvent, render, screen, waitFor } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import '../src/i18n';
import { KeyControl } from '../src/components/KeyControl';

function respond(status: number, body: unknown) {
  return Promise.resolve(new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } }));
}

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
  document.cookie = 'kagami_key=; path=/; Max-Age=0';
});

describe('KeyControl', () => {
  it('asks for a key when the server answers 401, then sends it as the cookie', async () => {
    const fetch = vi.fn()
      .mockImplementationOnce(() => respond(401, { code: 'UNAUTHENTICATED', status: 401, message: 'an API key is required' }))
      .mockImplementation(() => respond(200, { name: 'team', role: 'reader', authenticated: true, authRequired: true }));
    vi.stubGlobal('fetch', fetch);
    render(<KeyControl />);
    const input = await screen.findByLabelText('API key');
    fireEvent.change(input, { target: { value: 'kgm_' + 'a'.repeat(43) } });
    fireEvent.click(screen.getByRole('button', { name: 'Use the key' }));
    await waitFor(() => expect(screen.getByText(/as team \(reader\)/)).toBeTruthy());
    expect(document.cookie).toContain('kagami_key=kgm_');
  });

  it('says when the server runs without keys', async () => {
    vi.stubGlobal('fetch', vi.fn(() => respond(200, { name: 'local (auth off)', role: 'admin', authenticated: false, authRequired: false })));
    render(<KeyControl />);
    expect(await screen.findByText('auth off (local)')).toBeTruthy();
  });
});
