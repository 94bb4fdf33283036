// The S3 calls of the batch layer, with S3's errors narrowed at the edge: a missing bucket or refused
// credentials fail for good, a missing object names its key, anything else is an outage to retry.
import {
  DeleteObjectsCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import type { Readable } from 'node:stream';
import { FAILURES } from '../../domain/failures.ts';
import { isS3Misconfigured, isS3NoSuchKey } from '../../infra/outages.ts';
import { asServiceFailure, permanent } from '../errors.ts';

function narrow(err: unknown, key?: string): unknown {
  if (isS3Misconfigured(err)) {
    const name = (err as { name?: unknown }).name;
    return permanent(FAILURES.BatchS3Misconfigured, `S3 refused the request: ${String(name)}`, err);
  }
  if (key !== undefined && isS3NoSuchKey(err)) {
    return permanent(FAILURES.BatchObjectMissing, `S3 object ${key} does not exist`, err);
  }
  return asServiceFailure('s3', err);
}

async function send<T>(fn: () => Promise<T>, key?: string): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw narrow(err, key);
  }
}

export interface Bucket {
  s3: S3Client;
  name: string;
}

export function putObject(
  { s3, name }: Bucket,
  key: string,
  body: Buffer | string,
  contentType: string,
): Promise<unknown> {
  return send(() =>
    s3.send(new PutObjectCommand({ Bucket: name, Key: key, Body: body, ContentType: contentType })),
  );
}

/** The object's body as a stream, and its length as S3 states it. */
export async function getObject(
  { s3, name }: Bucket,
  key: string,
): Promise<{ body: Readable; length: number }> {
  const out = await send(() => s3.send(new GetObjectCommand({ Bucket: name, Key: key })), key);
  return { body: out.Body as Readable, length: out.ContentLength ?? -1 };
}

export async function listKeys({ s3, name }: Bucket, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const page = await send(() =>
      s3.send(new ListObjectsV2Command({ Bucket: name, Prefix: prefix, ContinuationToken: token })),
    );
    for (const o of page.Contents ?? []) if (o.Key !== undefined) keys.push(o.Key);
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return keys.sort();
}

const DELETE_BATCH = 1_000;

export async function deleteKeys({ s3, name }: Bucket, keys: string[]): Promise<void> {
  for (let i = 0; i < keys.length; i += DELETE_BATCH) {
    const Objects = keys.slice(i, i + DELETE_BATCH).map((Key) => ({ Key }));
    const out = await send(() =>
      s3.send(new DeleteObjectsCommand({ Bucket: name, Delete: { Objects, Quiet: true } })),
    );
    const failed = out.Errors?.[0];
    if (failed) throw asServiceFailure('s3', new Error(`deleting ${failed.Key} failed: ${failed.Code}`));
  }
}

/**
 * Deletes the objects under `prefix` that `keep` does not name, so a re-run that writes fewer objects
 * than an earlier one leaves none of the earlier ones behind. Returns the keys it deleted.
 */
export async function removeStrays(
  bucket: Bucket,
  prefix: string,
  keep: Iterable<string>,
): Promise<string[]> {
  const wanted = new Set(keep);
  const strays = (await listKeys(bucket, prefix)).filter((k) => !wanted.has(k));
  await deleteKeys(bucket, strays);
  return strays;
}
