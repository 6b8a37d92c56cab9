/** `inertia doctor`: the backend, versions, threads and compiled steps. */
import { jsonOption, outputOf } from '../output.js';
import { defineCommand } from './command.js';

export const doctorCommand = defineCommand({
  name: 'doctor',
  describe:
    'Print the backend in use, the TensorFlow and tfjs versions, thread settings and whether training steps can be compiled',
  options: jsonOption,
  examples: [
    ['$0 doctor', 'Which backend runs, with which versions and threads'],
    ['$0 doctor --backend cpu', 'What the pure-JS fallback reports'],
    ['$0 doctor --json | jq -r .backend', 'The backend name, for a script'],
  ],
  async handler() {
    const { doctor, formatDoctor } = await import('../doctor.js');
    return outputOf(doctor(), formatDoctor);
  },
});
