// A server stream (Watch*, StreamAssignments) as an async iterator that survives a server restart:
// when the stream ends with UNAVAILABLE it is opened again with the cursor of the last event
// delivered, so nothing is missed and nothing comes twice. Every other failure ends the iteration
// with an InfrashareError; grpc-js's 'error' events never reach the process unhandled.
import * as grpc from "@grpc/grpc-js";

import { InfrashareError, toError } from "./errors";

export interface WatchOptions {
  // Consecutive failed openings before the watch gives up with the last UNAVAILABLE (default 10:
  // about 25 s with the back-off below). An event received, or a stream that stayed open, starts
  // the count again. Infinity retries for as long as the iteration runs.
  maxReconnects?: number;
  // First wait before opening again; it doubles up to maxBackoffMs (defaults 100 and 5000).
  backoffMs?: number;
  maxBackoffMs?: number;
  // Told before each re-opening: why the stream ended and the cursor it resumes after.
  onReconnect?: (error: InfrashareError, cursor: string) => void;
}

// Events beyond this many waiting for the reader pause the stream, so a slow reader slows the
// server's stream (which ends it with RESOURCE_EXHAUSTED if it falls far behind) rather than
// filling this process's memory.
const HIGH_WATER = 64;
// A stream open this long before it failed was a working stream, not a failed opening.
const STABLE_MS = 10000;

export class Watch<Event extends { cursor: string }> implements AsyncIterableIterator<Event> {
  private readonly queue: Event[] = [];
  private readonly waiting: {
    resolve: (result: IteratorResult<Event>) => void;
    reject: (error: unknown) => void;
  }[] = [];
  private stream?: grpc.ClientReadableStream<Event>;
  private failure?: InfrashareError;
  private ended = false;
  private failedOpenings = 0;
  private backoffMs: number;
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly open: (cursor: string) => grpc.ClientReadableStream<Event>,
    // The cursor of the last event delivered: start a later watch from it to resume there.
    private lastCursor: string,
    private readonly options: WatchOptions = {},
  ) {
    this.backoffMs = options.backoffMs ?? 100;
    this.connect();
  }

  get cursor(): string {
    return this.lastCursor;
  }

  next(): Promise<IteratorResult<Event>> {
    const event = this.queue.shift();
    if (event !== undefined) {
      this.lastCursor = event.cursor || this.lastCursor;
      if (this.queue.length === 0 && this.stream?.isPaused()) this.stream.resume();
      return Promise.resolve({ value: event, done: false });
    }
    if (this.failure) {
      const failure = this.failure;
      this.failure = undefined;
      return Promise.reject(failure);
    }
    if (this.ended) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve, reject) => this.waiting.push({ resolve, reject }));
  }

  // Ends the watch (breaking out of a for-await loop does the same).
  return(): Promise<IteratorResult<Event>> {
    this.close();
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<Event> {
    return this;
  }

  close(): void {
    if (this.ended) return;
    this.queue.length = 0;
    this.finish();
  }

  private connect(): void {
    let stream: grpc.ClientReadableStream<Event>;
    try {
      stream = this.open(this.deliveredOrQueuedCursor());
    } catch (error) {
      this.fail(toError(error));  // the client was closed
      return;
    }
    const openedAt = Date.now();
    this.stream = stream;
    // Attached before anything can be emitted and never removed: grpc-js emits 'error' for every
    // non-OK end, also for the CANCELLED that close() causes. The failure is acted on at 'end',
    // once the events received before it have all been queued.
    let failure: InfrashareError | undefined;
    stream.on("error", (error) => {
      failure = toError(error);
    });
    stream.on("end", () => this.streamEnded(stream, failure, openedAt));
    stream.on("metadata", () => this.streamWorks());
    stream.on("data", (event: Event) => {
      if (this.ended) return;
      this.streamWorks();
      const reader = this.waiting.shift();
      if (reader) {
        this.lastCursor = event.cursor || this.lastCursor;
        reader.resolve({ value: event, done: false });
      } else {
        this.queue.push(event);
        if (this.queue.length >= HIGH_WATER) stream.pause();
      }
    });
  }

  private streamWorks(): void {
    this.failedOpenings = 0;
    this.backoffMs = this.options.backoffMs ?? 100;
  }

  private streamEnded(stream: grpc.ClientReadableStream<Event>, error: InfrashareError | undefined, openedAt: number): void {
    if (stream !== this.stream || this.ended) return;
    this.stream = undefined;
    if (!error) {
      this.finish();  // the server ended the stream with OK
      return;
    }
    if (Date.now() - openedAt >= STABLE_MS) this.streamWorks();
    if (error.code !== grpc.status.UNAVAILABLE || this.failedOpenings >= (this.options.maxReconnects ?? 10)) {
      this.fail(error);
      return;
    }
    this.failedOpenings++;
    try {
      this.options.onReconnect?.(error, this.deliveredOrQueuedCursor());
    } catch (callbackError) {
      this.fail(callbackError as InfrashareError);
      return;
    }
    const wait = this.backoffMs;
    this.backoffMs = Math.min(this.backoffMs * 2, this.options.maxBackoffMs ?? 5000);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (!this.ended) this.connect();
    }, wait);
  }

  // Events already received but not yet read are delivered before the failure, so the stream
  // resumes after the last of them.
  private deliveredOrQueuedCursor(): string {
    for (let i = this.queue.length - 1; i >= 0; i--) if (this.queue[i].cursor) return this.queue[i].cursor;
    return this.lastCursor;
  }

  private fail(error: InfrashareError): void {
    const reader = this.waiting.shift();
    if (reader) reader.reject(error);
    else this.failure = error;
    this.finish();
  }

  private finish(): void {
    this.ended = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const stream = this.stream;
    this.stream = undefined;
    stream?.cancel();
    for (const reader of this.waiting.splice(0)) reader.resolve({ value: undefined, done: true });
  }
}
