/**
 * A tiny tensorflow-cpu wheel for the installer's tests: the two libraries (random bytes), a
 * few headers and a RECORD with their SHA-256s, written with yazl like a real wheel's zip.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import yazl from 'yazl';

export const LIBRARIES = {
  'tensorflow/libtensorflow_cc.so.2': crypto.randomBytes(300_000),
  'tensorflow/libtensorflow_framework.so.2': crypto.randomBytes(50_000),
};
export const HEADERS = {
  'tensorflow/include/tensorflow/c/c_api.h': '#include "tensorflow/c/tf_status.h"\nint f(void);\n',
  'tensorflow/include/tensorflow/c/tf_status.h': 'typedef int TF_Status;\n',
  'tensorflow/include/tensorflow/c/unused.h': 'int unused;\n',
};
/** A binding source that includes the first header (the real binding includes it too). */
export const BINDING_SOURCE = '#include "tensorflow/c/c_api.h"\n';
export const WHEEL_NAME = 'tensorflow_cpu-2.21.0-cp311-cp311-manylinux_2_27_x86_64.whl';

const recordHash = (data: Buffer) => `sha256=${crypto.createHash('sha256').update(data).digest('base64url')}`;

/** A tiny tensorflow-cpu wheel; `tamper` changes a library after its RECORD line is written. */
export async function fakeWheel(file: string, tamper = false): Promise<string> {
  const zip = new yazl.ZipFile();
  const record: string[] = [];
  for (const [name, data] of Object.entries(LIBRARIES)) {
    record.push(`${name},${recordHash(data)},${data.length}`);
    zip.addBuffer(tamper ? Buffer.concat([data.subarray(1), Buffer.from([0])]) : data, name);
  }
  for (const [name, text] of Object.entries(HEADERS)) zip.addBuffer(Buffer.from(text), name);
  zip.addBuffer(Buffer.from(record.join('\n') + '\n'), 'tensorflow_cpu-2.21.0.dist-info/RECORD');
  zip.end();
  fs.mkdirSync(path.dirname(file), { recursive: true });
  await new Promise((resolve, reject) =>
    zip.outputStream.pipe(fs.createWriteStream(file)).on('close', resolve).on('error', reject),
  );
  return file;
}

/** A copy of the first `bytes` of `file`. */
export function truncatedCopy(file: string, bytes: number, to: string): string {
  fs.writeFileSync(to, fs.readFileSync(file).subarray(0, bytes));
  return to;
}
