export { SharedSignalsModule, SHARED_SIGNALS_ENTITIES } from './shared-signals.module';
export { SSF_API_AUDIENCE, SSF_SCOPES } from './ssf-api';
