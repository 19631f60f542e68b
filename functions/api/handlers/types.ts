import type {
  ChannelHealthStore,
  CredentialCipher,
  DeliveryStore,
  EventStore,
  IntegrationStore,
  NotificationStore,
  SlackAuth,
  TokenStore,
  WorkspaceStore,
} from "../../core/ports";
import type { Principal } from "../../core/identity";
import type { ApiEvent, ApiResult } from "../http";
import type { RouteId } from "../routes";

/** What the API's handlers are given: ports, never a concrete adapter. */
export interface ApiDeps {
  store: WorkspaceStore &
    TokenStore &
    IntegrationStore &
    EventStore &
    NotificationStore &
    ChannelHealthStore &
    // The preview reads an upgrade's thread, to show its reply as it will be posted.
    Pick<DeliveryStore, "getThread">;
  cipher: CredentialCipher;
  /** The connect preflight (auth.test). */
  auth: SlackAuth;
  /** Where "View in Dashboard" points when an event carries no dashboard_url. */
  dashboardUrl: string;
  sleep(ms: number): Promise<void>;
}

export type Handler = (event: ApiEvent) => Promise<ApiResult>;
export type Handlers<K extends RouteId> = Record<K, Handler>;

/** Path parameters the router already checked against the route's id patterns. */
export const param = (event: ApiEvent, name: "ws" | "id") => event.pathParameters?.[name] as string;
/** Set by the authorize middleware on every route that is not public. */
export const principal = (event: ApiEvent) => event.principal as Principal;
