// Drives the sandbox with the official Node SDK and prints one JSON object
// with what came back; node_test.go checks it.
//
// CLOUDINARY_URL (with ?upload_prefix=http://127.0.0.1:PORT) must be in the
// environment before require('cloudinary'): the SDK picks its http or https
// module when it is loaded.
'use strict';

const cloudinary = require('cloudinary').v2;

const [imagePath, largePath] = process.argv.slice(2);

function uploadLarge(path, options) {
  return new Promise((resolve, reject) => {
    cloudinary.uploader.upload_large(path, options, (err, res) => (err ? reject(err) : resolve(res)));
  });
}

async function expectError(promise) {
  try {
    await promise;
  } catch (err) {
    return { message: (err.error || err).message, http_code: (err.error || err).http_code };
  }
  return null;
}

async function main() {
  const out = {};

  const up = await cloudinary.uploader.upload(imagePath, {
    public_id: 'node/photo',
    tags: ['node', 'sdk'],
    context: { alt: 'A=b|c', caption: 'From Node' },
  });
  out.upload = {
    public_id: up.public_id, width: up.width, height: up.height, format: up.format,
    etag: up.etag, context: up.context, tags: up.tags, secure_url: up.secure_url,
    signature_ok: cloudinary.utils.verify_api_response_signature(up.public_id, up.version, up.signature),
  };

  // 6 MB chunks: Node sends "bytes a-b/-1" until the last one.
  const large = await uploadLarge(largePath, { chunk_size: 6 * 1024 * 1024, public_id: 'node/large.bin' });
  out.large = { public_id: large.public_id, bytes: large.bytes, etag: large.etag, resource_type: large.resource_type };

  // Node posts to .../resources%2Fsearch.
  const found = await cloudinary.search.expression('tags:node').with_field('tags').with_field('context').max_results(10).execute();
  out.search = {
    total_count: found.total_count,
    ids: found.resources.map((r) => r.public_id),
    context: found.resources.length ? found.resources[0].context : null,
  };

  const listed = await cloudinary.api.resources({ type: 'upload', prefix: 'node/', tags: true });
  out.listed = listed.resources.map((r) => r.public_id);

  const tagged = await cloudinary.uploader.add_tag('extra', ['node/photo']);
  out.tagged = tagged.public_ids;

  await cloudinary.api.create_upload_preset({ name: 'node_unsigned', unsigned: true, folder: 'guests' });
  const guest = await cloudinary.uploader.unsigned_upload(imagePath, 'node_unsigned', { public_id: 'visitor' });
  out.unsigned = { public_id: guest.public_id };

  out.bad_preset = await expectError(cloudinary.uploader.unsigned_upload(imagePath, 'no_such_preset'));

  const destroyed = await cloudinary.uploader.destroy('node/photo');
  out.destroy = destroyed.result;

  // DELETE with a url-encoded public_ids[] body.
  const deleted = await cloudinary.api.delete_resources(['guests/visitor'], { resource_type: 'image' });
  out.deleted = deleted.deleted;

  process.stdout.write(JSON.stringify(out) + '\n');
}

main().catch((err) => {
  process.stderr.write('sdk_check failed: ' + JSON.stringify(err && (err.error || err.message || err)) + '\n');
  process.exit(1);
});
