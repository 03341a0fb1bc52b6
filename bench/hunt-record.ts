/**
 * Benchmark of one huge CloudTrail record through hunt's record splitter, fed in the 1 MiB chunks
 * the file reader uses: time and bytes copied grow linearly with the record's size (before, each
 * chunk re-copied the whole record so far: quadratic). Records stop at the 32 MiB limit.
 *
 *   npx tsx bench/hunt-record.ts [--sizes 4,8,16,31]
 */
import { MAX_RECORD_BYTES, RecordSplitter } from '../src/detect/records';

const args = process.argv.slice(2);
const i = args.indexOf('--sizes');
const sizes = (i >= 0 ? (args[i + 1] ?? '') : '4,8,16,31').split(',').map(Number);
const CHUNK = 1 << 20;

console.log('record MiB  seconds  MiB/s  copied/size');
for (const mib of sizes) {
  const pad = mib * 1024 * 1024 - 100;
  if (pad + 100 > MAX_RECORD_BYTES) throw new Error(`${mib} MiB is over the ${MAX_RECORD_BYTES} byte limit`);
  const record = Buffer.from(
    `{"eventName":"InvokeModel","eventSource":"bedrock.amazonaws.com","x":"${'a'.repeat(pad)}"}`,
  );
  let got = 0;
  const splitter = new RecordSplitter(() => {
    got++;
  });
  const t0 = process.hrtime.bigint();
  for (let at = 0; at < record.length; at += CHUNK) splitter.push(record.subarray(at, at + CHUNK));
  splitter.end();
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  if (got !== 1) throw new Error('the record was not emitted');
  console.log(
    `${String(mib).padStart(10)}  ${seconds.toFixed(3).padStart(7)}  ${(record.length / 1048576 / seconds).toFixed(0).padStart(5)}  ${(splitter.copiedBytes / record.length).toFixed(2).padStart(11)}`,
  );
}
