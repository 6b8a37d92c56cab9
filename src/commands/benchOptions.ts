/** The options of `inertia bench` (yargs infers the argument types). */
import { integer } from './coerce.js';
import { jsonOption } from './output.js';
import { compileOption } from './compileOption.js';

export const benchOptions = {
  quick: {
    type: 'boolean',
    default: false,
    describe: 'One timed epoch and 30 optimizer steps instead of 2 and 100: a few minutes',
  },
  smoke: {
    type: 'boolean',
    default: false,
    describe:
      'Seconds, not minutes: checks that the bench runs end to end (synthetic data, 256 examples, 3 timed optimizer steps); its numbers are not measurements',
  },
  out: { type: 'string', default: 'out/bench', describe: 'Folder for the bench folders (<out>/<timestamp>/)' },
  sections: {
    type: 'string',
    default: 'optimizer,training,backends,peers,fit',
    describe: 'Comma-separated sections to run',
  },
  onednn: {
    type: 'string',
    describe:
      'oneDNN settings to measure, comma-separated (on, off); each setting runs in its own process (TensorFlow reads it when it loads), sections interleaved (default: on,off; only your TF_ENABLE_ONEDNN_OPTS setting when you set one)',
  },
  datasets: {
    type: 'string',
    describe:
      'Comma-separated datasets of the training and peer sections (default: fashion-mnist when its files are installed, else mnist-digits)',
  },
  threads: {
    type: 'number',
    coerce: integer('threads'),
    describe:
      'Intra-op threads for TensorFlow and the peers, and inter-op threads unless --inter-op says otherwise (default: the number of cores)',
  },
  'inter-op': {
    type: 'number',
    coerce: integer('inter-op'),
    describe:
      "Inter-op threads for TensorFlow (inertia and Keras) and PyTorch (default: the number of cores, TensorFlow's own default)",
  },
  repeats: {
    type: 'number',
    coerce: integer('repeats'),
    describe:
      'fit section: run its series this many times, fit and model.fit back to back in alternating order; ratios are the medians of the paired ratios (default 1)',
  },
  ...compileOption,
  ...jsonOption,
} as const;
