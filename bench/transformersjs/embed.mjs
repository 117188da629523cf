// The peer of bin/kagami-bench-peer: Hugging Face transformers.js (onnxruntime-node, sharp) embedding the
// images and texts a Kagami package's towers embed, from local files only (no hub), in the layout
// dev.kagami.bench.PeerPackage writes. Prints one JSON object on stdout: the embeddings (for the cosine
// against Kagami's) and the throughput runs. Run by dev.kagami.bench.PeerBench, not by hand:
//   node embed.mjs --model DIR --context N --images F1,F2,... --texts FILE --seconds S --clients 1,16 --batch 32
import { env, AutoProcessor, AutoTokenizer, CLIPTextModelWithProjection, CLIPVisionModelWithProjection, RawImage }
  from '@huggingface/transformers';
import { readFileSync } from 'node:fs';
import path from 'node:path';

const args = {};
for (let i = 2; i < process.argv.length; i += 2) {
  args[process.argv[i].replace(/^--/, '')] = process.argv[i + 1];
}
const dir = path.resolve(args.model);
env.allowRemoteModels = false; // local files only: nothing is fetched
env.localModelPath = path.dirname(dir) + path.sep;
const name = path.basename(dir);
const options = { dtype: 'fp32', device: 'cpu', local_files_only: true };
const context = Number(args.context);
const seconds = Number(args.seconds);
const clients = args.clients.split(',').map(Number);
const batch = Number(args.batch);

const t0 = performance.now();
const processor = await AutoProcessor.from_pretrained(name, options);
const tokenizer = await AutoTokenizer.from_pretrained(name, options);
const vision = await CLIPVisionModelWithProjection.from_pretrained(name, options);
const textual = await CLIPTextModelWithProjection.from_pretrained(name, options);
const loadMs = performance.now() - t0;

// the images sharp cannot decode (BMP) are left out of every figure, and reported
const imageFiles = args.images.split(',');
const imageBytes = [];
const skipped = [];
for (const f of imageFiles) {
  const b = readFileSync(f);
  try {
    await RawImage.fromBlob(new Blob([b]));
    imageBytes.push(b);
  } catch (e) {
    skipped.push({ file: f, reason: e.message });
  }
}
const texts = readFileSync(args.texts, 'utf8').split('\n').filter((t) => t.length > 0);

/** Embeds encoded images (decoded by sharp, CLIP-preprocessed by the processor) in one model call. */
async function embedImages(buffers) {
  const images = await Promise.all(buffers.map((b) => RawImage.fromBlob(new Blob([b]))));
  const { pixel_values } = await processor(images);
  const { image_embeds } = await vision({ pixel_values });
  return rows(image_embeds);
}

/** Embeds texts (tokenized and padded to the package's context) in one model call. */
async function embedTexts(list) {
  const inputs = tokenizer(list, { padding: 'max_length', max_length: context, truncation: true });
  const { text_embeds } = await textual(inputs);
  return rows(text_embeds);
}

function rows(tensor) {
  const [n, d] = tensor.dims;
  const out = [];
  for (let i = 0; i < n; i++) {
    out.push(Array.from(tensor.data.subarray(i * d, (i + 1) * d)));
  }
  return out;
}

/** Closed loop: `workers` concurrent callers, each call `size` inputs, for `seconds` after a warm-up. */
async function run(kind, workers, size) {
  const call = kind === 'images'
    ? (k) => embedImages(Array.from({ length: size }, (_, j) => imageBytes[(k + j) % imageBytes.length]))
    : (k) => embedTexts(Array.from({ length: size }, (_, j) => texts[(k + j) % texts.length]));
  const warmEnd = performance.now() + Math.min(2000, seconds * 200);
  while (performance.now() < warmEnd) {
    await call(0);
  }
  const latencies = [];
  let items = 0;
  let counter = 0;
  const start = performance.now();
  const end = start + seconds * 1000;
  await Promise.all(Array.from({ length: workers }, async () => {
    while (performance.now() < end) {
      const s = performance.now();
      await call(counter++);
      latencies.push(performance.now() - s);
      items += size;
    }
  }));
  const elapsed = (performance.now() - start) / 1000;
  latencies.sort((a, b) => a - b);
  const q = (p) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))];
  return { kind, clients: workers, batch: size, perSecond: items / elapsed, p50: q(0.5), p99: q(0.99), calls: latencies.length };
}

const imageEmbeddings = [];
for (const b of imageBytes) {
  imageEmbeddings.push((await embedImages([b]))[0]);
}
const textEmbeddings = [];
for (const t of texts) {
  textEmbeddings.push((await embedTexts([t]))[0]);
}
const runs = [];
for (const kind of ['images', 'texts']) {
  for (const c of clients) {
    runs.push(await run(kind, c, 1));
  }
  runs.push(await run(kind, 1, batch));
}
process.stdout.write(JSON.stringify({
  peer: `@huggingface/transformers ${JSON.parse(readFileSync(new URL('./node_modules/@huggingface/transformers/package.json',
    import.meta.url), 'utf8')).version}`,
  node: process.version, loadMs, skipped, imageEmbeddings, textEmbeddings, runs,
}) + '\n');
