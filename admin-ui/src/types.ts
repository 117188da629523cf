// The REST API's JSON, as the server's records define it.
export type JobState = 'QUEUED' | 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'CANCELLED';
/** A job's or run's state once it will not change again. */
export const ended = (s: JobState) => s === 'SUCCEEDED' || s === 'FAILED' || s === 'CANCELLED';
export interface ApiErrorBody { code: string; status: number; message: string }
export interface Job {
  id: string; kind: string; state: JobState; createdAt: string; updatedAt: string;
  request: Record<string, unknown> | null;
  progress: { stage: string; done: number; total: number; fraction: number; etaSeconds: number };
  result: Record<string, unknown> | null; error: ApiErrorBody | null;
}
export interface ModelId { name: string; version: string }
export const modelKey = (m: ModelId | null | undefined) => (m ? m.name + '/' + m.version : '—');
export interface Info {
  version: string; model: { name: string; version: string; dimension: number; engine: string } | null;
  loadedModels: string[]; startedAt: string; uptimeSeconds: number; health: string;
  unavailableCollections: string[]; aliases: Record<string, string>; replica: string;
}
export interface Lane {
  callsPerSecond: number; latencyP50Ms: number | null; latencyP99Ms: number | null; callsInLatencyWindow: number;
  failed: number; refused: number; preprocessQueue: number; encoderQueue: number;
}
export interface Operations {
  at: string; rateWindowSeconds: number; latencyWindowSeconds: number; text: Lane; image: Lane; refusedSinceStart: number;
}
export interface DatasetSummary { id: string; name: string; source: string; createdAt: string; items: number; classes: number; skipped: number }
export interface DatasetDetails {
  id: string; name: string; source: string; createdAt: string; images: number; splitKind: string; seed: number;
  splits: Record<string, number>;
  classes: { label: string; images: number; train: number; validation: number; test: number }[];
  skippedTotal: number; skipped: { ref: string; reason: string }[];
  items: { offset: number; limit: number; total: number; items: { id: string; label: string; split: string; captions: string[] }[] };
}
export interface Point { at: string; stage: string; step: number; loss: number | null; kpis: Record<string, number>; best: boolean }
export interface Run {
  id: string; state: JobState; stage: string; step: number; totalSteps: number; createdAt: string; updatedAt: string;
  config: Record<string, unknown>; resultModel: string | null; baseReportId: string | null; tunedReportId: string | null;
  error: string | null; stageSeconds: Record<string, number>; history: Point[] | null;
}
export interface RunEvent {
  type: 'snapshot' | 'progress' | 'validation'; run: Run | null; stage: string | null; step: number | null;
  totalSteps: number | null; loss: number | null; learningRate: number | null; etaSeconds: number | null; point: Point | null;
}
export interface Summary {
  i2iMap: number | null; i2iMapAtR: number | null; i2iRecallAt1: number | null; knnAccuracy: number | null;
  zeroShotAccuracy: number | null; t2iRecallAt1: number | null; t2iRecallAt5: number | null; t2iRecallAt10: number | null;
  t2iQueries: number;
}
export interface ClassRow {
  label: string; images: number; i2iMap: number | null; i2iRecallAt1: number | null; knnAccuracy: number | null;
  zeroShotAccuracy: number | null; t2iRecallAt5: number | null;
}
export interface Report {
  id: string; createdAt: string; model: string; engine: string; dataset: string; split: string; seed: number; images: number;
  classes: number; templates: string; summary: Summary; perClass: ClassRow[];
  operations: {
    embeddedImages: number; cachedImages: number; imagesPerSecond: number | null; callLatencyP50Ms: number | null;
    callLatencyP99Ms: number | null; imagesPerCall: number; bytesPerEmbedding: number; embedSeconds: number; metricSeconds: number;
  };
  notes: string[];
}
export interface Delta { kpi: string; before: number | null; after: number | null; change: number | null }
export interface Comparison { before: string; after: string; kpis: Delta[]; classes: { label: string; kpis: Delta[]; worstDrop: number }[] }
export interface GateRule { name: string; current: number | null; candidate: number | null; requirement: string; passed: boolean; note: string }
export interface Verdict {
  passed: boolean; current: string; candidate: string; dataset: string; split: string; currentReportId: string;
  candidateReportId: string; rules: GateRule[];
}
export interface ModelVersion {
  id: ModelId; layout: string; dimension: number; checksum: string; sizeBytes: number; engines: string[];
  origin: 'FOUND' | 'IMPORTED' | 'TRAINED';
  lineage: { runId: string; base: ModelId; method: string; dataset: string } | null;
  parity: number | null; description: string; createdBy: string; createdAt: string;
}
export interface ModelDetails { version: ModelVersion; aliases: string[]; loaded: boolean; reportIds: string[] }
export interface AliasDetails { alias: { alias: string; target: ModelId; generation: number; updatedAt: string }; servingHere: string }
export interface AliasEvent {
  id: number; alias: string; kind: 'INITIAL' | 'PROMOTE' | 'ROLLBACK'; from: ModelId | null; to: ModelId; generation: number;
  actor: string; reason: string; verdict: Verdict | null; overridden: boolean; at: string;
}
export interface PocReport {
  runId: string; createdAt: string; method: string; baseModel: string; tunedModel: string;
  recommendation: 'PROMOTE' | 'KEEP_CURRENT'; verdict: Verdict;
  kpis: { kpi: string; before: number | null; after: number | null; change: number | null; low: number | null; high: number | null }[];
  worseClasses: { label: string; images: number; before: number | null; after: number | null; change: number }[];
  costs: {
    trainingSeconds: number; stageSeconds: Record<string, number>; baseModelBytes: number; tunedModelBytes: number;
    beforeLatencyP50Ms: number | null; afterLatencyP50Ms: number | null; beforeLatencyP99Ms: number | null;
    afterLatencyP99Ms: number | null; beforeImagesPerSecond: number | null; afterImagesPerSecond: number | null;
    bytesPerEmbedding: number;
  };
  data: { dataset: string; split: string; images: number; classes: number; seed: number; templates: string; t2iQueries: number };
  tradeoff: { model: string; reportId: string; i2iMap: number | null; t2iRecallAt5: number | null }[];
  baseReportId: string; tunedReportId: string;
}
export interface SideBySide {
  dataset: string; split: string; queryClass: string | null; k: number; galleryImages: number;
  sides: { model: string; precisionAtK: number | null; threshold: number | null; hits: { id: string; label: string; score: number; relevant: boolean; image: string }[] }[];
}
