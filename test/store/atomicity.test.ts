import * as fs from 'node:fs';
import * as path from 'node:path';
import { ListMultipartUploadsCommand, ListPartsCommand } from '@aws-sdk/client-s3';
import { describeBackends, storedName } from './backends';
import { spawnFixture, tempDir } from './helpers';

/**
 * A writer killed mid-write (SIGKILL: no cleanup handlers run) must leave the previous version as the only visible
 * one, the manifest unchanged, and find() returning the old ref; the next write of the key commits normally.
 * Local: killed once its temp file holds several MiB. S3: killed once its multipart upload has parts on the server.
 */

const key = { campaign: 'kill', iteration: 0, step: 'sample', name: 'samples.jsonl' };

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describeBackends('SIGKILL during a write', (current) => {
  test('leaves no partial artifact and the old version intact', async () => {
    const backend = current();
    const store = backend.open();
    const oldRows = [{ i: 0, chosen: 'old', rejected: 'older' }];
    const old = await store.putJsonl(key, oldRows);
    const oldBytes = await backend.raw(old);
    const manifestBefore = await backend.manifest('kill');

    const scratch = tempDir('writer-scratch');
    const child = spawnFixture('slow-writer.ts', [backend.location, 'kill', scratch]);
    let stderr = '';
    child.stderr!.on('data', (d) => { stderr += d; });
    const exited = new Promise<NodeJS.Signals | number | null>((resolve) => child.on('exit', (code, signal) => resolve(signal ?? code)));

    // Kill well into the write, long before it could end.
    const dir = backend.name === 'local' ? path.join(backend.location, 'kill', 'iter-0', 'sample') : '';
    const s3 = backend.name === 's3' ? (store as import('../../store/s3').S3ArtifactStore) : undefined;
    await waitFor('the child to be mid-write', async () => {
      if (!s3) {
        const name = fs.readdirSync(dir).find((f) => f.startsWith('.samples.jsonl.tmp-'));
        return name && fs.statSync(path.join(dir, name)).size > 4 << 20 ? name : undefined;
      }
      const uploads = await s3.client.send(new ListMultipartUploadsCommand({ Bucket: s3.location.bucket, Prefix: `${s3.location.prefix}kill/` }));
      const upload = uploads.Uploads?.[0];
      if (!upload) return undefined;
      const parts = await s3.client.send(new ListPartsCommand({ Bucket: s3.location.bucket, Key: upload.Key!, UploadId: upload.UploadId! }));
      return (parts.Parts?.length ?? 0) >= 2 ? upload.Key : undefined;
    });
    child.kill('SIGKILL');
    expect(await exited).toBe('SIGKILL');
    expect(stderr).toBe('');

    // Only the old version is visible; the manifest did not move; find() returns the old ref.
    expect((await backend.raw(old)).equals(oldBytes)).toBe(true);
    expect(await backend.manifest('kill')).toEqual(manifestBefore);
    const fresh = backend.open();
    expect(await fresh.find(key)).toEqual(old);
    const rows: unknown[] = [];
    for await (const r of fresh.readJsonl(old)) rows.push(r);
    expect(rows).toEqual(oldRows);
    const visible = (await backend.stored('kill', 0, 'sample')).filter((f) => !f.startsWith('.samples.jsonl.tmp-'));
    expect(visible).toEqual([storedName(old)]);

    // The next write of that name commits normally (locally it also sweeps the dead writer's temp file).
    const next = await fresh.putJsonl(key, [{ i: 1 }]);
    expect(await fresh.find(key)).toEqual(next);
    expect((await backend.stored('kill', 0, 'sample')).sort()).toEqual([storedName(next), storedName(old)].sort());
    expect(Buffer.from(await fresh.get(old)).equals(oldBytes)).toBe(true);
    fs.rmSync(scratch, { recursive: true, force: true });
  }, 120_000);
});
