// The infrashare client for TypeScript: the generated grpc-js clients (src/gen, from proto/ by
// scripts/generate-clients) plus the token on every call, a deadline, promises, and errors that
// name the bad field and the machine-readable reason.
import * as grpc from "@grpc/grpc-js";

import { BadRequest, ErrorInfo } from "./gen/google/rpc/error_details";
import { Status } from "./gen/google/rpc/status";
import { TokenServiceClient } from "./gen/infrashare/auth/v1/auth";
import { DeskServiceClient } from "./gen/infrashare/desk/v1/desk";
import { ImpactServiceClient } from "./gen/infrashare/impact/v1/impact";
import { PrivacyServiceClient } from "./gen/infrashare/privacy/v1/privacy";
import { ProgrammeServiceClient } from "./gen/infrashare/programme/v1/programme";
import { RegistryServiceClient } from "./gen/infrashare/registry/v1/registry";
import {
  RotationCommitUndoReport,
  SchedulerServiceClient,
} from "./gen/infrashare/scheduler/v1/scheduler";

export * as auth from "./gen/infrashare/auth/v1/auth";
export * as desk from "./gen/infrashare/desk/v1/desk";
export * as impact from "./gen/infrashare/impact/v1/impact";
export * as privacy from "./gen/infrashare/privacy/v1/privacy";
export * as programme from "./gen/infrashare/programme/v1/programme";
export * as registry from "./gen/infrashare/registry/v1/registry";
export * as scheduler from "./gen/infrashare/scheduler/v1/scheduler";

export class InfrashareError extends Error {
  constructor(
    readonly code: grpc.status,
    message: string,
    readonly field: string,
    readonly reason: string,
    // A failed CommitRotationPlan that could not undo what it had booked: what it left behind.
    readonly undoReport?: RotationCommitUndoReport,
  ) {
    super(message);
  }
}

function toError(error: grpc.ServiceError): InfrashareError {
  let field = "";
  let reason = "";
  let undoReport: RotationCommitUndoReport | undefined;
  const details = error.metadata?.get("grpc-status-details-bin")?.[0];
  if (details instanceof Buffer) {
    for (const any of Status.decode(details).details) {
      if (any.typeUrl.endsWith("google.rpc.BadRequest")) {
        field = field || (BadRequest.decode(any.value).fieldViolations[0]?.field ?? "");
      } else if (any.typeUrl.endsWith("google.rpc.ErrorInfo")) {
        reason = ErrorInfo.decode(any.value).reason;
      } else if (any.typeUrl.endsWith("infrashare.scheduler.v1.RotationCommitUndoReport")) {
        undoReport = RotationCommitUndoReport.decode(any.value);
      }
    }
  }
  return new InfrashareError(error.code, error.details, field, reason, undoReport);
}

type UnaryMethod<Req, Res> = (
  request: Req,
  metadata: grpc.Metadata,
  options: Partial<grpc.CallOptions>,
  callback: (error: grpc.ServiceError | null, response: Res) => void,
) => grpc.ClientUnaryCall;
// The unary methods of a generated client, and their request and response types.
type UnaryName<S> = {
  [K in keyof S]: S[K] extends UnaryMethod<infer _Req, infer _Res> ? K : never;
}[keyof S];
type RequestOf<F> = F extends UnaryMethod<infer Req, infer _Res> ? Req : never;
type ResponseOf<F> = F extends UnaryMethod<infer _Req, infer Res> ? Res : never;

export class Client {
  readonly registry: RegistryServiceClient;
  readonly scheduler: SchedulerServiceClient;
  readonly desk: DeskServiceClient;
  readonly impact: ImpactServiceClient;
  readonly privacy: PrivacyServiceClient;
  readonly programme: ProgrammeServiceClient;
  readonly tokens: TokenServiceClient;

  constructor(
    address = "127.0.0.1:50051",
    private readonly token = "",
    credentials = grpc.credentials.createInsecure(),
    private readonly deadlineMs = 10000,
  ) {
    this.registry = new RegistryServiceClient(address, credentials);
    this.scheduler = new SchedulerServiceClient(address, credentials);
    this.desk = new DeskServiceClient(address, credentials);
    this.impact = new ImpactServiceClient(address, credentials);
    this.privacy = new PrivacyServiceClient(address, credentials);
    this.programme = new ProgrammeServiceClient(address, credentials);
    this.tokens = new TokenServiceClient(address, credentials);
  }

  // client.call(client.scheduler, "createBooking", request): the token, a deadline, a promise.
  call<S, K extends UnaryName<S>>(stub: S, name: K, request: RequestOf<S[K]>): Promise<ResponseOf<S[K]>> {
    const metadata = new grpc.Metadata();
    if (this.token) metadata.set("authorization", `Bearer ${this.token}`);
    const method = stub[name] as unknown as UnaryMethod<RequestOf<S[K]>, ResponseOf<S[K]>>;
    return new Promise((resolve, reject) => {
      method.call(stub, request, metadata, { deadline: Date.now() + this.deadlineMs }, (error, response) =>
        error ? reject(toError(error)) : resolve(response),
      );
    });
  }

  close(): void {
    this.registry.close();
    this.scheduler.close();
    this.desk.close();
    this.impact.close();
    this.privacy.close();
    this.programme.close();
    this.tokens.close();
  }
}
