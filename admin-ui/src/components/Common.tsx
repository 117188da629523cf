// Small shared pieces: progress bar, error message, loading state, a job's live progress.
import { useEffect, useState, type ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { ApiError } from '../api';
import { fmt } from '../format';
import { watch } from '../sse';
import { ended, type Job } from '../types';

export function ProgressBar({ fraction, label }: { fraction: number; label: string }) {
  const pct = Math.round(Math.max(0, Math.min(1, fraction)) * 100);
  return (
    <div className="progress" role="progressbar" aria-label={label} aria-valuemin={0} aria-valuemax={100} aria-valuenow={pct}>
      <div className="progress-fill" style={{ width: pct + '%' }} />
      <span className="progress-text">{pct}%</span>
    </div>
  );
}

/** An API error as a readable, translated message (never a stack trace). */
export function ErrorBox({ error }: { error: unknown }) {
  const { t, i18n } = useTranslation();
  if (!error) return null;
  const e = error instanceof ApiError ? error : new ApiError('UNKNOWN', 0, String(error));
  const kind = t(i18n.exists('errors.' + e.code) ? 'errors.' + e.code : 'errors.OTHER');
  return (
    <div className="error" role="alert">
      <strong>{kind}</strong> {e.message}
    </div>
  );
}

export function Loading() {
  const { t } = useTranslation();
  return <p className="muted" aria-live="polite">{t('common.loading')}</p>;
}

export function Section({ title, children, actions }: { title: string; children: ReactNode; actions?: ReactNode }) {
  return (
    <section className="card">
      <div className="card-head">
        <h2>{title}</h2>
        {actions}
      </div>
      {children}
    </section>
  );
}

/** Follows a job over SSE (re-attaching after a reload or a dropped connection) and shows its progress. */
export function JobProgress({ jobId, onEnd }: { jobId: string; onEnd?: (job: Job) => void }) {
  const { t } = useTranslation();
  const [job, setJob] = useState<Job | null>(null);
  const [connected, setConnected] = useState(true);
  useEffect(() => {
    const w = watch<Job>(
      '/api/v1/jobs/' + encodeURIComponent(jobId) + '/events',
      (j) => {
        setJob(j);
        if (ended(j.state)) onEnd?.(j);
      },
      (j) => ended(j.state),
      setConnected,
    );
    return () => w.close();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [jobId]);
  if (!job) return <Loading />;
  return (
    <div className="job" data-job={job.id} data-state={job.state}>
      <div className="job-line">
        <span className={'badge state-' + job.state}>{t('state.' + job.state)}</span>
        <span>{t('jobKind.' + job.kind, { defaultValue: job.kind })}</span>
        <span className="muted">{job.progress.stage}</span>
        {job.progress.etaSeconds >= 0 && job.state === 'RUNNING' && (
          <span className="muted">{t('common.eta', { time: fmt.seconds(job.progress.etaSeconds) })}</span>
        )}
        {!connected && <span className="warn">{t('common.reconnecting')}</span>}
      </div>
      <ProgressBar fraction={job.state === 'SUCCEEDED' ? 1 : job.progress.fraction} label={t('common.progress')} />
      {job.error && <ErrorBox error={new ApiError(job.error.code, job.error.status, job.error.message)} />}
    </div>
  );
}

/** Loads `load()` once per `deps` change; returns data, error and a reload. */
export function useLoad<T>(load: () => Promise<T>, deps: unknown[]): { data: T | null; error: unknown; reload: () => void } {
  const [data, setData] = useState<T | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [tick, setTick] = useState(0);
  useEffect(() => {
    let live = true;
    load().then(
      (d) => live && (setData(d), setError(null)),
      (e) => live && setError(e),
    );
    return () => {
      live = false;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [...deps, tick]);
  return { data, error, reload: () => setTick((x) => x + 1) };
}
