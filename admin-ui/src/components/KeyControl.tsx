// The API key the console sends (as the kagami_key cookie, which event streams carry too): who the console
// acts as, a form for a key when the server requires one, and signing out.
import { useEffect, useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { api, ApiError } from '../api';

interface WhoAmI { name: string; role: string; authenticated: boolean; authRequired: boolean }

export const KEY_COOKIE = 'kagami_key';

export function setKey(secret: string | null) {
  document.cookie = secret
    ? KEY_COOKIE + '=' + encodeURIComponent(secret) + '; path=/; SameSite=Strict'
    : KEY_COOKIE + '=; path=/; Max-Age=0; SameSite=Strict';
}

export function KeyControl() {
  const { t } = useTranslation();
  const [who, setWho] = useState<WhoAmI | 'needed' | null>(null);
  const [secret, setSecret] = useState('');
  const load = () => api.get<WhoAmI>('/api/v1/whoami').then(setWho, (e) => setWho(e instanceof ApiError && e.status === 401 ? 'needed' : null));
  useEffect(() => { void load(); }, []);
  const save = (e: FormEvent) => {
    e.preventDefault();
    setKey(secret.trim());
    setSecret('');
    void load().then(() => window.dispatchEvent(new HashChangeEvent('hashchange')));
  };
  if (who === 'needed') {
    return (
      <form className="key-form" onSubmit={save} aria-label={t('auth.needed')}>
        <label>
          <span className="warn-light">{t('auth.needed')}</span>
          <input type="password" value={secret} onChange={(e) => setSecret(e.target.value)} name="apiKey" autoComplete="off"
            placeholder="kgm_…" aria-label={t('auth.key')} required />
        </label>
        <button type="submit">{t('auth.save')}</button>
      </form>
    );
  }
  if (!who) return null;
  if (!who.authRequired) return <span className="who" title={t('auth.offHelp')}>{t('auth.off')}</span>;
  return (
    <span className="who">
      {t('auth.as', { name: who.name, role: who.role })}{' '}
      <button type="button" className="secondary small" onClick={() => { setKey(null); void load(); }}>{t('auth.signOut')}</button>
    </span>
  );
}
