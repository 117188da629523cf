// The console's shell: skip link, navigation, language switch, and the page for the current hash route.
import { useTranslation } from 'react-i18next';
import { KeyControl } from './components/KeyControl';
import { LANGUAGES, setLanguage, type Language } from './i18n';
import { Compare } from './pages/Compare';
import { Datasets } from './pages/Datasets';
import { Evaluations, ReportPage } from './pages/Evaluations';
import { FineTune } from './pages/FineTune';
import { Models } from './pages/Models';
import { Overview } from './pages/Overview';
import { Poc } from './pages/Poc';
import { RunPage } from './pages/RunPage';
import { Search } from './pages/Search';
import { useRoute, type Route } from './router';

const NAV = ['overview', 'datasets', 'finetune', 'evaluations', 'search', 'models'] as const;

function Page({ route }: { route: Route }) {
  const [head, id] = route.parts;
  switch (head) {
    case 'datasets': return <Datasets route={route} />;
    case 'finetune': return <FineTune />;
    case 'runs': return id ? <RunPage id={id} /> : <FineTune />;
    case 'evaluations': return <Evaluations route={route} />;
    case 'reports': return id ? <ReportPage id={id} /> : <Evaluations route={route} />;
    case 'compare': return <Compare route={route} />;
    case 'search': return <Search />;
    case 'models': return <Models />;
    case 'poc': return id ? <Poc runId={id} /> : <FineTune />;
    default: return <Overview />;
  }
}

export function App() {
  const { t, i18n } = useTranslation();
  const route = useRoute();
  const active = route.parts[0] === 'runs' ? 'finetune' : route.parts[0] === 'reports' || route.parts[0] === 'compare' ? 'evaluations' : route.parts[0] || 'overview';
  return (
    <>
      <a className="skip" href="#main" onClick={(e) => { e.preventDefault(); document.getElementById('main')?.focus(); }}>{t('nav.skip')}</a>
      <header className="top no-print">
        <span className="brand">{t('app.title')}</span>
        <nav aria-label={t('nav.label')}>
          <ul>
            {NAV.map((n) => (
              <li key={n}><a href={'#/' + n} aria-current={active === n ? 'page' : undefined}>{t('nav.' + n)}</a></li>
            ))}
          </ul>
        </nav>
        <KeyControl />
        <label className="lang">
          <span className="sr-only">{t('nav.language')}</span>
          <select value={i18n.language} onChange={(e) => setLanguage(e.target.value as Language)} aria-label={t('nav.language')} name="language">
            {LANGUAGES.map((l) => <option key={l} value={l}>{t('lang.' + l)}</option>)}
          </select>
        </label>
      </header>
      <main id="main" tabIndex={-1}>
        <Page route={route} />
      </main>
    </>
  );
}
