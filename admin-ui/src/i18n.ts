// Texts through i18next with English and Japanese resources; the language follows the browser unless the
// user picked one (kept in localStorage).
import i18n from 'i18next';
import { initReactI18next } from 'react-i18next';
import en from './locales/en.json';
import ja from './locales/ja.json';

export const LANGUAGES = ['en', 'ja'] as const;
export type Language = (typeof LANGUAGES)[number];
const KEY = 'kagami.lang';

export function initialLanguage(): Language {
  const stored = typeof localStorage !== 'undefined' ? localStorage.getItem(KEY) : null;
  if (stored === 'en' || stored === 'ja') return stored;
  const browser = typeof navigator !== 'undefined' ? navigator.language : 'en';
  return browser.toLowerCase().startsWith('ja') ? 'ja' : 'en';
}

export function setLanguage(lang: Language) {
  localStorage.setItem(KEY, lang);
  void i18n.changeLanguage(lang);
  document.documentElement.lang = lang;
}

void i18n.use(initReactI18next).init({
  resources: { en: { translation: en }, ja: { translation: ja } },
  lng: initialLanguage(),
  fallbackLng: false,
  interpolation: { escapeValue: false },
  returnNull: false,
  saveMissing: true,
  missingKeyHandler: (_lngs, _ns, key) => {
    // a missing key is a defect: the unit tests fail on it, the console logs it
    console.error('missing translation key: ' + key);
  },
});

export default i18n;
