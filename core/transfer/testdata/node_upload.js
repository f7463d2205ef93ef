// Uploads the files named on the command line with the official Node SDK,
// CONCURRENCY at a time, the way a Node script built on the SDK would, and
// prints how many succeeded. Run by adaptive_bench_test.go.
//
// CLOUDINARY_URL (with ?upload_prefix=http://127.0.0.1:PORT) must be in the
// environment before require('cloudinary'): the SDK picks its http or https
// module when it is loaded.
'use strict';

const cloudinary = require('cloudinary').v2;

const files = process.argv.slice(2);
const concurrency = parseInt(process.env.CONCURRENCY || '6', 10);

async function main() {
  let next = 0;
  let done = 0;
  async function worker() {
    while (next < files.length) {
      const i = next++;
      await cloudinary.uploader.upload(files[i], { public_id: 'node/' + String(i).padStart(4, '0') });
      done++;
    }
  }
  await Promise.all(Array.from({ length: concurrency }, worker));
  process.stdout.write(JSON.stringify({ done }) + '\n');
}

main().catch((err) => {
  process.stderr.write(String((err && err.error && err.error.message) || err) + '\n');
  process.exit(1);
});
