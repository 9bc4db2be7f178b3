// Type-level checks, enforced by the build (`tsc -p .`, which the typescript_client test runs):
// each @ts-expect-error line must be an error, or tsc fails with "Unused '@ts-expect-error'
// directive". The requests are of the right type, so the method name is the only thing wrong.
// Nothing here runs: the function is never called.
import { Client, InfrashareError, Watch, auth, desk, registry, scheduler } from "../index";

export function typeChecks(c: Client): void {
  // call() takes unary methods and infers the response type from them.
  const who: Promise<auth.TokenInfo> = c.call(c.tokens, "whoAmI", auth.WhoAmIRequest.fromPartial({}));
  const found: Promise<registry.SearchResourcesResponse> = c.call(
    c.registry,
    "searchResources",
    registry.SearchResourcesRequest.fromPartial({}),
  );
  void who;
  void found;

  // call() refuses server streams: they need watch().
  // @ts-expect-error watchBookings is a server stream
  void c.call(c.scheduler, "watchBookings", scheduler.WatchBookingsRequest.fromPartial({}));
  // @ts-expect-error watchResources is a server stream
  void c.call(c.registry, "watchResources", registry.WatchResourcesRequest.fromPartial({}));
  // @ts-expect-error streamAssignments is a server stream
  void c.call(c.desk, "streamAssignments", desk.StreamAssignmentsRequest.fromPartial({}));
  // @ts-expect-error close is not an RPC
  void c.call(c.scheduler, "close", scheduler.WatchBookingsRequest.fromPartial({}));
  // @ts-expect-error a request of another method
  void c.call(c.scheduler, "createBooking", scheduler.CancelBookingRequest.fromPartial({}));

  // watch() takes the server streams and yields their events; it refuses unary methods.
  const bookings: Watch<scheduler.BookingEvent> = c.watch(
    c.scheduler,
    "watchBookings",
    scheduler.WatchBookingsRequest.fromPartial({}),
  );
  const inquiry: Watch<desk.InquiryEvent> = c.watch(c.desk, "watchInquiry", desk.WatchInquiryRequest.fromPartial({}));
  void bookings;
  void inquiry;
  // @ts-expect-error listBookings is unary
  void c.watch(c.scheduler, "listBookings", scheduler.ListBookingsRequest.fromPartial({}));

  // The error names its status.
  const name: string = new InfrashareError(9, "held", "", "SLOT_TAKEN").codeName;
  void name;
}
