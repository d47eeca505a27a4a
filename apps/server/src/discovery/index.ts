export { DiscoveryModule } from './discovery.module';
