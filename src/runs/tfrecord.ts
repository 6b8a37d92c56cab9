/**
 * TFRecord framing, the container of TensorBoard event files (TensorFlow's
 * `core/lib/io/record_writer.cc`). Each record is
 *
 *   uint64 length (little-endian) | uint32 masked CRC32C of those 8 bytes | data | uint32 masked CRC32C of data
 *
 * where the mask is TensorFlow's `crc32c::Mask`: rotate the CRC right by 15 bits and add
 * 0xa282ead8 (modulo 2^32), so a CRC stored inside checksummed data does not checksum itself.
 */
import { crc32c } from '@aws-crypto/crc32c';

const MASK_DELTA = 0xa282ead8;

/** TensorFlow's masked CRC32C (Castagnoli) of `bytes`. */
export function maskedCrc32c(bytes: Uint8Array): number {
  const crc = crc32c(bytes);
  return (((crc >>> 15) | (crc << 17)) + MASK_DELTA) >>> 0;
}

/** One record: `data` between its length header and its checksum. */
export function frameRecord(data: Uint8Array): Buffer {
  const record = Buffer.alloc(12 + data.length + 4);
  record.writeBigUInt64LE(BigInt(data.length), 0);
  record.writeUInt32LE(maskedCrc32c(record.subarray(0, 8)), 8);
  record.set(data, 12);
  record.writeUInt32LE(maskedCrc32c(data), 12 + data.length);
  return record;
}

/**
 * The records of a TFRecord file, each checked against both of its checksums; throws naming
 * the record and what is wrong when the file is damaged or cut short.
 */
export function readRecords(bytes: Uint8Array, file = 'the TFRecord file'): Buffer[] {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const records: Buffer[] = [];
  let offset = 0;
  while (offset < buffer.length) {
    const where = `${file}, record ${records.length + 1} at byte ${offset}`;
    if (offset + 12 > buffer.length) throw new Error(`${where}: cut short inside the length header`);
    const length = Number(buffer.readBigUInt64LE(offset));
    if (buffer.readUInt32LE(offset + 8) !== maskedCrc32c(buffer.subarray(offset, offset + 8))) {
      throw new Error(`${where}: the length's checksum does not match`);
    }
    const start = offset + 12;
    if (start + length + 4 > buffer.length) throw new Error(`${where}: cut short (${length} data bytes announced)`);
    const data = buffer.subarray(start, start + length);
    if (buffer.readUInt32LE(start + length) !== maskedCrc32c(data)) {
      throw new Error(`${where}: the data's checksum does not match`);
    }
    records.push(data);
    offset = start + length + 4;
  }
  return records;
}
