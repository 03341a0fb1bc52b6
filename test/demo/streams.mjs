// Preloaded into the demo's process by test/demo/demo.test.ts (`node --import`): every chunk the demo
// writes to stdout is also copied to fd 3, every chunk to stderr to fd 4, in the order written. The
// demo's own stdout and stderr are untouched (the test merges them with 2>&1, as a terminal shows
// them); the copies let one run also be read stream by stream.
import { writeSync } from 'node:fs';

for (const [stream, fd] of [
  [process.stdout, 3],
  [process.stderr, 4],
]) {
  const write = stream.write.bind(stream);
  stream.write = (chunk, ...rest) => {
    const encoding = typeof rest[0] === 'string' ? rest[0] : 'utf8';
    writeSync(fd, typeof chunk === 'string' ? Buffer.from(chunk, encoding) : chunk);
    return write(chunk, ...rest);
  };
}
