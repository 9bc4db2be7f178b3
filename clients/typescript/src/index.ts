// The infrashare client for TypeScript: the generated grpc-js clients (src/gen, from proto/ by
// scripts/generate-clients) plus the token on every call, a deadline, promises, retries after
// UNAVAILABLE that cannot act twice, watches that resume from their cursor, and errors that name
// the status, the bad field and the machine-readable reason.
import { randomUUID } from "node:crypto";

import * as grpc from "@grpc/grpc-js";

import { toError } from "./errors";
import { TokenServiceClient, TokenServiceDefinition } from "./gen/infrashare/auth/v1/auth";
import { DeskServiceClient, DeskServiceDefinition } from "./gen/infrashare/desk/v1/desk";
import { ImpactServiceClient, ImpactServiceDefinition } from "./gen/infrashare/impact/v1/impact";
import { PrivacyServiceClient, PrivacyServiceDefinition } from "./gen/infrashare/privacy/v1/privacy";
import { ProgrammeServiceClient, ProgrammeServiceDefinition } from "./gen/infrashare/programme/v1/programme";
import { RegistryServiceClient, RegistryServiceDefinition } from "./gen/infrashare/registry/v1/registry";
import { SchedulerServiceClient, SchedulerServiceDefinition } from "./gen/infrashare/scheduler/v1/scheduler";
import { WebhookServiceClient, WebhookServiceDefinition } from "./gen/infrashare/webhook/v1/webhook";
import { Watch, WatchOptions } from "./watch";

export * as auth from "./gen/infrashare/auth/v1/auth";
export * as desk from "./gen/infrashare/desk/v1/desk";
export * as impact from "./gen/infrashare/impact/v1/impact";
export * as privacy from "./gen/infrashare/privacy/v1/privacy";
export * as programme from "./gen/infrashare/programme/v1/programme";
export * as registry from "./gen/infrashare/registry/v1/registry";
export * as scheduler from "./gen/infrashare/scheduler/v1/scheduler";
export * as webhook from "./gen/infrashare/webhook/v1/webhook";

// What a program needs of grpc-js without depending on it itself: TLS credentials, status codes.
export { credentials, status } from "@grpc/grpc-js";
export { InfrashareError } from "./errors";
export { Watch } from "./watch";
export { verifyWebhook } from "./webhooks";
export type { WatchOptions } from "./watch";

type Callback<Res> = (error: grpc.ServiceError | null, response: Res) => void;
// The last overload of a generated method is the one a conditional type sees: a unary method's
// takes (request, metadata, options, callback), a server stream's (request, metadata?, options?)
// and returns the stream. Matching the whole parameter list keeps streams out of call().
type UnaryParts<F> = F extends (...args: infer A) => grpc.ClientUnaryCall
  ? A extends [infer Req, grpc.Metadata, Partial<grpc.CallOptions>, Callback<infer Res>]
    ? { request: Req; response: Res }
    : never
  : never;
type StreamParts<F> = F extends (...args: infer A) => grpc.ClientReadableStream<infer Event>
  ? A extends [infer Req, grpc.Metadata?, Partial<grpc.CallOptions>?]
    ? { request: Req; event: Event }
    : never
  : never;
// The unary methods of a generated client; the server streams that resume from a cursor.
export type UnaryName<S> = {
  [K in keyof S]: [UnaryParts<S[K]>] extends [never] ? never : K;
}[keyof S];
export type WatchName<S> = {
  [K in keyof S]: StreamParts<S[K]> extends { request: { cursor: string }; event: { cursor: string } } ? K : never;
}[keyof S];
type UnaryMethod<Req, Res> = (
  request: Req,
  metadata: grpc.Metadata,
  options: Partial<grpc.CallOptions>,
  callback: Callback<Res>,
) => grpc.ClientUnaryCall;
type StreamMethod<Req, Event> = (
  request: Req,
  metadata: grpc.Metadata,
  options: Partial<grpc.CallOptions>,
) => grpc.ClientReadableStream<Event>;

// Calls without a request_id that only read, and so may be sent again after UNAVAILABLE. A call
// that is neither this nor carries a request_id (PlanRotation, ErasePersonalData, the Update*
// calls) is not retried: sent twice it could act twice.
const READ_ONLY = /^whoAmI$|^(get|list|search|find|check|export|preview)[A-Z]|Report$/;

// The request message of every method by its path ("/infrashare.registry.v1.RegistryService/
// GetResource"), from the generated generic service definitions.
type RequestType = { fromPartial(object: object): object };
const REQUEST_TYPES = new Map<string, RequestType>();
for (const service of [
  TokenServiceDefinition,
  DeskServiceDefinition,
  ImpactServiceDefinition,
  PrivacyServiceDefinition,
  ProgrammeServiceDefinition,
  RegistryServiceDefinition,
  SchedulerServiceDefinition,
  WebhookServiceDefinition,
])
  for (const method of Object.values(service.methods) as { name: string; requestType: RequestType }[])
    REQUEST_TYPES.set(`/${service.fullName}/${method.name}`, method.requestType);

// `request` with every field it leaves out at its default, nested messages too (fromPartial):
// a plain JavaScript object that names only some fields is sent as the caller meant, never as
// "undefined" or a TypeError in the encoder. A new object; the caller's stays as it is.
function complete<Req>(stub: object, name: string, request: Req): Req {
  const path = (stub.constructor as { service?: Record<string, grpc.MethodDefinition<unknown, unknown>> })
    .service?.[name]?.path;
  const type = path === undefined ? undefined : REQUEST_TYPES.get(path);
  return (type ? type.fromPartial((request ?? {}) as object) : { ...request }) as Req;
}

export class Client {
  readonly registry: RegistryServiceClient;
  readonly scheduler: SchedulerServiceClient;
  readonly desk: DeskServiceClient;
  readonly impact: ImpactServiceClient;
  readonly privacy: PrivacyServiceClient;
  readonly programme: ProgrammeServiceClient;
  readonly tokens: TokenServiceClient;
  readonly webhooks: WebhookServiceClient;

  private readonly token: string;

  constructor(
    address = "127.0.0.1:50051",
    token = "",
    credentials = grpc.credentials.createInsecure(),
    private readonly deadlineMs = 10000,
    // Attempts of a call that meets UNAVAILABLE (a server restarting, a replica going away),
    // 100 ms apart and doubling: 4 attempts wait 0.7 s in all.
    private readonly maxAttempts = 4,
  ) {
    this.token = token.trim();  // a token pasted with its line break still works
    this.registry = new RegistryServiceClient(address, credentials);
    this.scheduler = new SchedulerServiceClient(address, credentials);
    this.desk = new DeskServiceClient(address, credentials);
    this.impact = new ImpactServiceClient(address, credentials);
    this.privacy = new PrivacyServiceClient(address, credentials);
    this.programme = new ProgrammeServiceClient(address, credentials);
    this.tokens = new TokenServiceClient(address, credentials);
    this.webhooks = new WebhookServiceClient(address, credentials);
  }

  // client.call(client.scheduler, "createBooking", request): the token, a deadline, a promise,
  // an InfrashareError on failure. A request with an empty requestId is sent with a new one (the
  // caller's object is left as it is), so retrying it after UNAVAILABLE cannot act twice: the
  // server answers a repeated request_id with the first result.
  async call<S extends object, K extends UnaryName<S>>(
    stub: S,
    name: K,
    request: UnaryParts<S[K]>["request"],
  ): Promise<UnaryParts<S[K]>["response"]> {
    type Req = UnaryParts<S[K]>["request"];
    type Res = UnaryParts<S[K]>["response"];
    const method = stub[name] as unknown as UnaryMethod<Req, Res>;
    const sent = complete(stub, String(name), request);
    const withId = sent as { requestId?: string };
    const hasRequestId = typeof sent === "object" && sent !== null && "requestId" in sent;
    if (hasRequestId && !withId.requestId) withId.requestId = randomUUID().replace(/-/g, "");
    const retryable = hasRequestId || READ_ONLY.test(String(name));
    let backoffMs = 100;
    for (let attempt = 1; ; attempt++) {
      try {
        return await new Promise<Res>((resolve, reject) => {
          method.call(stub, sent, this.metadata(), { deadline: Date.now() + this.deadlineMs }, (error, response) =>
            error ? reject(toError(error)) : resolve(response),
          );
        });
      } catch (error) {
        const failure = toError(error);
        if (failure.code !== grpc.status.UNAVAILABLE || !retryable || attempt >= this.maxAttempts) throw failure;
        await new Promise((r) => setTimeout(r, backoffMs));
        backoffMs *= 2;
      }
    }
  }

  // client.watch(client.scheduler, "watchBookings", request): the stream's events as an async
  // iterator that re-opens the stream after UNAVAILABLE from the last event's cursor (see Watch).
  // Start from request.cursor (empty: from now); watch.cursor is where a later watch can resume.
  watch<S extends object, K extends WatchName<S>>(
    stub: S,
    name: K,
    request: StreamParts<S[K]>["request"],
    options: WatchOptions = {},
  ): Watch<StreamParts<S[K]>["event"] & { cursor: string }> {
    type Event = StreamParts<S[K]>["event"] & { cursor: string };
    const method = stub[name] as unknown as StreamMethod<{ cursor: string }, Event>;
    const first = complete(stub, String(name), request) as { cursor: string };
    const open = (cursor: string) => method.call(stub, { ...first, cursor }, this.metadata(), {});
    return new Watch<Event>(open, first.cursor, options);
  }

  private metadata(): grpc.Metadata {
    const metadata = new grpc.Metadata();
    if (this.token) metadata.set("authorization", `Bearer ${this.token}`);
    return metadata;
  }

  close(): void {
    this.registry.close();
    this.scheduler.close();
    this.desk.close();
    this.impact.close();
    this.privacy.close();
    this.programme.close();
    this.tokens.close();
    this.webhooks.close();
  }
}
