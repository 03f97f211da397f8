import type { Dispatcher } from 'undici';
import { ErrorCode } from '../../errors.js';
import { type UpstreamFailure, upstreamFailure } from '../errors.js';

type ResponseData = Dispatcher.ResponseData;

/** Reads at most `maxBytes` of a response body; a larger one is dropped and is an error. */
export async function readBounded(
  service: string,
  response: ResponseData,
  maxBytes: number,
): Promise<string> {
  const declared = Number(response.headers['content-length']);
  if (declared > maxBytes) {
    response.body.destroy();
    throw tooLarge(service, maxBytes);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of response.body) {
    size += (chunk as Buffer).length;
    if (size > maxBytes) {
      response.body.destroy();
      throw tooLarge(service, maxBytes);
    }
    chunks.push(chunk as Buffer);
  }
  return chunks.length === 1 ? chunks[0]!.toString('utf8') : Buffer.concat(chunks, size).toString('utf8');
}

function tooLarge(service: string, maxBytes: number): UpstreamFailure {
  return upstreamFailure(
    service,
    ErrorCode.UPSTREAM_ERROR,
    `${service} answered with more than ${maxBytes} bytes`,
    'error',
  );
}

/** Parses a JSON body, or fails as UPSTREAM_ERROR: the client never sees the raw text. */
export function parseJson(
  service: string,
  text: string,
  contentType: string | string[] | undefined,
): unknown {
  const type = Array.isArray(contentType) ? contentType[0] : contentType;
  if (!type || !/^application\/(?:[\w.+-]+\+)?json\b/i.test(type)) {
    throw upstreamFailure(
      service,
      ErrorCode.UPSTREAM_ERROR,
      `${service} answered with a body that is not JSON`,
      'error',
    );
  }
  try {
    return JSON.parse(text);
  } catch {
    throw upstreamFailure(
      service,
      ErrorCode.UPSTREAM_ERROR,
      `${service} answered with malformed JSON`,
      'error',
    );
  }
}

/** The `error` message of a contract error body, cleaned for showing to a client. */
export function serviceMessageOf(text: string): string | undefined {
  try {
    const parsed = JSON.parse(text) as { error?: unknown };
    if (typeof parsed?.error !== 'string') return undefined;
    // Printable characters only, bounded: the message reaches end users verbatim.
    return parsed.error.replace(/[^\x20-\x7e\u00a0-\uffff]/g, '').slice(0, 300);
  } catch {
    return undefined;
  }
}
