// Every visible string is translated: each key the sources use exists in English and Japanese, both
// resources have the same keys, and every value of the server's enums the console shows has a text.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import en from '../src/locales/en.json';
import ja from '../src/locales/ja.json';

type Tree = { [k: string]: string | Tree };
function flat(t: Tree, prefix = ''): Set<string> {
  const out = new Set<string>();
  for (const [k, v] of Object.entries(t)) {
    if (typeof v === 'string') out.add(prefix + k);
    else for (const x of flat(v, prefix + k + '.')) out.add(x);
  }
  return out;
}
const EN = flat(en as Tree);
const JA = flat(ja as Tree);
const has = (keys: Set<string>, k: string) => keys.has(k) || keys.has(k + '_other');

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((f: string) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? sources(p) : /\.tsx?$/.test(f) ? [p] : [];
  });
}

const ENUMS: Record<string, string[]> = {
  state: ['QUEUED', 'RUNNING', 'SUCCEEDED', 'FAILED', 'CANCELLED'],
  health: ['STARTING', 'SERVING', 'STOPPING'],
  method: ['GPR_FT', 'TWO_SFT', 'MCIP', 'MCIP_REA'],
  methodHelp: ['GPR_FT', 'TWO_SFT', 'MCIP', 'MCIP_REA'],
  trainable: ['PROJECTION', 'LAST_BLOCKS', 'ALL'],
  captions: ['DATASET', 'LABEL_TEMPLATES', 'MINED'],
  source: ['FOLDER', 'MANIFEST', 'FASHION_MNIST'],
  split: ['TRAIN', 'VALIDATION', 'TEST'],
  origin: ['FOUND', 'IMPORTED', 'TRAINED'],
  eventKind: ['INITIAL', 'PROMOTE', 'ROLLBACK'],
  jobKind: ['IMPORT_DATASET', 'EVALUATION', 'FINETUNE', 'REINDEX'],
  errors: ['INVALID_ARGUMENT', 'UNAUTHENTICATED', 'NOT_FOUND', 'FAILED_PRECONDITION', 'PERMISSION_DENIED', 'RESOURCE_EXHAUSTED', 'CANCELLED',
    'DEADLINE_EXCEEDED', 'UNAVAILABLE', 'INTERNAL', 'NETWORK', 'UNKNOWN', 'OTHER'],
  lang: ['en', 'ja'],
  'poc.rec_': ['PROMOTE', 'KEEP_CURRENT'],
  'overview.lane_': ['text', 'image'],
  gateRule: ['image-to-image mAP', 'text-to-image recall@5', 'zero-shot accuracy', 'ONNX vs TorchScript parity',
    'embedding call latency p99 (ms)', 'largest per-class image-to-image AP drop'],
  nav: ['overview', 'datasets', 'finetune', 'evaluations', 'search', 'models'],
};

describe('translations', () => {
  const used = new Set<string>();
  for (const f of sources(join(process.cwd(), 'src'))) {
    const src = readFileSync(f, 'utf8');
    for (const m of src.matchAll(/\bt\(\s*'([^']+)'/g)) used.add(m[1]);
    for (const m of src.matchAll(/\?\s*'([a-z]+\.[A-Za-z_.]+)'\s*:\s*'([a-z]+\.[A-Za-z_.]+)'/g)) {
      used.add(m[1]);
      used.add(m[2]);
    }
  }
  const literal = [...used].filter((k) => !k.endsWith('.') && !k.endsWith('_'));
  const prefixes = [...used].filter((k) => k.endsWith('.') || k.endsWith('_'));

  it('finds the keys the sources use', () => {
    expect(literal.length).toBeGreaterThan(200);
  });

  it.each(['en', 'ja'])('has every literal key in %s', (lang) => {
    const keys = lang === 'en' ? EN : JA;
    expect(literal.filter((k) => !has(keys, k))).toEqual([]);
  });

  it('covers every prefix the sources build keys from', () => {
    expect(prefixes.filter((p) => !(p.replace(/\.$/, '') in ENUMS) && !(p in ENUMS))).toEqual([]);
  });

  it.each(Object.entries(ENUMS))('translates every value of %s', (prefix, values) => {
    const key = (v: string) => (prefix.endsWith('_') ? prefix + v : prefix + '.' + v);
    expect(values.map(key).filter((k) => !has(EN, k) || !has(JA, k))).toEqual([]);
  });

  it('has the same keys in both languages (plural forms aside)', () => {
    const base = (s: Set<string>) => new Set([...s].map((k) => k.replace(/_(one|other)$/, '')));
    expect([...base(EN)].filter((k) => !base(JA).has(k))).toEqual([]);
    expect([...base(JA)].filter((k) => !base(EN).has(k))).toEqual([]);
  });

  it('really is Japanese in ja', () => {
    const jaValues = Object.values((ja as Tree).nav as Tree) as string[];
    expect(jaValues.filter((v) => /[\u3040-\u30ff\u4e00-\u9fff]/.test(v)).length).toBeGreaterThan(jaValues.length / 2);
  });
});
