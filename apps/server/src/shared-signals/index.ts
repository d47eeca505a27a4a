export { SharedSignalsModule, SHARED_SIGNALS_ENTITIES } from './shared-signals.module';
