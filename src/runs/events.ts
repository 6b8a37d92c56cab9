/**
 * TensorBoard `Event` protos, encoded with google-protobuf's wire writer (no TensorFlow, no
 * tensors): the file-version event, scalars and the HParams plugin's session summaries.
 * Field numbers are those of tensorflow/core/util/event.proto, core/framework/summary.proto,
 * tensor.proto and tensorboard/plugins/hparams/plugin_data.proto.
 *
 * Scalars are `simple_value` (float32), which every TensorBoard reader accepts, TensorBoard's
 * Rust data server included; the first value of each tag carries the scalars plugin's metadata.
 * HParams summaries follow tensorboard/plugins/hparams/summary.py: a value with the hparams
 * plugin's metadata (content: a serialized HParamsPluginData, version 0), data class TENSOR,
 * and the plugin's NULL_TENSOR (an empty float vector) as its tensor.
 */
import { BinaryWriter } from 'google-protobuf';

/** summary.proto's DataClass. */
const DATA_CLASS = { scalar: 1, tensor: 2 } as const;
/** types.proto's DT_FLOAT. */
const DT_FLOAT = 1;

export const HPARAMS_PLUGIN = 'hparams';
export const SESSION_START_TAG = '_hparams_/session_start_info';
export const SESSION_END_TAG = '_hparams_/session_end_info';

/** tensorboard/plugins/hparams/api.proto's Status. */
export const SESSION_STATUS = { unknown: 0, success: 1, failure: 2, running: 3 } as const;

export type HparamValue = string | number | boolean;

function encode(write: (writer: BinaryWriter) => void): Uint8Array {
  const writer = new BinaryWriter();
  write(writer);
  return writer.getResultBuffer();
}

/** SummaryMetadata { plugin_data { plugin_name, content }, data_class }. */
function summaryMetadata(pluginName: string, dataClass: number, content?: Uint8Array): Uint8Array {
  const pluginData = encode((w) => {
    w.writeString(1, pluginName);
    if (content) w.writeBytes(2, content);
  });
  return encode((w) => {
    w.writeBytes(1, pluginData);
    w.writeEnum(4, dataClass);
  });
}

/** The hparams plugin's NULL_TENSOR: dtype DT_FLOAT, shape [0], no values (6 bytes). */
const NULL_TENSOR = encode((w) => {
  w.writeEnum(1, DT_FLOAT);
  w.writeBytes(
    2,
    encode((shape) => shape.writeBytes(2, new Uint8Array(0))),
  );
});

/** Event { wall_time, step, <what> }. */
function event(wallTime: number, step: number, what: (writer: BinaryWriter) => void): Uint8Array {
  return encode((w) => {
    w.writeDouble(1, wallTime);
    w.writeInt64(2, step);
    what(w);
  });
}

/** Summary { value: [...] } as an event. */
function summaryEvent(wallTime: number, step: number, values: readonly Uint8Array[]): Uint8Array {
  const summary = encode((w) => values.forEach((value) => w.writeBytes(1, value)));
  return event(wallTime, step, (w) => w.writeBytes(5, summary));
}

/** The first event of every event file: `file_version: "brain.Event:2"`. */
export function fileVersionEvent(wallTime: number): Uint8Array {
  return event(wallTime, 0, (w) => w.writeString(3, 'brain.Event:2'));
}

/** One scalar; `first` adds the scalars plugin's metadata (once per tag and file). */
export function scalarEvent(tag: string, value: number, step: number, wallTime: number, first: boolean): Uint8Array {
  const summaryValue = encode((w) => {
    w.writeString(1, tag);
    w.writeFloat(2, value);
    if (first) w.writeBytes(9, summaryMetadata('scalars', DATA_CLASS.scalar));
  });
  return summaryEvent(wallTime, step, [summaryValue]);
}

/** google.protobuf.Value holding a number, string or bool (struct.proto). */
function protobufValue(value: HparamValue): Uint8Array {
  return encode((w) => {
    if (typeof value === 'number') w.writeDouble(2, value);
    else if (typeof value === 'string') w.writeString(3, value);
    else w.writeBool(4, value);
  });
}

function hparamsEvent(tag: string, pluginDataField: number, message: Uint8Array, wallTime: number): Uint8Array {
  // HParamsPluginData { version: 0 (the default, so not written), <field>: message }.
  const content = encode((w) => w.writeBytes(pluginDataField, message));
  const summaryValue = encode((w) => {
    w.writeString(1, tag);
    w.writeBytes(8, NULL_TENSOR);
    w.writeBytes(9, summaryMetadata(HPARAMS_PLUGIN, DATA_CLASS.tensor, content));
  });
  return summaryEvent(wallTime, 0, [summaryValue]);
}

/**
 * SessionStartInfo { hparams (a map, entries sorted by name), group_name, start_time_secs }:
 * the session's settings. Sessions with the same group name form one row of the HParams
 * table, their metrics aggregated (e.g. the seeds of one setting).
 */
export function sessionStartEvent(
  hparams: Readonly<Record<string, HparamValue>>,
  groupName: string,
  startTimeSecs: number,
): Uint8Array {
  const info = encode((w) => {
    for (const name of Object.keys(hparams).sort()) {
      const entry = encode((e) => {
        e.writeString(1, name);
        e.writeBytes(2, protobufValue(hparams[name]));
      });
      w.writeBytes(1, entry);
    }
    w.writeString(4, groupName);
    w.writeDouble(5, startTimeSecs);
  });
  return hparamsEvent(SESSION_START_TAG, 3, info, startTimeSecs);
}

/** SessionEndInfo { status, end_time_secs }. */
export function sessionEndEvent(status: number, endTimeSecs: number): Uint8Array {
  const info = encode((w) => {
    w.writeEnum(1, status);
    w.writeDouble(2, endTimeSecs);
  });
  return hparamsEvent(SESSION_END_TAG, 4, info, endTimeSecs);
}
