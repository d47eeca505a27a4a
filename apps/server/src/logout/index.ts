export { LogoutModule } from './logout.module';
export { BackchannelRepository, type DeliveryView } from './backchannel.repository';
export { BackchannelWorker, BACKCHANNEL_EVENT } from './backchannel.worker';
