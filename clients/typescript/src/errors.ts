// A failed call as one error type: the gRPC code (as a number and by name), the server's message,
// the bad field (google.rpc.BadRequest) and the machine-readable reason (google.rpc.ErrorInfo).
import * as grpc from "@grpc/grpc-js";

import { BadRequest, ErrorInfo } from "./gen/google/rpc/error_details";
import { Status } from "./gen/google/rpc/status";
import { RotationCommitUndoReport } from "./gen/infrashare/scheduler/v1/scheduler";

export class InfrashareError extends Error {
  // The status by name, e.g. "FAILED_PRECONDITION": what a program compares against.
  readonly codeName: string;

  constructor(
    readonly code: grpc.status,
    // The server's text, without the status name that `message` starts with.
    readonly details: string,
    readonly field: string,
    readonly reason: string,
    // A failed CommitRotationPlan that could not undo what it had booked: what it left behind.
    readonly undoReport?: RotationCommitUndoReport,
  ) {
    const codeName = grpc.status[code] ?? `CODE_${code}`;
    super(`${codeName}: ${details}`);
    this.name = "InfrashareError";
    this.codeName = codeName;
  }
}

function isServiceError(error: unknown): error is grpc.ServiceError {
  return error instanceof Error && typeof (error as Partial<grpc.ServiceError>).code === "number";
}

// Anything a grpc-js call failed with, as an InfrashareError. grpc-js reports errors it makes
// itself (a closed channel) as plain Errors: those become CANCELLED, which is what they mean.
export function toError(error: unknown): InfrashareError {
  if (error instanceof InfrashareError) return error;
  if (!isServiceError(error)) {
    return new InfrashareError(grpc.status.CANCELLED, String((error as Error)?.message ?? error), "", "");
  }
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
  // grpc-js could not encode the request (an invalid Date is NaN, which no Timestamp holds): the
  // caller's request is wrong, and nothing was sent; not an INTERNAL error of the server.
  if (error.code === grpc.status.INTERNAL && error.details.startsWith("Request message serialization failure")) {
    return new InfrashareError(grpc.status.INVALID_ARGUMENT, `the request cannot be encoded (a field of the wrong type: an invalid Date, a field mask that is not a list of paths, ...): ${error.details}`, "", "REQUEST_NOT_ENCODABLE");
  }
  return new InfrashareError(error.code, error.details, field, reason, undoReport);
}
