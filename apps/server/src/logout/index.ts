export { LogoutModule } from './logout.module';
export {
  BackchannelWorker,
  BACKCHANNEL_EVENT,
  LOGOUT_TOKEN_TTL_SECONDS,
} from './backchannel.worker';
export { ACCOUNT_API_AUDIENCE, ACCOUNT_SCOPES } from './account-api';
export {
  post,
  describeOutcome,
  shownError,
  type OutboundBody,
  type SendOutcome,
} from './backchannel.sender';
