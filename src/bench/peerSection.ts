/** Section 4 as a whole: export data and models, run each available peer, compare with inertia. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { takeFirst, type Dataset, type DatasetName } from '../data/index.js';
import { buildModel, type ModelKind } from '../models/index.js';
import {
  exportDataset,
  findPeer,
  peerCommand,
  peerModelSpec,
  runPeer,
  type PeerRunOptions,
  PEER_NAMES,
  PEERS_DIR,
  type PeerName,
  type PeerResult,
} from './peers.js';
import { rowMaker, type BenchRow, type RowContext, type SectionResult } from './report.js';
import { formatNumber, formatPercent } from '../util/format.js';
import { markdownTable } from '../util/markdown.js';
import { variantLabel, type TrainingMeasurement } from './training.js';

export interface PeerBenchOptions {
  datasets: readonly { name: DatasetName; data: Dataset }[];
  models: readonly ModelKind[];
  epochs: number;
  batchSize: number;
  learningRate: number;
  momentum: number;
  threads: number;
  /** Inter-op threads of the peers (TensorFlow's pool for Keras, torch.set_num_interop_threads). */
  interOp: number;
  seed: number;
  trainLimit?: number;
  testLimit?: number;
  timeoutSeconds: number;
  /** inertia's own figures for the same work (section 2), for the ratios. */
  inertia: readonly TrainingMeasurement[];
  context: RowContext;
  peers?: readonly PeerName[];
  onProgress?: (message: string) => void;
}

interface PeerOutcome {
  peer: PeerName;
  dataset: DatasetName;
  model: ModelKind;
  result: PeerResult | null;
  error: string | null;
}

export async function benchPeers(options: PeerBenchOptions): Promise<SectionResult> {
  const peers = options.peers ?? PEER_NAMES;
  const availability = new Map(peers.map((peer) => [peer, findPeer(peer)] as const));
  const outcomes: PeerOutcome[] = [];
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'inertia-peers-'));
  try {
    for (const { name, data } of options.datasets) {
      const dataDir = path.join(scratch, name);
      exportDataset(dataDir, name, takeFirst(data.train, options.trainLimit), takeFirst(data.test, options.testLimit));
      for (const kind of options.models) {
        const model = buildModel({ kind, seed: options.seed }, data.imageShape, data.numClasses);
        const modelFile = path.join(scratch, `${kind}.json`);
        try {
          fs.writeFileSync(modelFile, JSON.stringify(peerModelSpec(kind, model)));
        } finally {
          model.dispose();
        }
        for (const peer of peers) {
          const found = availability.get(peer)!;
          if (!found.available) continue;
          options.onProgress?.(`peers: ${peer} ${name} ${kind}`);
          const run = peerRun(options, {
            python: found.python,
            dataDir,
            modelFile,
            timeoutSeconds: options.timeoutSeconds,
          });
          try {
            outcomes.push({ peer, dataset: name, model: kind, result: runPeer(peer, run), error: null });
          } catch (error) {
            outcomes.push({
              peer,
              dataset: name,
              model: kind,
              result: null,
              error: error instanceof Error ? error.message : String(error),
            });
          }
        }
      }
    }
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }
  return peerSection(outcomes, availability, options);
}

function inertiaRate(
  options: PeerBenchOptions,
  dataset: DatasetName,
  model: ModelKind,
  mode: 'custom' | 'keras',
  optimizer: 'heavy-ball' | 'builtin-momentum',
  compiled: boolean,
): TrainingMeasurement | undefined {
  return options.inertia.find(
    (m) =>
      m.dataset === dataset &&
      m.model === model &&
      m.variant.mode === mode &&
      m.variant.optimizer === optimizer &&
      m.variant.compiled === compiled &&
      m.variant.normEvery === 0,
  );
}

/** The inertia variants each peer is compared with (throughput ratio inertia / peer). */
const COMPARED = [
  { label: 'custom loop compiled', mode: 'custom', optimizer: 'heavy-ball', compiled: true },
  { label: 'custom loop eager', mode: 'custom', optimizer: 'heavy-ball', compiled: false },
  { label: 'model.fit', mode: 'keras', optimizer: 'builtin-momentum', compiled: false },
] as const;

const PEER_COLUMNS = [
  'dataset',
  'model',
  'system',
  'threads',
  'samples/s',
  's/epoch',
  'warm-up epoch s',
  'final test acc.',
  'inertia/peer (samples/s)',
  'parameters',
];

function peerSection(
  outcomes: readonly PeerOutcome[],
  availability: ReadonlyMap<PeerName, ReturnType<typeof findPeer>>,
  options: PeerBenchOptions,
): SectionResult {
  const rows: BenchRow[] = [];
  const tableRows: string[][] = [];
  for (const outcome of outcomes) {
    const measured = peerMeasurement(outcome, options);
    rows.push(...measured.rows);
    tableRows.push(measured.cells);
  }
  const unavailable = [...availability.entries()]
    .filter(([, found]) => !found.available)
    .map(([peer, found]) => `- **${peer}: unavailable**: ${found.available ? '' : found.reason}`);
  const markdown = [
    outcomes.length > 0 ? markdownTable(PEER_COLUMNS, tableRows) : '_No peer ran._',
    '',
    ...unavailable,
    ...(unavailable.length > 0 ? [''] : []),
    `Same data (exported from inertia's loader), same layer list (read from inertia's model), batch ${options.batchSize}, SGD learning rate ${options.learningRate} with momentum ${options.momentum}, intra-op threads ${options.threads} and inter-op threads ${options.interOp} everywhere (inertia's too); one warm-up epoch, then ${options.epochs} timed epoch(s) (median). Keras trains with \`model.fit\`, PyTorch with a plain eager loop. inertia/peer compares inertia's custom loop + heavy-ball (compiled steps, the default, and eager steps) and model.fit + builtin-momentum (section 2) with the peer. Peer command: \`${exampleCommand(options)}\`.`,
  ].join('\n');
  return { section: 'peers', title: '4. Peers: Keras and PyTorch on the same machine', rows, markdown };
}

/** One peer run's CSV rows (its figures and the ratios to inertia's) and its table row. */
function peerMeasurement(outcome: PeerOutcome, options: PeerBenchOptions): { rows: BenchRow[]; cells: string[] } {
  const { peer, dataset, model, result, error } = outcome;
  if (!result) return { rows: [], cells: [dataset, model, peer, '', '', '', '', '', `failed: ${error}`, ''] };
  const row = rowMaker('peers', options.context);
  const workload = `${dataset}/${model} (${result.train_count} train samples)`;
  const versions = Object.entries(result.versions)
    .map(([name, version]) => `${name} ${version}`)
    .join('; ');
  const context = {
    backend: peer,
    versions: `${versions}; python ${result.python}`,
    threads: `intra ${result.threads.intra_op}, inter ${result.threads.inter_op}`,
  };
  const rows = [
    row(workload, peer, 'samples_per_second', result.samples_per_second, 'samples/s', context),
    row(workload, peer, 'seconds_per_epoch', result.seconds_per_epoch, 's', context),
    row(workload, peer, 'warmup_epoch_seconds', result.warmup_seconds, 's', context),
    row(workload, peer, 'final_test_accuracy', result.test_accuracy, 'fraction', context),
  ];
  const ratios = COMPARED.map(({ label, mode, optimizer, compiled }) => {
    const inertia = inertiaRate(options, dataset, model, mode, optimizer, compiled);
    if (!inertia) return '';
    const ratio = inertia.samplesPerSecond / result.samples_per_second;
    rows.push(
      row(workload, `inertia ${variantLabel(inertia.variant)} / ${peer}`, 'ratio_samples_per_second', ratio, 'ratio'),
    );
    return `${label} ${ratio.toFixed(2)}`;
  });
  const cells = [
    dataset,
    model,
    `${peer} (${versions})`,
    context.threads,
    formatNumber(result.samples_per_second),
    formatNumber(result.seconds_per_epoch),
    formatNumber(result.warmup_seconds),
    formatPercent(result.test_accuracy, 2),
    ratios.filter(Boolean).join('; '),
    String(result.parameters),
  ];
  return { rows, cells };
}

/** The PyTorch peer's command line as the bench runs it, with placeholders for the local paths. */
function exampleCommand(options: PeerBenchOptions): string {
  const placeholders = { python: '<venv>/bin/python', dataDir: '<exported data>', modelFile: '<model.json>' };
  return peerCommand('pytorch', peerRun(options, { ...placeholders, timeoutSeconds: 0 }))
    .join(' ')
    .replace(PEERS_DIR, 'scripts/peers');
}

/** A peer run with the bench's training settings, for the given interpreter and files. */
function peerRun(
  options: PeerBenchOptions,
  where: Pick<PeerRunOptions, 'python' | 'dataDir' | 'modelFile' | 'timeoutSeconds'>,
): PeerRunOptions {
  return {
    ...where,
    batchSize: options.batchSize,
    learningRate: options.learningRate,
    momentum: options.momentum,
    epochs: options.epochs,
    threads: options.threads,
    interOp: options.interOp,
    seed: options.seed,
  };
}
