/**
 * Reads TensorBoard event files back for the tests: TFRecord framing (both masked CRC32Cs
 * checked by readRecords) and the Event, Summary and HParamsPluginData fields, decoded by
 * field number straight from the .proto files (event.proto, summary.proto, tensor.proto,
 * struct.proto, plugins/hparams/plugin_data.proto), independently of the writer's code.
 */
import fs from 'node:fs';
import { BinaryReader } from 'google-protobuf';
import { readRecords } from '../../src/runs/tfrecord.js';

export interface DecodedValue {
  tag: string;
  simpleValue?: number;
  /** The raw TensorProto bytes, when the value is a tensor. */
  tensor?: Uint8Array;
  pluginName?: string;
  pluginContent?: Uint8Array;
  dataClass?: number;
}

export interface DecodedEvent {
  wallTime: number;
  step: number;
  fileVersion?: string;
  values: DecodedValue[];
}

/** Calls `field(number, reader)` for each field of a message; the callback reads or skips it. */
function fields(bytes: Uint8Array, field: (number: number, reader: BinaryReader) => boolean | void): void {
  const reader = new BinaryReader(bytes);
  while (reader.nextField()) {
    if (reader.isEndGroup()) break;
    if (field(reader.getFieldNumber(), reader) !== true) continue;
    reader.skipField();
  }
}

function decodeMetadata(bytes: Uint8Array, into: DecodedValue): void {
  fields(bytes, (number, r) => {
    if (number === 1) {
      fields(r.readBytes(), (inner, p) => {
        if (inner === 1) into.pluginName = p.readString();
        else if (inner === 2) into.pluginContent = p.readBytes();
        else return true;
      });
    } else if (number === 4) into.dataClass = r.readEnum();
    else return true;
  });
}

function decodeValue(bytes: Uint8Array): DecodedValue {
  const value: DecodedValue = { tag: '' };
  fields(bytes, (number, r) => {
    if (number === 1) value.tag = r.readString();
    else if (number === 2) value.simpleValue = r.readFloat();
    else if (number === 8) value.tensor = r.readBytes();
    else if (number === 9) decodeMetadata(r.readBytes(), value);
    else return true;
  });
  return value;
}

export function decodeEvent(bytes: Uint8Array): DecodedEvent {
  const event: DecodedEvent = { wallTime: NaN, step: 0, values: [] };
  fields(bytes, (number, r) => {
    if (number === 1) event.wallTime = r.readDouble();
    else if (number === 2) event.step = r.readInt64();
    else if (number === 3) event.fileVersion = r.readString();
    else if (number === 5) {
      fields(r.readBytes(), (inner, s) => {
        if (inner === 1) event.values.push(decodeValue(s.readBytes()));
        else return true;
      });
    } else return true;
  });
  return event;
}

/** Every event of an event file, the framing and checksums checked on the way. */
export function readEventFile(file: string): DecodedEvent[] {
  return readRecords(fs.readFileSync(file), file).map((record) => decodeEvent(record));
}

/** google.protobuf.Value: number_value 2, string_value 3, bool_value 4. */
function decodeProtobufValue(bytes: Uint8Array): string | number | boolean | null {
  let value: string | number | boolean | null = null;
  fields(bytes, (number, r) => {
    if (number === 2) value = r.readDouble();
    else if (number === 3) value = r.readString();
    else if (number === 4) value = r.readBool();
    else return true;
  });
  return value;
}

export interface SessionStart {
  hparams: Record<string, string | number | boolean | null>;
  groupName: string;
  startTimeSecs: number;
}

export interface SessionEnd {
  status: number;
  endTimeSecs: number;
}

/** HParamsPluginData { version 1, session_start_info 3 | session_end_info 4 }. */
export function decodeHparams(content: Uint8Array): { version: number; start?: SessionStart; end?: SessionEnd } {
  const result: { version: number; start?: SessionStart; end?: SessionEnd } = { version: 0 };
  fields(content, (number, r) => {
    if (number === 1) result.version = r.readInt32();
    else if (number === 3) {
      const start: SessionStart = { hparams: {}, groupName: '', startTimeSecs: 0 };
      fields(r.readBytes(), (inner, s) => {
        if (inner === 1) {
          let key = '';
          let value: string | number | boolean | null = null;
          fields(s.readBytes(), (entry, e) => {
            if (entry === 1) key = e.readString();
            else if (entry === 2) value = decodeProtobufValue(e.readBytes());
            else return true;
          });
          start.hparams[key] = value;
        } else if (inner === 4) start.groupName = s.readString();
        else if (inner === 5) start.startTimeSecs = s.readDouble();
        else return true;
      });
      result.start = start;
    } else if (number === 4) {
      const end: SessionEnd = { status: 0, endTimeSecs: 0 };
      fields(r.readBytes(), (inner, s) => {
        if (inner === 1) end.status = s.readEnum();
        else if (inner === 2) end.endTimeSecs = s.readDouble();
        else return true;
      });
      result.end = end;
    } else return true;
  });
  return result;
}

/** The scalars of decoded events: tag -> [step, value] in file order. */
export function scalarsOf(events: readonly DecodedEvent[]): Map<string, [number, number][]> {
  const scalars = new Map<string, [number, number][]>();
  for (const event of events) {
    for (const value of event.values) {
      if (value.simpleValue === undefined) continue;
      const list = scalars.get(value.tag) ?? [];
      list.push([event.step, value.simpleValue]);
      scalars.set(value.tag, list);
    }
  }
  return scalars;
}

/** The session start and end of decoded events (hparams plugin values). */
export function sessionOf(events: readonly DecodedEvent[]): { start?: SessionStart; end?: SessionEnd } {
  const session: { start?: SessionStart; end?: SessionEnd } = {};
  for (const value of events.flatMap((event) => event.values)) {
    if (value.pluginName !== 'hparams' || !value.pluginContent) continue;
    const decoded = decodeHparams(value.pluginContent);
    session.start ??= decoded.start;
    session.end ??= decoded.end;
  }
  return session;
}
