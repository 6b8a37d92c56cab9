/** `inertia setup`: the native backend, in the project inertia is installed in. */
import { outputOf } from '../output.js';
import { defineCommand } from './command.js';

export const setupCommand = defineCommand({
  name: 'setup',
  describe:
    "Set up TensorFlow's native backend (tfjs-node with TensorFlow's C library) in the project inertia is installed in",
  options: {},
  examples: [
    ['$0 setup', 'What npm 11 skips when it does not run install scripts: a minute or less with a warm cache'],
    ['$0 setup && $0 doctor', 'Set up, then show the backend in use'],
  ],
  async handler() {
    const { setup } = await import('../setup.js');
    const note = await setup();
    return note === null ? null : outputOf(note, (text) => text);
  },
});
