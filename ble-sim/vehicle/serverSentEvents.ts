/**
 * A minimal, bounded server-sent-events reader over a fetch body (the vehicle's sync channel).
 * Lines are capped, so a hostile server cannot make the car buffer without limit.
 */
export interface ServerSentEvent {
  event: string;
  data: string;
  id: string | undefined;
}

const MAX_EVENT_BYTES = 16 * 1024;

/** Yield each event of the stream until it ends or `signal` aborts. */
export async function* readServerSentEvents(body: ReadableStream<Uint8Array>): AsyncGenerator<ServerSentEvent> {
  const decoder = new TextDecoder();
  let buffer = '';
  let event = 'message';
  let data: string[] = [];
  let id: string | undefined;
  for await (const chunk of body) {
    buffer += decoder.decode(chunk, { stream: true });
    if (buffer.length > MAX_EVENT_BYTES * 4) throw new Error('server-sent event too large');
    let newline: number;
    while ((newline = buffer.indexOf('\n')) >= 0) {
      const line = buffer.slice(0, newline).replace(/\r$/, '');
      buffer = buffer.slice(newline + 1);
      if (line === '') {
        if (data.length > 0) yield { event, data: data.join('\n'), id };
        event = 'message';
        data = [];
        continue;
      }
      if (line.startsWith(':')) continue;
      const colon = line.indexOf(':');
      const field = colon < 0 ? line : line.slice(0, colon);
      const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
      if (field === 'event') event = value;
      else if (field === 'data') {
        data.push(value);
        if (data.join('\n').length > MAX_EVENT_BYTES) throw new Error('server-sent event too large');
      } else if (field === 'id') id = value;
    }
  }
}
